"""Casework pages: thin views — parse, check access, call a service or selector, render.

The trajectory page itself shows several domains (case, measurements) and lives in the
portal; it keeps its URL name ``casework:trajectory``. So does the contact form
(``casework:contact_new``), which carries the method's fidelity checklist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.casework import access, dilemmas, practice_figures, services
from werkplaats.casework.forms import (
    ClientInviteForm,
    DilemmaForm,
    GoalEditForm,
    GoalForm,
    GoalScoreForm,
    HandOverForm,
    NetworkMemberForm,
    TrajectoryForm,
    TransitionForm,
)
from werkplaats.casework.models import Contact, Dilemma, Trajectory, WorkingPrinciple
from werkplaats.core.downloads import attachment
from werkplaats.core.forms import add_refusal
from werkplaats.core.versioning import save_form
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Role


@login_required
@require_http_methods(["GET", "POST"])
def trajectory_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_by_id(request.user, pk, write=True)
    form = TrajectoryForm(
        request.POST or None, instance=trajectory, initial={"version": trajectory.version}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        groups = data.pop("target_groups")
        refused = save_form(
            form,
            lambda: services.trajectory_update(
                trajectory=trajectory,
                user=request.user,
                expected_version=version,
                fields=data,
                target_groups=groups,
            ),
        )
        if refused is None:
            messages.success(request, _("The trajectory was saved."))
            return redirect("casework:trajectory", pk=pk)
        status = refused
    return render(
        request, "casework/form.html", _ctx(trajectory, form, _("Edit trajectory")), status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_by_id(request.user, pk, write=True)
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.goal_create(
            trajectory=trajectory,
            user=request.user,
            created=timezone.localdate(),
            **form.cleaned_data,
        )
        messages.success(request, _("The goal was saved."))
        return redirect("casework:trajectory", pk=pk)
    return render(request, "casework/form.html", _ctx(trajectory, form, _("New goal")))


@login_required
@require_http_methods(["GET", "POST"])
def goal_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    goal = access.access_goal_by_id(request.user, pk, write=True)
    form = GoalEditForm(request.POST or None, instance=goal, initial={"version": goal.version})
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        refused = save_form(
            form,
            lambda: services.goal_update(
                goal=goal, user=request.user, expected_version=version, fields=data
            ),
        )
        if refused is None:
            messages.success(request, _("The goal was saved."))
            return redirect("casework:trajectory", pk=goal.trajectory_id)
        status = refused
    return render(
        request, "casework/form.html", _ctx(goal.trajectory, form, _("Edit goal")), status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def goal_score(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    goal = access.access_goal_by_id(request.user, pk, write=True)
    form = GoalScoreForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        services.goal_score_add(goal=goal, user=request.user, **form.cleaned_data)
        messages.success(request, _("The score was saved."))
        return redirect("casework:trajectory", pk=goal.trajectory_id)
    context = _ctx(goal.trajectory, form, _("Score goal"))
    context["goal"] = goal
    return render(request, "casework/goal_score.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def dilemma_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_by_id(request.user, pk, write=True)
    form = DilemmaForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        services.dilemma_create(trajectory=trajectory, user=request.user, **form.cleaned_data)
        messages.success(request, _("The dilemma was saved."))
        return redirect("casework:trajectory", pk=pk)
    return render(request, "casework/form.html", _ctx(trajectory, form, _("New dilemma")))


@login_required
@require_http_methods(["GET", "POST"])
def network_member_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_by_id(request.user, pk, write=True)
    form = NetworkMemberForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.network_member_add(
                trajectory=trajectory, user=request.user, date=data.pop("date"), **data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The person was added to the network."))
            return redirect("casework:trajectory", pk=pk)
    return render(
        request, "casework/form.html", _ctx(trajectory, form, _("Add someone to the network"))
    )


def _ctx(trajectory: object, form: object, title: str = "") -> dict[str, object]:
    return {"trajectory": trajectory, "form": form, "title": title}


@login_required
@require_POST
def trajectory_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Close, pause or reopen (the lead professional or the team's manager)."""
    trajectory = access.access_trajectory_to_manage(request.user, pk)
    form = TransitionForm(request.POST)
    status = 400
    if form.is_valid():
        refused = save_form(
            form,
            lambda: services.trajectory_transition(
                trajectory=trajectory,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                action=form.cleaned_data["action"],
                on=form.cleaned_data["end"],
            ),
        )
        if refused is None:
            messages.success(request, _("The trajectory's status was changed."))
            return redirect("casework:trajectory", pk=pk)
        status = refused
    return _manage_page(request, trajectory, status_form=form, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def trajectory_manage(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_to_manage(request.user, pk)
    return _manage_page(request, trajectory)


@login_required
@require_POST
def trajectory_hand_over(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_to_manage(request.user, pk)
    colleagues = access.team_professionals(trajectory.team).exclude(
        pk=trajectory.lead_professional_id
    )
    form = HandOverForm(request.POST, colleagues=colleagues)
    status = 400
    if form.is_valid():
        refused = save_form(
            form,
            lambda: services.trajectory_hand_over(
                trajectory=trajectory,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                to=form.cleaned_data["to"],
            ),
        )
        if refused is None:
            messages.success(
                request,
                _("The trajectory is handed over to %(name)s.")
                % {"name": form.cleaned_data["to"].get_full_name() or form.cleaned_data["to"]},
            )
            if request.user.has_role(Role.TEAM_MANAGER) or request.user == form.cleaned_data["to"]:
                return redirect("casework:trajectory", pk=pk)
            return redirect("casework:caseload")
        status = refused
    return _manage_page(request, trajectory, hand_over_form=form, status=status)


@login_required
@require_POST
def client_invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_trajectory_to_manage(request.user, pk)
    form = ClientInviteForm(request.POST)
    if form.is_valid():
        try:
            account, sent = services.client_invite(
                client=trajectory.client,
                user=request.user,
                organisation=trajectory.team.organisation,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            add_refusal(form, exc)
        else:
            return render(
                request,
                "casework/client_invited.html",
                {"trajectory": trajectory, "invited": account, "sent": sent},
            )
    return _manage_page(request, trajectory, invite_form=form, status=400)


def _manage_page(
    request: AuthenticatedHttpRequest,
    trajectory: Trajectory,
    *,
    status_form: TransitionForm | None = None,
    hand_over_form: HandOverForm | None = None,
    invite_form: ClientInviteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    colleagues = access.team_professionals(trajectory.team).exclude(
        pk=trajectory.lead_professional_id
    )
    initial = {"version": trajectory.version}
    return render(
        request,
        "casework/manage.html",
        {
            "trajectory": trajectory,
            "status_form": status_form
            or TransitionForm(initial={**initial, "end": timezone.localdate()}),
            "hand_over_form": hand_over_form
            or HandOverForm(initial=initial, colleagues=colleagues),
            "invite_form": invite_form or ClientInviteForm(),
            "has_colleagues": colleagues.exists(),
        },
        status=status,
    )


@login_required
def team_dilemmas(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The team's dilemmas without case details; ``?download=csv`` for a deliberation."""
    team, found = access.team_dilemmas(request.user, pk)
    rows = dilemmas.dilemma_rows(found)
    if request.GET.get("download") == "csv":
        return attachment(dilemmas.dilemmas_csv(rows), f"dilemmas_team_{team.pk}.csv", "text/csv")
    context = {"team": team, "rows": rows, "counts": dilemmas.tension_counts(rows)}
    return render(request, "casework/team_dilemmas.html", context)


@login_required
def team_dilemmas_print(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The same overview as a page to print for the deliberation session."""
    team, found = access.team_dilemmas(request.user, pk)
    rows = dilemmas.dilemma_rows(found)
    context = {"team": team, "rows": rows, "counts": dilemmas.tension_counts(rows)}
    return render(request, "casework/team_dilemmas_print.html", context)


@login_required
def dilemmas_across_teams(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Dilemmas by kind of tension per team, organisation or year: protected counts."""
    access.practice_figures_reader(request.user, Dilemma)
    by = request.GET.get("by", "team")
    if by not in practice_figures.GROUPINGS:
        by = "team"
    table = practice_figures.dilemma_table(by)
    groupings = [("team", _("team")), ("organisation", _("organisation")), ("year", _("year"))]
    context = {"by": by, "groupings": groupings, "table": table}
    return render(request, "casework/dilemmas_across_teams.html", context)


@login_required
def working_principles(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Competence figures: how often each team used a working principle, per year."""
    access.practice_figures_reader(request.user, Contact)
    principles = list(WorkingPrinciple.objects.all())
    chosen = next((p for p in principles if p.code == request.GET.get("principle")), None)
    chosen = chosen or (principles[0] if principles else None)
    figures = practice_figures.principle_figures(chosen) if chosen else None
    context = {"principles": principles, "chosen": chosen, "figures": figures}
    return render(request, "casework/working_principles.html", context)
