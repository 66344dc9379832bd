"""The joint display and the case page with the study plan's fitted model (insight.joint).

They compose the stories app's display (themes, quotes, judgements; a case's fragments)
with the latest stored report run's model; the stories app itself does not import insight.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from werkplaats.casework.models import Trajectory
from werkplaats.core.audit import log_access
from werkplaats.core.pseudonyms import study_case_key, study_pseudonym
from werkplaats.insight import selectors, svg
from werkplaats.insight.models import ModelCase
from werkplaats.insight.outcomes import gas_rows, scores_for
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stories import access as story_access
from werkplaats.stories import selectors as story_selectors

DAYS_PER_YEAR = 365.25


@login_required
def joint_display(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Per theme and group: coded fragments and quotes beside the fitted model's growth
    per year of the group's clients (from the study's latest report run)."""
    coding_round = story_access.access_round_for_research(request.user, pk)
    log_access(request.user, "view", coding_round, "joint display with the model")
    study = coding_round.study
    run = selectors.latest_run(study)
    figures: dict[str, Any] = (run.model_groups or {}).get("groups", {}) if run else {}
    _groups, cells = story_selectors.joint_display(coding_round)
    from werkplaats.casework.models import TargetGroup

    names = {g.code: str(g) for g in TargetGroup.objects.all()}
    rows = []
    for cell in cells:
        cases = []
        for quote in cell.quotes:
            trajectory_id = quote.document.source.trajectory_id
            cases.append(study_case_key(study.pk, trajectory_id) if trajectory_id else "")
        rows.append(
            {
                "cell": cell,
                "group": names.get(cell.group, cell.group) if cell.group else "",
                "figure": figures.get(cell.group),
                "quotes": list(zip(cell.quotes, cases, strict=True)),
            }
        )
    return render(
        request,
        "insight/joint_display.html",
        {"round": coding_round, "study": study, "run": run, "rows": rows},
    )


def _since_start(trajectory: Any, frame: Any) -> list[tuple[float, float]]:
    """(years since the start, score) of a trajectory's rows, in time order: no dates."""
    return sorted(
        ((d - trajectory.start).days / DAYS_PER_YEAR, float(v))
        for d, v in zip(frame["wave_date"], frame["score"], strict=True)
    )


@login_required
def case_model(request: AuthenticatedHttpRequest, study: int, case: str) -> HttpResponse:
    """A case's scores on the plan's outcome beside the client's line of fitted values in
    the study's latest report run, and the client's goal attainment (GAS T-scores) beside
    them; as the rest of the page, under the study's key, in years since the start (no
    dates, no goal texts)."""
    study_obj, trajectory = story_access.access_trajectory_case(request.user, study, case)
    run = selectors.latest_run(study_obj)
    plan_row = run.plan if run else None
    key = study_pseudonym(study_obj.pk, trajectory.client_id)
    fit = ModelCase.objects.filter(run=run, client=key).first() if run else None
    outcome = plan_row.plan.outcome if plan_row else None
    # GAS T-scores at every date a goal was scored (the analysis data's rule)
    gas = _since_start(trajectory, gas_rows(Trajectory.objects.filter(pk=trajectory.pk)))
    points: list[tuple[float, float]] = []
    if outcome is not None and outcome.is_gas:
        points = gas  # the plan's outcome is goal attainment: the fitted line is in T-scores
    elif outcome is not None:
        s = scores_for([trajectory], outcome.instrument, outcome.scale, outcome.informant)
        points = _since_start(trajectory, s[s["score"].notna()])
    outcome_label = _("goal attainment (GAS T-score)") if outcome and outcome.is_gas else ""
    if outcome is not None and not outcome.is_gas:
        outcome_label = f"{outcome.instrument} · {outcome.scale}"
    figure = ""
    if fit is not None:
        times = [t for t, _v in points] or [0.0, 1.0]
        start, end = min(times), max(max(times), min(times) + 0.25)
        series = {_("fitted by the model"): [(start, fit.at(start)), (end, fit.at(end))]}
        if points:
            series[_("scores")] = points
        figure = svg.lines(
            series,
            _("Scores and the model's fitted line"),
            _("years since the start"),
            outcome_label,
        )
    # beside an instrument's scores, the goal attainment on its own scale (20-80)
    gas_beside = gas if outcome is None or not outcome.is_gas else []
    gas_figure = ""
    if len(gas_beside) >= 2:
        gas_figure = svg.lines(
            {_("goal attainment"): gas_beside},
            _("Goal attainment (GAS T-score)"),
            _("years since the start"),
            _("GAS T-score"),
            y_range=(20, 80),
        )
    log_access(request.user, "view", trajectory, "case with the model")
    return render(
        request,
        "insight/case_model.html",
        {
            "study": study_obj,
            "case": case,
            "label": key,
            "run": run,
            "fit": fit,
            "rows": [(t, v, fit.at(t) if fit else None) for t, v in points],
            "figure": figure,
            "outcome": outcome,
            "outcome_label": outcome_label,
            "gas": gas_beside,
            "gas_figure": gas_figure,
        },
    )
