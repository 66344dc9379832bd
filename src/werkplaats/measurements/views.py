"""Measurement pages: thin views over access, services and selectors.

The three forms share one template: the client's (phone first, plain words, one
question per screen as an option), the professional's (compact, fast with the keyboard)
and the network member's (through a one-time link, nothing else on the page). Every
answer is posted the moment it is given, so a closed browser loses nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.casework import access as case_access
from werkplaats.casework.models import Method
from werkplaats.core.audit import log_access
from werkplaats.core.downloads import attachment
from werkplaats.core.i18n import current_language
from werkplaats.core.versioning import ConcurrentEditError, stale_form_response
from werkplaats.instruments.formats import fhir, redcap
from werkplaats.instruments.models import Instrument
from werkplaats.measurements import access, charts, selectors, services
from werkplaats.measurements.answers_import import (
    MAX_RECORD_BYTES,
    AnswersImportError,
    fhir_import,
    redcap_import,
)
from werkplaats.measurements.charts import informant_label
from werkplaats.measurements.forms import AnswersImportForm, MethodScheduleForm, PlanForm, StartForm
from werkplaats.measurements.models import (
    Assessment,
    Informant,
    MethodSchedule,
    planned_entries,
)
from werkplaats.measurements.schedule import wave_words
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stats.definition import pick_text
from werkplaats.stats.scoring import completeness, progress, score

# ---------------------------------------------------------------- the professional's pages


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
    instruments = list(Instrument.objects.exclude(kind="template").order_by("slug"))
    instruments += list(Instrument.objects.filter(kind="template").order_by("slug"))
    initial = {
        "version": plan.version,
        "planned": [
            f"{p.instrument.slug}|{p.informant}" for p in plan.planned.select_related("instrument")
        ],
    }
    form = PlanForm(request.POST or None, instance=plan, initial=initial, instruments=instruments)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        data.pop("planned")
        try:
            services.plan_update(
                plan=plan,
                user=request.user,
                expected_version=version,
                fields=data,
                planned=form.planned_pairs(),
            )
        except ConcurrentEditError as exc:
            return stale_form_response(
                request,
                form,
                exc,
                "measurements/plan_form.html",
                {"trajectory": trajectory, "form": form},
            )
        messages.success(request, _("The measurement plan was saved."))
        return redirect("measurements:trajectory", pk=pk)
    return render(request, "measurements/plan_form.html", {"trajectory": trajectory, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def method_schedule(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The default measurement plan of a method, for the trajectories that follow it."""
    access.require_schedule_editor(request.user)
    method = Method.objects.filter(pk=pk).first()
    if method is None:
        raise Http404
    schedule = MethodSchedule.objects.filter(method=method).first()
    entries = planned_entries(schedule)
    initial = {"planned": [f"{e['instrument']}|{i}" for e in entries for i in e["informants"]]}
    instruments = list(Instrument.objects.order_by("kind", "slug"))
    form = MethodScheduleForm(
        request.POST or None, instance=schedule, initial=initial, instruments=instruments
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("planned")
        services.method_schedule_save(
            method=method, user=request.user, fields=data, instruments=form.instrument_entries()
        )
        messages.success(request, _("The default plan of this method was saved."))
        return redirect("measurements:method_schedule", pk=pk)
    return render(request, "measurements/method_schedule.html", {"method": method, "form": form})


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


# ---------------------------------------------------------------- the forms


def licence_summary(code: str) -> str:
    """What a licence code means for the reader, in the page's language."""
    summaries = {
        "public-domain": _("Anyone may use these questions freely: they belong to everyone."),
        "free-with-attribution": _(
            "These questions may be used free of charge, as long as the makers are named."
        ),
        "bring-your-own-licence": _(
            "The organisation that asks these questions has permission from the makers."
        ),
        "free-method": _("This is a way of working that anyone may use freely."),
    }
    return summaries.get(code, _("The makers of these questions set the rules for their use."))


def _form_context(
    request: HttpRequest, assessment: Assessment, urls: dict[str, str], *, bare: bool
) -> dict[str, Any]:
    definition = assessment.version.parsed
    language = current_language()
    answers = assessment.answer_map()
    # A question the branching hides is not asked: it is left out of the page (without
    # script) and hidden (with script, until an answer makes it apply).
    shown = definition.relevant_ids(answers)
    first = definition.languages[0] if definition.languages else "nl"
    questions = []
    number = 0
    for item in definition.items:
        if item.type in ("calculated",) or (item.type == "file"):
            continue
        if item.id not in shown and item.type == "display":
            continue
        if item.answerable:
            number += 1
        answer = answers.get(item.id)
        questions.append(
            {
                "id": item.id,
                "type": item.type,
                "number": number if item.answerable else None,
                "text": definition.item_text(item.id, assessment.informant, language),
                "note": pick_text(item.note, language, first),
                "section": pick_text(item.section, language, first),
                "options": [
                    (str(o.value), pick_text(o.label, language, first))
                    for o in definition.options_for(item, answers)
                ],
                "answer": answer,
                "chosen": [str(c) for c in answer]
                if isinstance(answer, list)
                else ([] if answer is None else [str(answer)]),
                "text_answer": "" if answer is None or isinstance(answer, list) else str(answer),
                "required": definition.is_required(item, answers),
                "hidden": item.id not in shown,
                "dropdown": item.appearance in ("dropdown", "minimal"),
                "min": (item.validation or {}).get("min", 0 if item.type == "slider" else ""),
                "max": (item.validation or {}).get("max", 100 if item.type == "slider" else ""),
            }
        )
    questions = [q for q in questions if not q["hidden"] or q["type"] != "display"]
    asked = [q for q in questions if not q["hidden"]]
    one = request.GET.get("one") == "1" and bool(asked)
    if one:
        questions = asked
    current = None
    if one:
        try:
            current = max(0, min(int(request.GET.get("q", "")), len(questions) - 1))
        except ValueError:
            # Resume where it stopped: the first question without an answer.
            current = next(
                (i for i, q in enumerate(questions) if q["answer"] is None and q["number"]),
                len(questions) - 1,
            )
    answered, total = progress(definition, answers)
    variant = (definition.data.get("informants") or {}).get(assessment.informant) or {}
    return {
        "assessment": assessment,
        # A client or network member reads the plain title; a professional the scientific one.
        "title": pick_text(definition.data["title"], language)
        if assessment.informant == Informant.PROFESSIONAL
        else definition.client_title(language),
        "description": ""
        if assessment.informant == Informant.PROFESSIONAL
        else definition.client_description(language),
        "when": ""
        if assessment.informant == Informant.PROFESSIONAL
        else wave_words(assessment.wave),
        "instructions": pick_text(variant.get("instructions"), language),
        # A definition without the page's language shows its own: marked for screen readers.
        "text_lang": "" if language in definition.languages else first,
        "questions": [questions[current]] if current is not None else questions,
        "all_count": len(questions),
        "one": one,
        "current": current,
        "previous_q": current - 1 if current else None,
        "next_q": current + 1 if current is not None and current + 1 < len(questions) else None,
        "answered": answered,
        "total": total,
        "urls": urls,
        "bare": bare,
        "compact": assessment.informant == Informant.PROFESSIONAL,
        "licence": licence_summary(definition.data["licence"]["code"]),
        "licence_statement": definition.data["licence"]["statement"],
        "citation": definition.data["citation"],
    }


def _save_posted(assessment: Assessment, data: Any) -> list[str]:
    """The no-script path: save every answer in the form; return plain error messages."""
    errors = []
    for item in assessment.version.parsed.answerable_items:
        if item.type == "multiple":
            value: Any = [v for v in data.getlist(item.id) if v != ""]
            if item.id not in data and f"{item.id}__shown" not in data:
                continue
            if not value:
                services.answer_clear(assessment=assessment, item_id=item.id)
                continue
        elif item.id in data and data[item.id] != "":
            value = data[item.id]
        else:
            continue
        try:
            services.answer_save(assessment=assessment, item_id=item.id, value=value)
        except ValidationError as exc:
            if exc.code != "hidden":
                errors += exc.messages
    return errors


def _fill(
    request: HttpRequest, assessment: Assessment, urls: dict[str, str], *, bare: bool
) -> HttpResponse:
    if assessment.complete:
        return _done(request, assessment, bare=bare)
    errors: list[str] = []
    if request.method == "POST":
        errors = _save_posted(assessment, request.POST)
        if "send" in request.POST and not errors:
            return _complete(request, assessment, urls, bare=bare)
        target = request.POST.get("next", "")
        if not errors and target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
            return redirect(target)
    context = _form_context(request, assessment, urls, bare=bare)
    context["errors"] = errors
    return render(request, "measurements/fill.html", context, status=400 if errors else 200)


def _answer(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    item_id = request.POST.get("item", "")
    value: Any = request.POST.get("value", "")
    values = request.POST.getlist("values")
    if values or request.POST.get("multiple") == "1":
        value = [v for v in values if v != ""] or ""
    try:
        if value == "":
            services.answer_clear(assessment=assessment, item_id=item_id)
        else:
            services.answer_save(assessment=assessment, item_id=item_id, value=value)
    except ValidationError as exc:
        return JsonResponse({"ok": False, "error": " ".join(exc.messages)}, status=400)
    definition = assessment.version.parsed
    answers = assessment.answer_map()
    answered, total = progress(definition, answers)
    shown = definition.relevant_ids(answers)
    return JsonResponse(
        {
            "ok": True,
            "answered": answered,
            "total": total,
            # the branching after this answer: the page shows these and hides the rest
            "shown": [i.id for i in definition.items if i.id in shown],
            "required": completeness(definition, answers).missing_required,
        }
    )


def _complete(
    request: HttpRequest, assessment: Assessment, urls: dict[str, str], *, bare: bool
) -> HttpResponse:
    user = getattr(request, "user", None)
    try:
        services.assessment_complete(
            assessment=assessment, user=user if user and user.is_authenticated else None
        )
    except ValidationError as exc:
        context = _form_context(request, assessment, urls, bare=bare)
        context["errors"] = exc.messages
        context["missing"] = (exc.params or {}).get("missing", []) if hasattr(exc, "params") else []
        return render(request, "measurements/fill.html", context, status=400)
    assessment.refresh_from_db()
    if assessment.informant == Informant.PROFESSIONAL:
        messages.success(request, _("Your rating was saved."))
        return redirect("measurements:trajectory", pk=assessment.trajectory_id)
    return _done(request, assessment, bare=bare)


def _done(request: HttpRequest, assessment: Assessment, *, bare: bool) -> HttpResponse:
    """Thanks, and for the client something back at once: their score in plain words."""
    context: dict[str, Any] = {"assessment": assessment, "bare": bare, "result": None}
    if assessment.informant == Informant.CLIENT and assessment.complete:
        language = current_language()
        definition = assessment.version.parsed
        scale = definition.primary_scale
        if scale is None:
            return render(request, "measurements/done.html", context)
        now = score(definition, assessment.answer_map())[scale.id]
        previous = (
            Assessment.objects.filter(
                trajectory=assessment.trajectory,
                instrument=assessment.instrument,
                informant=Informant.CLIENT,
                status="complete",
                wave_date__lt=assessment.wave_date,
            )
            .order_by("-wave_date")
            .select_related("version")
            .first()
        )
        before = (
            score(previous.version.parsed, previous.answer_map()).get(scale.id)
            if previous
            else None
        )
        trend = None
        if before is not None and before.value is not None and now.value is not None:
            better = (now.value > before.value) == (scale.higher_is == "better")
            trend = "same" if now.value == before.value else ("better" if better else "worse")
        low, high = definition.scale_range(scale)
        context["result"] = {
            "label": pick_text(scale.label, language),
            "value": now.value,
            "low": low,
            "high": high,
            "band": pick_text(now.band.label, language) if now.band else "",
            "higher_is_better": scale.higher_is == "better",
            "trend": trend,
        }
    return render(request, "measurements/done.html", context)


def _user_urls(assessment: Assessment) -> dict[str, str]:
    return {
        "fill": reverse("measurements:fill", kwargs={"pk": assessment.pk}),
        "answer": reverse("measurements:answer", kwargs={"pk": assessment.pk}),
        "complete": reverse("measurements:complete", kwargs={"pk": assessment.pk}),
    }


@login_required
@require_http_methods(["GET", "POST"])
def fill(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = access.access_assessment_for_answering(request.user, pk)
    return _fill(request, assessment, _user_urls(assessment), bare=False)


@login_required
@require_POST
def answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = access.access_assessment_for_answering(request.user, pk)
    return _answer(request, assessment)


@login_required
@require_POST
def complete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assessment = access.access_assessment_for_answering(request.user, pk)
    return _complete(request, assessment, _user_urls(assessment), bare=False)


# ---------------------------------------------------------------- the one-time link


def _link_or_gone(request: HttpRequest, token: str) -> Assessment | HttpResponse:
    try:
        return access.access_link(token).assessment
    except access.LinkGone as gone:
        return render(
            request,
            "measurements/link_gone.html",
            {"reason": gone.reason, "bare": True},
            status=410,
        )


def _link_urls(token: str) -> dict[str, str]:
    return {
        "fill": reverse("measurements:link", kwargs={"token": token}),
        "answer": reverse("measurements:link_answer", kwargs={"token": token}),
        "complete": reverse("measurements:link_complete", kwargs={"token": token}),
    }


@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    found = _link_or_gone(request, token)
    if isinstance(found, HttpResponse):
        return found
    response = _fill(request, found, _link_urls(token), bare=True)
    # The token must not leak to other sites, but the page's own forms must post with a
    # real Origin: "no-referrer" makes browsers send "Origin: null", which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_POST
def link_answer(request: HttpRequest, token: str) -> HttpResponse:
    found = _link_or_gone(request, token)
    if isinstance(found, HttpResponse):
        return JsonResponse(
            {"ok": False, "error": _("This link can no longer be used.")}, status=410
        )
    return _answer(request, found)


@require_POST
def link_complete(request: HttpRequest, token: str) -> HttpResponse:
    found = _link_or_gone(request, token)
    if isinstance(found, HttpResponse):
        return found
    return _complete(request, found, _link_urls(token), bare=True)


__all__ = ["informant_label"]


# ---------------------------------------------------------------- answers from other tools


@login_required
@require_http_methods(["GET", "POST"])
def answers_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """REDCap records or FHIR responses in, for researchers and organisation admins."""
    organisations = access.answer_import_organisations(request.user)
    form = AnswersImportForm(
        request.POST or None, request.FILES or None, organisations=organisations
    )
    context: dict[str, Any] = {"form": form}
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "measurements/answers_import.html", context, status=400)
        data = form.cleaned_data
        read = lambda name: data[name].read(MAX_RECORD_BYTES + 1) if data.get(name) else None  # noqa: E731
        try:
            if data["source"] == "redcap":
                report = redcap_import(
                    dictionary=read("dictionary") or b"",
                    records=read("records") or b"",
                    events=read("events"),
                    organisation=data["organisation"],
                    user=request.user,
                    dry_run=data["dry_run"],
                )
            else:
                report = fhir_import(
                    files=[(data["responses"].name or "fhir.json", read("responses") or b"")],
                    organisation=data["organisation"],
                    user=request.user,
                    dry_run=data["dry_run"],
                )
        except AnswersImportError as exc:
            report = exc.report
            status = 400
            context["rejected"] = True
        else:
            if not data["dry_run"]:
                log_access(
                    request.user, "create", data["organisation"], f"answers import {data['source']}"
                )
        language = current_language()
        context["report"] = report
        context["rejected_lines"] = [r.text(language) for r in report.rejected]
        context["note_lines"] = [n.text(language) for n in report.notes]
        context["dry_run"] = data["dry_run"]
    return render(request, "measurements/answers_import.html", context, status=status)
