"""The professional's measurement pages: the trajectory's measurements, its plan, a
method's default plan, starting a questionnaire, and the answers exported for other tools.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.casework import access as case_access
from werkplaats.casework.models import Method
from werkplaats.core.audit import log_access
from werkplaats.core.downloads import attachment
from werkplaats.core.i18n import current_language
from werkplaats.core.versioning import save_form
from werkplaats.instruments.formats import fhir, redcap
from werkplaats.instruments.models import Instrument
from werkplaats.measurements import access, charts, selectors, services
from werkplaats.measurements.forms import MethodScheduleForm, PlanForm, StartForm
from werkplaats.measurements.models import (
    Informant,
    OrganisationSchedule,
    planned_entries,
    schedule_for,
)
from werkplaats.partnership.http import AuthenticatedHttpRequest


@login_required
def trajectory(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = case_access.access_trajectory_by_id(request.user, pk)
    today = timezone.localdate()
    view = selectors.plan_view(trajectory)
    rows = selectors.wave_rows(trajectory, view, today)
    return render(
        request,
        "measurements/trajectory.html",
        {
            "trajectory": trajectory,
            "plan": view,
            "rows": rows,
            "charts": charts.score_charts(trajectory, today),
            "can_write": trajectory.lead_professional_id == request.user.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = case_access.access_trajectory_by_id(request.user, pk, write=True)
    plan = services.plan_for(trajectory)
    # context instruments are answered about a team or organisation, never in a trajectory
    instruments = list(
        Instrument.objects.exclude(kind__in=["template", "context"]).order_by("slug")
    )
    instruments += list(Instrument.objects.filter(kind="template").order_by("slug"))
    initial = {
        "version": plan.version,
        "planned": [
            f"{p.instrument.slug}|{p.informant}" for p in plan.planned.select_related("instrument")
        ],
    }
    form = PlanForm(request.POST or None, instance=plan, initial=initial, instruments=instruments)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        data.pop("planned")
        refused = save_form(
            form,
            lambda: services.plan_update(
                plan=plan,
                user=request.user,
                expected_version=version,
                fields=data,
                planned=form.planned_pairs(),
            ),
        )
        if refused is None:
            messages.success(request, _("The measurement plan was saved."))
            return redirect("measurements:trajectory", pk=pk)
        status = refused
    return render(
        request,
        "measurements/plan_form.html",
        {"trajectory": trajectory, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def method_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An organisation's own measurement plan for a method (its trajectories that follow
    the method start with it); the method's default for everyone is not changed here."""
    organisations = list(access.schedule_organisations(request.user))
    method = Method.objects.filter(pk=pk).first()
    if method is None or not organisations:
        raise Http404
    chosen = request.POST.get("organisation") or request.GET.get("organisation")
    organisation = next((o for o in organisations if str(o.pk) == chosen), organisations[0])
    schedule = schedule_for(method.pk, organisation.pk)
    entries = planned_entries(schedule)
    initial = {"planned": [f"{e['instrument']}|{i}" for e in entries for i in e["informants"]]}
    if isinstance(schedule, OrganisationSchedule):
        own = schedule
    else:  # start from the method's default (or the built-in one)
        copied = (
            {n: getattr(schedule, n) for n in MethodScheduleForm.Meta.fields} if schedule else {}
        )
        own = OrganisationSchedule(method=method, organisation=organisation, **copied)
    instruments = list(Instrument.objects.exclude(kind="context").order_by("kind", "slug"))
    form = MethodScheduleForm(
        request.POST or None, instance=own, initial=initial, instruments=instruments
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("planned")
        services.method_schedule_save(
            method=method,
            organisation=organisation,
            user=request.user,
            fields=data,
            instruments=form.instrument_entries(),
        )
        messages.success(
            request,
            _("The plan of this method for %(organisation)s was saved.")
            % {"organisation": organisation.name},
        )
        return redirect(
            reverse("measurements:method_schedule", args=[pk]) + f"?organisation={organisation.pk}"
        )
    return render(
        request,
        "measurements/method_schedule.html",
        {
            "method": method,
            "form": form,
            "organisation": organisation,
            "organisations": organisations,
        },
    )


@login_required
@require_POST
def assessment_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    trajectory = case_access.access_trajectory_by_id(request.user, pk, write=True)
    form = StartForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("This request was incomplete; go back and try again."), status=400)
    instrument = Instrument.objects.filter(slug=form.cleaned_data["instrument"]).first()
    if instrument is None:
        raise Http404
    try:
        assessment = services.assessment_start(
            trajectory=trajectory,
            instrument=instrument,
            user=request.user,
            informant=form.cleaned_data["informant"],
            wave=form.cleaned_data["wave"],
            wave_date=form.cleaned_data["wave_date"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("measurements:trajectory", pk=pk)
    if assessment.informant == Informant.PROFESSIONAL:
        return redirect("measurements:fill", pk=assessment.pk)
    if assessment.informant == Informant.CLIENT:
        messages.success(request, _("The questionnaire is ready on the client's own page."))
        return redirect("measurements:trajectory", pk=pk)
    if assessment.complete:
        messages.info(request, _("The network member has sent this questionnaire in already."))
        return redirect("measurements:trajectory", pk=pk)
    link, token = services.link_create(assessment=assessment, user=request.user)
    url = request.build_absolute_uri(reverse("measurements:link", kwargs={"token": token}))
    return render(
        request,
        "measurements/link_created.html",
        {"trajectory": trajectory, "assessment": assessment, "url": url, "link": link},
    )


@login_required
def export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A trajectory's answers to one instrument: REDCap records CSV or FHIR responses."""
    trajectory = case_access.access_trajectory_by_id(request.user, pk)
    fmt = request.GET.get("format", "redcap")
    if fmt not in ("redcap", "fhir"):
        return HttpResponse(_("Choose the format redcap or fhir."), status=400)
    instrument = Instrument.objects.filter(
        slug=request.GET.get("instrument", "pearlin-mastery")
    ).first()
    if instrument is None:
        raise Http404
    assessments = list(
        trajectory.assessments.filter(instrument=instrument)
        .select_related("version")
        .prefetch_related("answers")
    )
    version = (
        assessments[-1].version
        if assessments
        else instrument.versions.order_by("-created", "-pk").first()
    )
    if version is None:
        raise Http404
    log_access(request.user, "export", trajectory, f"answers {instrument.slug} {fmt}")
    subject = trajectory.client.pseudonym
    if fmt == "redcap":
        rows = [
            {
                "record_id": subject,
                "event": a.wave,
                "informant": a.informant,
                "complete": a.complete,
                "answers": a.answer_map(),
            }
            for a in assessments
            if a.version_id == version.pk
        ]
        return attachment(
            redcap.write_records(version.parsed, rows),
            f"{instrument.slug}-{subject}-records.csv",
            "text/csv",
        )
    resources = [
        fhir.questionnaire_response(
            a.version.parsed,
            identifier=f"assessment-{a.pk}",
            subject=subject,
            informant=a.informant,
            complete=a.complete,
            authored=(a.completed_at or a.started_at).isoformat(),
            answers=a.answer_map(),
            language=current_language(),
        )
        for a in assessments
    ]
    return attachment(
        json.dumps(fhir.bundle(resources), ensure_ascii=False, indent=2),
        f"{instrument.slug}-{subject}-responses.json",
        "application/fhir+json",
    )
