"""The questionnaire forms: one template for three people.

The client's (phone first, plain words, one question per screen as an option), the
professional's (compact, fast with the keyboard) and the network member's (through a
one-time link, nothing else on the page). Every answer is posted the moment it is given,
so a closed browser loses nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from werkplaats.core.i18n import current_language
from werkplaats.measurements import access, services
from werkplaats.measurements.models import Assessment, Informant
from werkplaats.measurements.schedule import wave_words
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stats.definition import (
    Definition,
    Item,
    instance_key,
    pick_text,
    split_key,
)
from werkplaats.stats.scoring import completeness, progress, score


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
    adding = request.GET.get("add", "")
    if adding in {g.id for g in definition.groups if g.repeat} and definition.repeat_items(adding):
        # "add another": an empty next instance, kept once one of its questions is answered
        count = definition.instance_count(answers, adding)
        answers = {**answers, instance_key(definition.repeat_items(adding)[0].id, count + 1): None}
    # A question the branching hides is not asked: it is left out of the page (without
    # script) and hidden (with script, until an answer makes it apply).
    shown = definition.relevant_ids(answers)
    first = definition.languages[0] if definition.languages else "nl"
    questions = []
    number = 0
    for block, group in _blocks(definition):
        count = definition.instance_count(answers, group) if group else 1
        for n in range(1, count + 1):
            if group:
                label = pick_text(definition.group(group).label, language, first) or group
                questions.append(
                    {
                        "type": "instance",
                        "id": f"{group}#{n}",
                        "group": group,
                        "instance": n,
                        "label": label,
                        "last": n == count,
                        "removable": count > 1,
                        "hidden": False,
                    }
                )
            for item in block:
                key = instance_key(item.id, n)
                scope = definition.scope_of(key, answers)
                if item.id not in shown and item.type == "display" and key not in shown:
                    continue
                if item.answerable:
                    number += 1
                answer = answers.get(key)
                questions.append(
                    {
                        "id": key,
                        "type": item.type,
                        "number": number if item.answerable else None,
                        "text": definition.item_text(item.id, assessment.informant, language),
                        "note": pick_text(item.note, language, first),
                        "section": pick_text(item.section, language, first) if n == 1 else "",
                        "options": [
                            (str(o.value), pick_text(o.label, language, first))
                            for o in definition.options_for(item, scope)
                        ],
                        "answer": answer,
                        "chosen": [str(c) for c in answer]
                        if isinstance(answer, list)
                        else ([] if answer is None else [str(answer)]),
                        "text_answer": ""
                        if answer is None or isinstance(answer, list)
                        else str(answer),
                        "required": definition.is_required(item, scope),
                        "hidden": key not in shown,
                        "dropdown": item.appearance in ("dropdown", "minimal"),
                        "min": (item.validation or {}).get(
                            "min", 0 if item.type == "slider" else ""
                        ),
                        "max": (item.validation or {}).get(
                            "max", 100 if item.type == "slider" else ""
                        ),
                    }
                )
            if group and n == count:
                questions.append(
                    {"type": "add", "id": f"add-{group}", "group": group, "hidden": False}
                )
    questions = [q for q in questions if not q["hidden"] or q["type"] != "display"]
    asked = [q for q in questions if not q["hidden"] and q["type"] not in ("instance", "add")]
    one = request.GET.get("one") == "1" and bool(asked)
    full = questions
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
    add_after = None
    if current is not None:
        # one question per screen: after the last question of a repeat group's last
        # instance, the screen offers to add another
        later = full[full.index(questions[current]) + 1 :]
        following = next((q for q in later if not q["hidden"] or q["type"] == "add"), None)
        if following is not None and following["type"] == "add":
            add_after = following["group"]
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
        "add_after": add_after,
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


def _blocks(definition: Definition) -> list[tuple[list[Item], str | None]]:
    """The items in runs: a run of items in one repeat group is asked once per instance."""
    blocks: list[tuple[list[Item], str | None]] = []
    for item in definition.items:
        if item.type == "calculated" or item.type == "file":
            continue
        group = definition.repeat_of(item)
        if blocks and blocks[-1][1] == group and group is not None:
            blocks[-1][0].append(item)
        else:
            blocks.append(([item], group))
    return blocks


def _posted_keys(definition: Definition, data: Any) -> list[str]:
    """The answer keys in a posted form, in the order of the items and instances."""
    answerable = {i.id: i for i in definition.answerable_items}
    keys = {k.removesuffix("__shown") for k in data}
    found = [k for k in keys if split_key(k)[0] in answerable]
    order = {item.id: n for n, item in enumerate(definition.items)}
    return sorted(found, key=lambda k: (order[split_key(k)[0]], split_key(k)[1]))


def _save_posted(assessment: Assessment, data: Any) -> list[str]:
    """The no-script path: save every answer in the form; return plain error messages."""
    errors = []
    definition = assessment.version.parsed
    for key in _posted_keys(definition, data):
        item = definition.item(split_key(key)[0])
        if item.type == "multiple":
            value: Any = [v for v in data.getlist(key) if v != ""]
            if not value:
                services.answer_clear(assessment=assessment, item_id=key)
                continue
        elif key in data and data[key] != "":
            value = data[key]
        else:
            continue
        try:
            services.answer_save(assessment=assessment, item_id=key, value=value)
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
        group, _sep, number = request.POST.get("remove", "").partition("#")
        if group and number.isdigit() and not errors:
            try:
                services.instance_remove(
                    assessment=assessment, group_id=group, instance=int(number)
                )
            except ValidationError as exc:
                errors += exc.messages
        if request.POST.get("add") and not errors:
            return redirect(
                f"{urls['fill']}?add={quote(request.POST['add'])}#add-{quote(request.POST['add'])}"
            )
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
            # (answer keys: an item in a repeat group once per instance)
            "shown": sorted(shown),
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
