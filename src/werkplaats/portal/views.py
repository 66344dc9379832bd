"""Pages that compose several domains: each domain app decides access and supplies data."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from werkplaats.casework import access as case_access
from werkplaats.casework import selectors as case_selectors
from werkplaats.casework import services as case_services
from werkplaats.casework.forms import ClientRegistrationForm
from werkplaats.casework.models import Method, Trajectory
from werkplaats.casework.network_map import network_svg
from werkplaats.core.audit import log_access
from werkplaats.core.downloads import attachment
from werkplaats.core.forms import add_refusal
from werkplaats.core.i18n import current_language
from werkplaats.measurements import selectors as measurement_selectors
from werkplaats.measurements.charts import score_charts
from werkplaats.measurements.gas import records_of
from werkplaats.methods import selectors as method_selectors
from werkplaats.methods import services as method_services
from werkplaats.partnership.access import managed_team_ids
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Membership, Role, StakeholderKind, User
from werkplaats.portal import selectors
from werkplaats.portal.caseload import worklist_context
from werkplaats.portal.own_data import own_data, readable
from werkplaats.portal.who_looked import by_day, who_looked
from werkplaats.programme import access as programme_access
from werkplaats.programme import services as programme_services
from werkplaats.stories import access as story_access


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One home page per role, each showing the way into what that role may do."""
    memberships = Membership.objects.filter(user=request.user).select_related(
        "organisation", "team"
    )
    roles = {m.role for m in memberships}
    studies = request.user.studies.all() if "researcher" in roles else []
    context: dict[str, object] = {"memberships": memberships, "roles": roles, "studies": studies}
    if "professional" in roles or "team_manager" in roles:
        context.update(worklist_context(request))
    if "client" in roles:
        context["questionnaires"] = measurement_selectors.open_client_assessments(request.user)
    if "team_manager" in roles or "org_admin" in roles:
        context["methods"] = Method.objects.all()[:50]
    if "experience_expert" in roles or "educator" in roles:
        context["coding_rounds"] = story_access.coded_rounds(request.user).select_related("study")
        context["dialogue_sessions"] = story_access.invited_dialogues(request.user)
    return render(request, "portal/home.html", context)


@login_required
def trajectory_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The trajectory page: case, goals (GAS), network, contacts, dilemmas and score charts."""
    trajectory = case_access.access_trajectory_by_id(request.user, pk)
    identity = case_access.identity_for(request.user, trajectory.client, case_access.CARE)
    goals = case_selectors.goal_rows(trajectory)
    waves = case_selectors.network_waves(trajectory)
    latest_wave = waves[-1] if waves else None
    method_version = method_services.version_followed(trajectory)
    today = timezone.localdate()
    # The plan and the GAS T-scores once, for the header and the chart, from the goals read
    # for the page.
    course = measurement_selectors.gas_course(
        trajectory, today, records_of([row.goal for row in goals])
    )
    return render(
        request,
        "portal/trajectory_detail.html",
        {
            "trajectory": trajectory,
            "identity": identity,
            "goals": goals,
            "gas": measurement_selectors.gas_summary(trajectory, today, course),
            "contacts": case_selectors.recent_contacts(trajectory),
            "dilemmas": trajectory.dilemmas.all()[:20],
            "waves": waves,
            "network_svg": network_svg(latest_wave.members, trajectory.client.pseudonym)
            if latest_wave
            else None,
            "can_write": trajectory.lead_professional_id == request.user.pk,
            "can_manage": trajectory.lead_professional_id == request.user.pk
            or trajectory.team_id in managed_team_ids(request.user),
            "consents": trajectory.client.consents.select_related("study", "text").order_by(
                "given_at"
            ),
            "charts": score_charts(trajectory, today, course=course),
            "method_version": method_version,
            "fidelity": method_selectors.fidelity_over_time(trajectory),
        },
    )


def _who_may_see(trajectories: list[Trajectory]) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    for t in trajectories:
        people.append(
            {
                "who": t.lead_professional.get_full_name() or t.lead_professional.username,
                "why": "lead",
            }
        )
        for m in Membership.objects.filter(team=t.team, role=Role.TEAM_MANAGER).select_related(
            "user"
        ):
            people.append({"who": m.user.get_full_name() or m.user.username, "why": "manager"})
    return people


@login_required
def me(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The client's own page, in plain language: my goals, my network, my data, my consents."""
    client = case_access.own_client_record(request.user)
    trajectories = list(
        client.trajectories.select_related("lead_professional", "team").order_by("-start")
    )
    current = trajectories[0] if trajectories else None
    goals = case_selectors.goal_rows(current) if current else []
    waves = case_selectors.network_waves(current) if current else []
    consents = client.consents.select_related("study").order_by("-given_at")
    return render(
        request,
        "portal/me.html",
        {
            "client": client,
            "trajectory": current,
            "goals": goals,
            "waves": waves,
            "network_svg": network_svg(waves[-1].members, "Ik") if waves else None,
            "network_change": case_selectors.network_change(waves),
            "consents": consents,
            "who_may_see": _who_may_see(trajectories),
            "who_looked": who_looked(client, limit=50),
            "charts": score_charts(current, timezone.localdate(), informant="client"),
        },
    )


def _my_data_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    client = case_access.own_client_record(request.user)
    context = readable(client, current_language())
    context["who_looked"] = by_day(who_looked(client))
    return context


@login_required
def me_data_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """'My data': everything stored about the client, as a page they can read."""
    context = _my_data_context(request)
    log_access(request.user, "view", context["client"], "own data page")
    return render(request, "portal/my_data.html", context)


@login_required
def me_data_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The same page as a PDF to keep or print."""
    from weasyprint import HTML

    context = _my_data_context(request)
    log_access(request.user, "export", context["client"], "own data PDF")
    html = render_to_string("portal/my_data.html", {**context, "pdf": True}, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    return attachment(pdf, f"mijn-gegevens-{context['client'].pseudonym}.pdf", "application/pdf")


@login_required
def me_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything stored about the client, as one JSON file to download."""
    client = case_access.own_client_record(request.user)
    log_access(request.user, "export", client, "own data download")
    data = own_data(client)
    data["who_looked_at_my_file"] = [
        {**row, "when": row["when"].isoformat()} for row in who_looked(client)
    ]
    return attachment(
        json.dumps(data, ensure_ascii=False, indent=2),
        f"mijn-gegevens-{client.pseudonym}.json",
        "application/json",
    )


@login_required
def programme_map(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The map holds no personal data: every logged-in user may read it, except a
    # network member, whose account exists only to answer through one-time links.
    roles = request.user.roles()
    if roles and roles <= {Role.NETWORK_MEMBER}:
        raise PermissionDenied
    return render(
        request,
        "portal/programme_map.html",
        {
            "angles": selectors.programme_map(),
            "kinds": StakeholderKind.choices,
            # A client reads the map too, but not a study's page: no link that answers 403.
            "link_studies": request.user.has_role(*programme_access.STUDY_READERS),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Register a new client: identifying details, their request, and their first
    trajectory, which opens with the care consent recorded (who, when, which text)."""
    teams = case_access.registration_teams(request.user)
    if not teams.exists():
        raise PermissionDenied
    team_ids = list(teams.values_list("pk", flat=True))
    leads = User.objects.filter(
        memberships__team_id__in=team_ids, memberships__role=Role.PROFESSIONAL, is_active=True
    ).distinct()
    if not request.user.has_role(Role.TEAM_MANAGER):
        leads = leads.filter(pk=request.user.pk)
    form = ClientRegistrationForm(request.POST or None, teams=teams, leads=leads)
    chosen = teams.first()
    if form.is_bound and form.is_valid():
        chosen = form.cleaned_data["team"]
    assert chosen is not None
    language = current_language()
    shown = programme_services.care_consent_text(chosen.organisation)
    status = 200
    if request.method == "POST":
        status = 400
        shown_id = request.POST.get("consent_text")
        if form.is_valid() and str(shown.pk) != shown_id:
            form.add_error(
                None,
                _(
                    "The consent text for this team's organisation differs from the one "
                    "shown. Nothing was saved: read the text below with the client and "
                    "confirm again."
                ),
            )
        elif form.is_valid():
            data = dict(form.cleaned_data)
            data.pop("care_consent")
            try:
                with transaction.atomic():
                    trajectory = case_services.client_register(user=request.user, **data)
                    programme_services.care_consent_record(
                        client=trajectory.client, user=request.user, shown=shown, language=language
                    )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request,
                    _("Client %(pseudonym)s is registered and the trajectory is open.")
                    % {"pseudonym": trajectory.client.pseudonym},
                )
                return redirect("casework:trajectory", pk=trajectory.pk)
    return render(
        request,
        "portal/client_new.html",
        {"form": form, "consent_text": shown, "consent_wording": shown.text_in(language)},
        status=status,
    )
