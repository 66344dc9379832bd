"""Insight pages: the study report and its exports, realist synthesis, and feedback."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from werkplaats.core.downloads import attachment
from werkplaats.insight import access, feedback, selectors, services
from werkplaats.insight.dataset import analysis_frame
from werkplaats.insight.exports import FORMATS, export_bytes
from werkplaats.insight.forms import CmoForm
from werkplaats.insight.report import ReportError, build_report, render_html, render_pdf
from werkplaats.partnership.http import AuthenticatedHttpRequest


@login_required
def study_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_report(request.user, pk)
    report = build_report(study)
    context = report.context() | {"formats": list(FORMATS)}
    return render(request, "insight/study.html", context)


@login_required
def study_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    study = access.access_study_report(request.user, pk, "report pdf", action="export")
    try:
        pdf = render_pdf(render_html(build_report(study)))
    except ReportError as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return attachment(pdf, f"study-{study.pk}-report.pdf", "application/pdf")


@login_required
def study_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    study = access.access_study_report(request.user, pk, f"export {fmt}", action="export")
    if fmt not in FORMATS:
        raise Http404
    name, mime = FORMATS[fmt]
    return attachment(export_bytes(analysis_frame(study), fmt), f"study-{study.pk}-{name}", mime)


def _cmo_form(request: AuthenticatedHttpRequest, study, instance=None):  # type: ignore[no-untyped-def]
    terms = sorted(build_terms())
    return CmoForm(request.POST or None, instance=instance, study=study, terms=terms)


def build_terms() -> list[str]:
    from werkplaats.insight.analysis import DEFAULT_SPEC, MEDIATORS

    spec = DEFAULT_SPEC
    mods = spec.moderators() + [f"{b}:{a}" for a, b in spec.interactions]
    terms = ["time", *mods, *(f"time:{m}" for m in mods)]
    return terms + [f"indirect:{x}->{m}" for x, m in MEDIATORS]


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


@login_required
def progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = access.access_progress(request.user, pk)
    data = feedback.professional_progress(trajectory, timezone.localdate())
    return render(request, "insight/progress.html", {"p": data, "trajectory": trajectory})


@login_required
def my_progress(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = access.access_own_progress(request.user)
    return render(
        request, "insight/my_progress.html", feedback.client_progress(client.trajectories.all())
    )


@login_required
def team_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = access.access_team_feedback(request.user, pk)
    trajectories = team.trajectories.all()
    unit, whole = selectors.unit_feedback(trajectories)
    return render(
        request,
        "insight/unit_feedback.html",
        {
            "name": team.name,
            "unit": unit,
            "whole": whole,
            "change": selectors.mastery_change(trajectories),
        },
    )


@login_required
def organisation_feedback(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = access.access_organisation_feedback(request.user, pk)
    from werkplaats.casework.models import Trajectory

    trajectories = Trajectory.objects.filter(team__organisation=organisation)
    unit, whole = selectors.unit_feedback(trajectories)
    return render(
        request,
        "insight/unit_feedback.html",
        {
            "name": organisation.name,
            "unit": unit,
            "whole": whole,
            "change": selectors.mastery_change(trajectories),
        },
    )


@login_required
def municipality(request: AuthenticatedHttpRequest) -> HttpResponse:
    tables = [feedback.municipality_table(m) for m in access.municipalities_for(request.user)]
    return render(request, "insight/municipality.html", {"tables": tables})
