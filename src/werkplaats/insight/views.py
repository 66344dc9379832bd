"""Insight pages: the study report and its exports, realist synthesis, and feedback."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.core.downloads import attachment
from werkplaats.insight import (
    access,
    feedback,
    measure_feedback,
    selectors,
    services,
    tasks,
)
from werkplaats.insight import (
    municipality as municipality_outcomes,
)
from werkplaats.insight.exports import FORMATS, export_bytes
from werkplaats.insight.forms import CmoForm, MeasuresForm, PlanForm, plan_initial
from werkplaats.insight.models import AnalysisPlan, CmoConfiguration
from werkplaats.insight.plan import formula_preview
from werkplaats.insight.report import ReportError, model_export, render_pdf
from werkplaats.insight.variables import definitions
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.programme.models import Study


def _cmo_table(study: Study, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"cmos": selectors.cmo_rows(study, evidence)}


@login_required
def study_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The latest stored run of the study's report, at once; a button builds a new one."""
    study = access.access_study_report(request.user, pk)
    run = selectors.latest_run(study)
    plan_row = selectors.current_plan(study)
    context = {
        "study": study,
        "run": run,
        "plan_row": plan_row,
        "formats": list(FORMATS),
        "report": _cmo_table(study, run.evidence if run else {}),
        "cmo_list": CmoConfiguration.objects.filter(study=study),
        "stale": bool(run and plan_row and run.plan_id != plan_row.pk),
        "build": tasks.latest_build(study),
    }
    return render(request, "insight/study.html", context)


@login_required
@require_POST
def study_build(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Queue a new build of the report as the current plan says; the page shows its state."""
    study = access.access_study_report(request.user, pk, "report build", action="export")
    if selectors.current_plan(study) is None:
        messages.error(
            request,
            _(
                "This study has no analysis plan yet, so no report can be built. Write the plan first."
            ),
        )
        return redirect("insight:study", pk=study.pk)
    run = tasks.build_report(
        study.pk,
        user=request.user,
        language=translation.get_language() or "nl",
        pdf=False,
        out_dir=settings.REPORTS_DIR,
    )
    if run.status == run.Status.DONE:
        messages.success(request, _("A new report was built and stored."))
    elif run.status == run.Status.FAILED:
        messages.error(request, run.error)
    else:
        messages.info(request, _("The report is being built; this page shows when it is ready."))
    return redirect("insight:study", pk=study.pk)


@login_required
def study_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_report(request.user, pk, "report pdf", action="export")
    run = selectors.latest_run(study)
    if run is None:
        raise Http404
    html = render_to_string("insight/report_stored.html", {"study": study, "run": run})
    try:
        pdf = render_pdf(html)
    except ReportError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return attachment(pdf, f"study-{study.pk}-report.pdf", "application/pdf")


@login_required
def study_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    study = access.access_study_report(request.user, pk, f"export {fmt}", action="export")
    if fmt not in FORMATS:
        raise Http404
    try:
        frame, labels, values = model_export(study)
    except ReportError as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain; charset=utf-8")
    name, mime = FORMATS[fmt]
    body = export_bytes(frame, fmt, labels=labels, values=values)
    return attachment(body, f"study-{study.pk}-{name}", mime)


MIN_GROUPS = 5


def _plan_form(
    request: AuthenticatedHttpRequest, ctx: Any, current: Any
) -> tuple[PlanForm, list[tuple[str, str]]]:
    """The plan form with only what the data hold, and what is left out with the reason."""
    left_out: list[tuple[str, str]] = []
    outcomes = [
        (
            f"{o.instrument}|{o.scale}|{o.informant}",
            f"{o.instrument} · {o.scale} · {selectors.informant_label(o.informant)} ({o.clients})",
        )
        for o in ctx.outcomes
        if o.clients > 0
    ]
    if ctx.gas_clients:
        outcomes.append(
            ("gas_t", _("goal attainment (GAS T-score) (%(n)s)") % {"n": ctx.gas_clients})
        )
    else:
        left_out.append(("gas_t", _("no client of this study has goal attainment scores")))
    plan = current.plan if current else None
    if plan is not None:
        key = (
            "gas_t"
            if plan.outcome.is_gas
            else f"{plan.outcome.instrument}|{plan.outcome.scale}|{plan.outcome.informant}"
        )
        if key not in dict(outcomes):
            outcomes.append(
                (key, _("%(o)s (in the plan; no data yet)") % {"o": key.replace("|", " · ")})
            )
    if not outcomes:
        left_out.append(("outcome", _("no completed questionnaire of a consenting client yet")))
    variables: dict[str, list[tuple[str, str]]] = {"client": [], "process": [], "context": []}
    in_plan = set(plan.variables()) if plan else set()
    for v in ctx.variables:
        if v.clients > 0 or v.name in in_plan:
            variables[v.level].append((v.name, f"{v.name} — {v.description} ({v.clients})"))
        else:
            left_out.append((v.name, _("no client of this study has a value")))
    groups = []
    for g in ("professional", "team", "organisation", "municipality"):
        n = ctx.group_levels.get(g, 0)
        if n >= MIN_GROUPS:
            groups.append((g, f"{g} ({n})"))
        else:
            left_out.append(
                (
                    g,
                    _("only %(n)s in the data; a random effect needs %(min)s")
                    % {"n": n, "min": MIN_GROUPS},
                )
            )
    initial = (
        plan_initial(plan, current.version)
        if plan
        else {"centring": "grand_mean", "base_version": 0}
    )
    form = PlanForm(
        request.POST or None, initial=initial, outcomes=outcomes, variables=variables, groups=groups
    )
    return form, left_out


@login_required
@require_http_methods(["GET", "POST"])
def plan_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The study's analysis plan: the form, the lme4 formula it fits, its versions."""
    study = access.access_study_report(request.user, pk, "analysis plan")
    current = selectors.current_plan(study)
    ctx = selectors.plan_context(study)
    form, left_out = _plan_form(request, ctx, current)
    kinds = ctx.kinds()
    problems: list[str] = []
    preview = formula_preview(current.plan, kinds) if current else ""
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.parse_plan_text(json.dumps(form.plan_data()))
        except services.PlanRefused as exc:
            problems = exc.problems
        else:
            preview = formula_preview(plan, kinds)
            if "save" in request.POST:
                try:
                    row = services.plan_set(
                        study=study,
                        plan=plan,
                        user=request.user,
                        base_version=form.cleaned_data.get("base_version") or 0,
                    )
                except services.PlanRefused as exc:
                    problems = exc.problems
                else:
                    messages.success(
                        request,
                        _("Stored version %(v)s of the analysis plan.") % {"v": row.version},
                    )
                    return redirect("insight:plan", pk=study.pk)
    versions = list(AnalysisPlan.objects.filter(study=study).order_by("-version"))
    return render(
        request,
        "insight/plan.html",
        {
            "study": study,
            "form": form,
            "current": current,
            "versions": versions,
            "preview": preview,
            "problems": problems,
            "left_out": left_out,
        },
        status=409 if problems and "save" in request.POST else 200,
    )


@login_required
@require_POST
def plan_lock(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Pre-register the study's current plan."""
    study = access.access_study_report(request.user, pk, "analysis plan lock", action="change")
    try:
        row = services.plan_lock(study=study, user=request.user)
    except services.PlanRefused as exc:
        messages.error(request, " ".join(exc.problems))
    else:
        messages.success(
            request,
            _("Version %(v)s of the plan is pre-registered (sha256 %(hash)s).")
            % {"v": row.version, "hash": row.content_hash[:12]},
        )
    return redirect("insight:plan", pk=study.pk)


@login_required
def plan_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The current plan as a werkplaats.plan/1 file."""
    study = access.access_study_report(request.user, pk, "analysis plan file", action="export")
    current = selectors.current_plan(study)
    if current is None:
        raise Http404
    return attachment(
        current.plan.to_yaml(),
        f"study-{study.pk}-plan-v{current.version}.yaml",
        "application/yaml; charset=utf-8",
    )


def _cmo_form(request: AuthenticatedHttpRequest, study, instance=None):  # type: ignore[no-untyped-def]
    terms = sorted(build_terms(study))
    return CmoForm(request.POST or None, instance=instance, study=study, terms=terms)


def build_terms(study: Study) -> list[str]:
    """The estimates a CMO configuration can point to under the study's current plan."""
    row = selectors.current_plan(study)
    if row is None:
        return []
    plan = row.plan
    kinds = {v.name: v.kind for v in definitions()}
    col = {
        n: n if kinds.get(n) == "indicator" or plan.centring == "none" else f"{n}_c"
        for n in plan.moderators()
    }
    mods = [col[n] for n in plan.moderators()] + [
        f"{col[a]}:{col[b]}" for a, b in plan.interactions
    ]
    terms = ["time", *mods, *(f"time:{m}" for m in mods)]
    return terms + [f"indirect:{x}->{m}" for x, m in plan.mediators]


@login_required
@require_http_methods(["GET", "POST"])
def cmo_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_report(request.user, pk, "cmo")
    form = _cmo_form(request, study)
    if request.method == "POST" and form.is_valid():
        services.cmo_create(study=study, user=request.user, **form.cleaned_data)
        return redirect("insight:study", pk=study.pk)
    return render(request, "insight/cmo_form.html", {"form": form, "study": study})


@login_required
@require_http_methods(["GET", "POST"])
def cmo_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    cmo = access.access_cmo_by_id(request.user, pk)
    form = _cmo_form(request, cmo.study, cmo)
    if request.method == "POST" and form.is_valid():
        services.cmo_update(cmo=cmo, user=request.user, **form.cleaned_data)
        return redirect("insight:study", pk=cmo.study_id)
    return render(request, "insight/cmo_form.html", {"form": form, "study": cmo.study})


def _pdf(template: str, context: dict[str, Any], request: Any, filename: str) -> HttpResponse:
    """The page's print template as a PDF; a plain 503 where WeasyPrint cannot run."""
    html = render_to_string(template, context, request=request)
    try:
        pdf = render_pdf(html)
    except ReportError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return attachment(pdf, filename, "application/pdf")


@login_required
def progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The professional's progress page; ``?download=csv`` or ``pdf`` for a download."""
    download = request.GET.get("download")
    download = download if download in ("csv", "pdf") else None
    trajectory = access.access_progress(request.user, pk, download=download)
    today = timezone.localdate()
    data = feedback.professional_progress(trajectory, today)
    context = {"p": data, "trajectory": trajectory, "today": today}
    filename = f"progress-{slugify(trajectory.client.pseudonym) or trajectory.pk}"
    if download == "csv":
        return attachment(
            measure_feedback.progress_csv(trajectory, data.measures),
            f"{filename}.csv",
            "text/csv; charset=utf-8",
        )
    if download == "pdf":
        return _pdf("insight/progress_print.html", context, request, f"{filename}.pdf")
    return render(request, "insight/progress.html", context)


@login_required
def my_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = access.access_own_progress(request.user)
    return render(
        request, "insight/my_progress.html", feedback.client_progress(client.trajectories.all())
    )


def _unit_page(
    request: AuthenticatedHttpRequest,
    name: str,
    trajectories: Any,
    organisation: Any,
    *,
    not_on_track: bool,
    measures_url: str = "",
) -> HttpResponse:
    """A team's or organisation's feedback: process figures beside the workplace, change on
    the organisation's outcome measures; ``?download=csv`` or ``pdf`` for a download."""
    unit, whole = selectors.unit_feedback(trajectories)
    outcomes = feedback.unit_outcomes(trajectories, organisation, not_on_track=not_on_track)
    context = {
        "name": name,
        "unit": unit,
        "whole": whole,
        "outcomes": outcomes,
        "show_list": not_on_track,
        "measures_url": measures_url,
    }
    download = request.GET.get("download")
    filename = slugify(name) or "feedback"
    if download == "csv":
        return attachment(
            feedback.outcomes_csv(name, outcomes),
            f"{filename}-feedback.csv",
            "text/csv; charset=utf-8",
        )
    if download == "pdf":
        return _pdf(
            "insight/unit_feedback_print.html", context, request, f"{filename}-feedback.pdf"
        )
    return render(request, "insight/unit_feedback.html", context)


@login_required
def team_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = access.access_team_feedback(request.user, pk)
    return _unit_page(
        request, team.name, team.trajectories.all(), team.organisation, not_on_track=True
    )


@login_required
def organisation_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = access.access_organisation_feedback(request.user, pk)
    from werkplaats.casework.models import Trajectory

    return _unit_page(
        request,
        organisation.name,
        Trajectory.objects.filter(team__organisation=organisation),
        organisation,
        not_on_track=False,
        measures_url=reverse("insight:measures", kwargs={"pk": organisation.pk}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome_measures(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The organisation's admins choose the outcome measures its feedback follows."""
    organisation = access.access_organisation_feedback(request.user, pk)
    options = selectors.measure_options(organisation)
    form = MeasuresForm(
        request.POST or None,
        options=[(o.key, o.label) for o in options],
        initial={"measures": selectors.chosen_measure_keys(organisation)},
    )
    if request.method == "POST" and form.is_valid():
        services.measures_set(
            organisation=organisation, keys=form.cleaned_data["measures"], user=request.user
        )
        messages.success(request, _("The outcome measures of the feedback are stored."))
        return redirect("insight:organisation", pk=organisation.pk)
    return render(
        request,
        "insight/measures.html",
        {"organisation": organisation, "form": form, "options": options},
    )


@login_required
def municipality(request: AuthenticatedHttpRequest) -> HttpResponse:
    tables = [
        table
        for m in access.municipalities_for(request.user)
        for table in municipality_outcomes.municipality_tables(m)
    ]
    download = request.GET.get("download")
    if download == "csv":
        return attachment(
            measure_feedback.municipality_csv(tables),
            "municipality-outcomes.csv",
            "text/csv; charset=utf-8",
        )
    context = {"tables": tables, "today": timezone.localdate()}
    if download == "pdf":
        return _pdf(
            "insight/municipality_print.html", context, request, "municipality-outcomes.pdf"
        )
    return render(request, "insight/municipality.html", context)
