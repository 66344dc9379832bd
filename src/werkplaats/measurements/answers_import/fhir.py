"""FHIR QuestionnaireResponses (alone or in Bundles) as assessments."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q

from werkplaats.instruments import formats
from werkplaats.instruments.formats import N_
from werkplaats.instruments.formats.fhir import canonical_url, link_name, parse_resource
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.answers_import.common import (
    AnswersReport,
    _check,
    _commit,
    _Pending,
    _refuse,
    _wave,
    check_study,
)
from werkplaats.partnership.models import Organisation, Team, User
from werkplaats.programme.models import Study
from werkplaats.stats.definition import Definition, instance_key

# ---------------------------------------------------------------- FHIR


def fhir_import(
    *,
    files: list[tuple[str, bytes]],
    organisation: Organisation,
    team: Team | None = None,
    user: User | None = None,
    dry_run: bool = False,
    study: Study | None = None,
) -> AnswersReport:
    """Import QuestionnaireResponses (alone or in Bundles) against Questionnaires already
    imported, matched by canonical URL or id; all or nothing."""
    check_study(study, organisation)
    report = AnswersReport()
    versions = list(
        # the organisation's own versions and the public ones (an ``__in`` list drops None)
        InstrumentVersion.objects.filter(
            Q(organisation=organisation) | Q(organisation__isnull=True)
        ).select_related("instrument")
    )
    pending: list[_Pending] = []
    for name, content in files:
        try:
            data = parse_resource(content, name)
        except formats.FormatError as exc:
            report.rejected += [dataclasses.replace(r, path=r.path or name) for r in exc.reasons]
            continue
        responses = _responses(data)
        if not responses:
            _refuse(report, name, N_("holds no QuestionnaireResponse"))
        for n, response in enumerate(responses):
            where = f"{name}#{n + 1}"
            version = _version_for(str(response.get("questionnaire") or ""), versions)
            if version is None:
                _refuse(
                    report,
                    where,
                    N_("the questionnaire %(ref)s has not been imported"),
                    ref=repr(response.get("questionnaire")),
                )
                continue
            subject = _subject(response)
            if not subject:
                _refuse(report, where, N_("the response names no subject"))
                continue
            definition = version.parsed
            answers, unknown = _fhir_answers(definition, response.get("item"))
            for link in unknown:
                _refuse(
                    report,
                    f"{where}.{link}",
                    N_("linkId %(link)s is not a question of the questionnaire"),
                    link=link,
                )
            if unknown:
                continue
            complete = response.get("status") in ("completed", "amended")
            checked = _check(definition, answers, complete, report, where, None, {})
            authored = str(response.get("authored") or "")[:10]
            try:
                day = dt.date.fromisoformat(authored) if authored else dt.date.today()
            except ValueError:
                _refuse(report, where, N_("authored %(value)s is not a date"), value=repr(authored))
                continue
            if checked is not None:
                pending.append(
                    _Pending(subject, version, _wave(day.isoformat()), day, checked, complete)
                )
    with transaction.atomic():
        _commit(pending, organisation, team, user, report, dry_run, study)
    return report


def _responses(data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        return []
    if data.get("resourceType") == "QuestionnaireResponse":
        return [data]
    if data.get("resourceType") == "Bundle":
        return [
            e["resource"]
            for e in data.get("entry") or []
            if isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "QuestionnaireResponse"
        ]
    return []


def _version_for(reference: str, versions: list[InstrumentVersion]) -> InstrumentVersion | None:
    url, _sep, label = reference.partition("|")
    url = url.strip()
    if not url:
        return None  # else it would match any version without a URL of its own
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    matches = []
    for version in versions:
        settings = version.definition.get("settings") or {}
        own = {
            canonical_url(version.instrument.slug),
            settings.get("url", ""),
            version.instrument.slug,
        }
        # a URL or a reference ``Questionnaire/<id>`` ends in the instrument's id
        if url in own or tail == version.instrument.slug:
            if not label or label == version.label:
                matches.append(version)
    return max(matches, key=lambda v: (v.created, v.pk)) if matches else None


def _subject(response: dict[str, Any]) -> str:
    subject = response.get("subject")
    if not isinstance(subject, dict):
        return ""
    identifier = subject.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        return str(identifier["value"])[:100]
    return str(subject.get("reference") or subject.get("display") or "")[:100]


def _fhir_answers(
    definition: Definition, items: Any, depth: int = 0, instance: int = 1
) -> tuple[dict[str, Any], list[str]]:
    """Answers by key from (nested) response items; each occurrence of a repeating group's
    linkId is the next instance of that group (``id``, ``id#2``, …)."""
    answers: dict[str, Any] = {}
    unknown: list[str] = []
    ids = {i.id for i in definition.items} | {g.id for g in definition.groups}
    repeats = {g.id for g in definition.groups if g.repeat}
    seen: dict[str, int] = {}
    if not isinstance(items, list) or depth > 30:
        return answers, unknown
    for raw in items:
        if not isinstance(raw, dict):
            continue
        link = str(raw.get("linkId") or "")
        if link not in ids and link_name(link) in ids:
            link = link_name(link)  # the Questionnaire's import renamed it (``/44250-9``)
        if link not in ids and not link.endswith("-help"):
            unknown.append(link)
            continue
        inside = instance
        if link in repeats:
            seen[link] = seen.get(link, 0) + 1
            inside = seen[link]
        values = []
        for a in raw.get("answer") or []:
            if not isinstance(a, dict):
                continue
            for key, value in a.items():
                if key == "valueCoding" and isinstance(value, dict):
                    values.append(value.get("code"))
                elif key == "valueBoolean":
                    values.append(1 if value else 0)
                elif key.startswith("value"):
                    values.append(value)
            inner, lost = _fhir_answers(definition, a.get("item"), depth + 1, inside)
            answers.update(inner)
            unknown += lost
        if values and link in {i.id for i in definition.items}:
            item = definition.item(link)
            key = instance_key(link, inside) if definition.repeat_of(item) else link
            answers[key] = values if item.type == "multiple" else values[0]
        inner, lost = _fhir_answers(definition, raw.get("item"), depth + 1, inside)
        answers.update(inner)
        unknown += lost
    return answers, unknown
