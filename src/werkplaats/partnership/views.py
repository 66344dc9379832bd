"""Partnership pages: a team for its manager; an organisation, its people and teams for
its admin; the set-password page of an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.core.forms import add_refusal
from werkplaats.core.i18n import current_language
from werkplaats.core.versioning import save_form
from werkplaats.partnership import access, invitations, services
from werkplaats.partnership.forms import ChoosePasswordForm, InviteForm, MemberForm, TeamForm
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Membership, Role


@login_required
def team_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = access.access_team_by_id(request.user, pk)
    professionals = (
        Membership.objects.filter(team=team, role=Role.PROFESSIONAL)
        .select_related("user")
        .annotate(
            n_open=Count(
                "user__led_trajectories",
                filter=Q(user__led_trajectories__status="open", user__led_trajectories__team=team),
            )
        )
        .order_by("user__last_name")
    )
    return render(request, "partnership/team.html", {"team": team, "professionals": professionals})


@login_required
def organisation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = access.access_organisation_by_id(request.user, pk)
    # Who is a client or in a client's network is case content: an admin sees staff by
    # name, and of the others only how many accounts there are.
    memberships = organisation.memberships.select_related("user", "team")
    staff = memberships.exclude(role__in=access.CASE_PERSON_ROLES).order_by(
        "role", "user__last_name"
    )
    case_accounts = memberships.filter(role__in=access.CASE_PERSON_ROLES).count()
    teams = organisation.teams.annotate(n_members=Count("memberships")).prefetch_related(
        "neighbourhoods"
    )
    return render(
        request,
        "partnership/organisation.html",
        {
            "organisation": organisation,
            "members": staff,
            "case_accounts": case_accounts,
            "teams": teams,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = access.access_organisation_by_id(request.user, pk)
    form = InviteForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            user, sent = services.user_invite(
                by=request.user,
                organisation=organisation,
                language=current_language(),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            # The link is shown once, here, and never stored: no redirect to a page that
            # would have to keep it.
            return render(
                request,
                "partnership/invited.html",
                {"organisation": organisation, "invited": user, "sent": sent},
            )
    return render(
        request,
        "partnership/form.html",
        {"organisation": organisation, "form": form, "title": _("Invite someone")},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: AuthenticatedHttpRequest, pk: int, member: int) -> HttpResponse:
    organisation = access.access_organisation_by_id(request.user, pk)
    membership = access.access_member_by_id(request.user, organisation, member)
    initial = {
        "version": membership.version,
        "role": membership.role,
        "team": membership.team,
        "active": membership.user.is_active,
    }
    form = MemberForm(request.POST or None, organisation=organisation, initial=initial)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        refused = save_form(
            form,
            lambda: services.membership_update(
                by=request.user,
                membership=membership,
                expected_version=form.cleaned_data["version"],
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                active=form.cleaned_data["active"],
            ),
        )
        if refused is None:
            messages.success(request, _("The changes were saved."))
            return redirect("partnership:organisation", pk=organisation.pk)
        status = refused
    return render(
        request,
        "partnership/member.html",
        {"organisation": organisation, "membership": membership, "form": form},
        status=status,
    )


@login_required
@require_POST
def member_reinvite(request: AuthenticatedHttpRequest, pk: int, member: int) -> HttpResponse:
    organisation = access.access_organisation_by_id(request.user, pk)
    membership = access.access_member_by_id(request.user, organisation, member)
    if not membership.user.is_active:
        messages.error(request, _("This account is deactivated; activate it first."))
        return redirect("partnership:member", pk=pk, member=member)
    sent = invitations.invite(membership.user, by=request.user, language=current_language())
    return render(
        request,
        "partnership/invited.html",
        {"organisation": organisation, "invited": membership.user, "sent": sent},
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = access.access_organisation_by_id(request.user, pk)
    form = TeamForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_create(
                by=request.user,
                organisation=organisation,
                name=form.cleaned_data["name"],
                neighbourhoods=form.cleaned_data["neighbourhoods"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("The team was created."))
            return redirect("partnership:organisation", pk=organisation.pk)
    return render(
        request,
        "partnership/form.html",
        {"organisation": organisation, "form": form, "title": _("New team")},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = access.access_team_admin_by_id(request.user, pk)
    organisation = team.organisation
    initial = {
        "version": team.version,
        "name": team.name,
        "neighbourhoods": list(team.neighbourhoods.all()),
    }
    form = TeamForm(request.POST or None, organisation=organisation, initial=initial)
    status = 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        refused = save_form(
            form,
            lambda: services.team_update(
                by=request.user,
                team=team,
                expected_version=form.cleaned_data["version"] or 0,
                name=form.cleaned_data["name"],
                neighbourhoods=form.cleaned_data["neighbourhoods"],
            ),
        )
        if refused is None:
            messages.success(request, _("The team was saved."))
            return redirect("partnership:organisation", pk=organisation.pk)
        status = refused
    return render(
        request,
        "partnership/form.html",
        {
            "organisation": organisation,
            "form": form,
            "title": _("Team %(name)s") % {"name": team.name},
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The set-password page of an invitation link (no login: this is how one begins)."""
    found = invitations.find_invitation(token)
    if found is None:
        return render(request, "partnership/invitation_gone.html", status=410)
    form = ChoosePasswordForm(found.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.redeem(token, form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your password is set. Log in with it now."))
            return redirect("login")
    response = render(
        request,
        "partnership/invitation.html",
        {"form": form, "invited": found.user},
        status=400 if form.is_bound else 200,
    )
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response
