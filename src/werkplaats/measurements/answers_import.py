"""Answers from other tools: a REDCap project's records, FHIR QuestionnaireResponses.

Both are all or nothing: every row (REDCap) or resource (FHIR) is checked first against
the exact version it answers, through the same checks as a person answering (type,
bounds, options, branching, required questions when complete); when any is rejected
nothing is written and the report names every rejected row with its reason, in Dutch and
English. What the import does not take but need not refuse (columns of forms that are
not in the dictionary, REDCap's own bookkeeping columns) is reported as well.

A REDCap record becomes a client (with a new pseudonym; the report lists which record
got which) and one trajectory in the organisation's team; each event a wave (named after
the event, dated from the events file's day offset after ``start``); each form of an
event an assessment by the client; each repeat instance of a repeating instrument an
assessment of its own (wave ``<event>-r<n>``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from werkplaats.casework.models import Client, Trajectory
from werkplaats.instruments import formats
from werkplaats.instruments import services as instrument_services
from werkplaats.instruments.formats import N_, Loss, loss
from werkplaats.instruments.formats.fhir import canonical_url
from werkplaats.instruments.formats.redcap import field_name
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Informant
from werkplaats.measurements.services import AssessmentRecord, assessments_record_bulk
from werkplaats.partnership.models import Organisation, Role, Team, User
from werkplaats.stats.definition import AnswerError, Definition, check_answer
from werkplaats.stats.scoring import completeness

MAX_RECORD_BYTES = 50 * 1024 * 1024
MAX_RECORD_ROWS = 200_000
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REDCAP_OWN = {
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
}


@dataclass
class AnswersReport:
    rejected: list[Loss] = field(default_factory=list)
    notes: list[Loss] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    records: dict[str, str] = field(default_factory=dict)  # source record -> pseudonym

    def lines(self, language: str = "en") -> list[str]:
        return [r.text(language) for r in self.rejected] + [n.text(language) for n in self.notes]


class AnswersImportError(ValueError):
    """Rows were rejected (or a file is damaged); nothing was written."""

    def __init__(self, report: AnswersReport) -> None:
        self.report = report
        super().__init__("; ".join(r.text("en") for r in report.rejected[:20]))


def _refuse(
    report: AnswersReport, where: str, what: str, row: int | None = None, **params: Any
) -> None:
    report.rejected.append(loss(where, what, row, **params))


def _reason(exc: AnswerError) -> str:
    return {
        "not_an_option": N_("%(value)s is not one of the choices (%(allowed)s)"),
        "not_a_number": N_("%(value)s is not a number"),
        "not_whole": N_("%(value)s is not a whole number"),
        "too_low": N_("%(value)s is below the lowest allowed (%(allowed)s)"),
        "too_high": N_("%(value)s is above the highest allowed (%(allowed)s)"),
        "not_a_date": N_("%(value)s is not a date (YYYY-MM-DD)"),
        "not_a_time": N_("%(value)s is not a time (HH:MM)"),
        "not_an_email": N_("%(value)s is not an e-mail address"),
        "not_a_phone": N_("%(value)s is not a phone number"),
        "constraint": N_("%(value)s breaks the question's constraint"),
        "too_long": N_("the answer is too long"),
        "not_answerable": N_("this item takes no answer"),
    }.get(exc.code, N_("%(value)s is not accepted"))


def _pseudonyms(n: int) -> list[str]:
    taken = set(Client.objects.values_list("pseudonym", flat=True))
    out: list[str] = []
    while len(out) < n:
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        pseudonym = f"{code[:4]}-{code[4:]}"
        if pseudonym not in taken:
            taken.add(pseudonym)
            out.append(pseudonym)
    return out


def _team_and_lead(organisation: Organisation, team: Team | None) -> tuple[Team, User]:
    team = team or organisation.teams.order_by("pk").first()
    if team is None:
        raise ValidationError(f"{organisation} has no team to hold the trajectories")
    lead = (
        User.objects.filter(memberships__team=team, memberships__role=Role.PROFESSIONAL)
        .order_by("pk")
        .first()
    )
    if lead is None:
        raise ValidationError(f"the team {team} has no professional to lead the trajectories")
    return team, lead


def _wave(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-_")[:20]
    return slug or "w1"


@dataclass
class _Pending:
    record: str
    version: InstrumentVersion
    wave: str
    wave_date: dt.date
    answers: dict[str, Any]
    complete: bool


def _write(
    pending: list[_Pending],
    organisation: Organisation,
    team: Team | None,
    user: User | None,
    report: AnswersReport,
) -> None:
    team, lead = _team_and_lead(organisation, team)
    records = list(dict.fromkeys(p.record for p in pending))
    clients = Client.objects.bulk_create(Client(pseudonym=p) for p in _pseudonyms(len(records)))
    trajectories: dict[str, Trajectory] = {}
    for record, client in zip(records, clients, strict=True):
        first = min(p.wave_date for p in pending if p.record == record)
        trajectory = Trajectory(client=client, lead_professional=lead, team=team, start=first)
        trajectory.full_clean()
        trajectory.save()
        trajectories[record] = trajectory
        report.records[record] = client.pseudonym
    made = assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory=trajectories[p.record],
                instrument=p.version.instrument,
                informant=Informant.CLIENT,
                wave=p.wave,
                wave_date=p.wave_date,
                answers=p.answers,
                complete=p.complete,
            )
            for p in pending
        ],
        user=user,
        versions={p.version.instrument_id: p.version for p in pending},
    )
    report.created = {
        "clients": len(clients),
        "trajectories": len(trajectories),
        "assessments": len(made),
    }


def _check(
    definition: Definition,
    answers: dict[str, Any],
    complete: bool,
    report: AnswersReport,
    where: str,
    row: int | None,
    columns: dict[str, str],
) -> dict[str, Any] | None:
    checked: dict[str, Any] = {}
    ok = True
    for item_id, value in answers.items():
        try:
            checked[item_id] = check_answer(definition, item_id, value, answers)
        except AnswerError as exc:
            ok = False
            allowed = ", ".join(str(a) for a in exc.allowed[:12])
            _refuse(
                report,
                f"{where}.{columns.get(item_id, item_id)}",
                _reason(exc),
                row,
                value=repr(value),
                allowed=allowed,
            )
    if not ok:
        return None
    shown = definition.relevant_ids(checked)
    checked = {k: v for k, v in checked.items() if k in shown}
    if complete:
        missing = completeness(definition, checked).missing_required
        if missing:
            _refuse(
                report,
                where,
                N_("marked complete, but required questions that apply are unanswered: %(items)s"),
                row,
                items=", ".join(missing),
            )
            return None
    return checked


# ---------------------------------------------------------------- REDCap


def redcap_import(
    *,
    dictionary: bytes,
    records: bytes,
    events: bytes | None = None,
    organisation: Organisation,
    team: Team | None = None,
    user: User | None = None,
    start: dt.date | None = None,
    dry_run: bool = False,
) -> AnswersReport:
    """Import a REDCap project's raw records; raise :class:`AnswersImportError` if any row
    is rejected (nothing is then written)."""
    report = AnswersReport()
    start = start or dt.date.today()
    if len(records) > MAX_RECORD_BYTES:
        raise AnswersImportError(
            AnswersReport(
                rejected=[
                    loss(
                        "records",
                        N_("the records file is larger than %(mb)s MB"),
                        mb=MAX_RECORD_BYTES // 2**20,
                    )
                ]
            )
        )
    try:
        rows = formats.read_csv(
            formats.decode_text(records, "the records file"), "the records file", MAX_RECORD_ROWS
        )
        offsets = _events(events) if events else {}
    except formats.FormatError as exc:
        raise AnswersImportError(
            AnswersReport(
                rejected=[loss("records", N_("%(problem)s"), problem=str(p)) for p in exc.problems]
            )
        ) from None
    if len(rows) < 2:
        raise AnswersImportError(
            AnswersReport(rejected=[loss("records", N_("the records file holds no records"))])
        )
    with transaction.atomic():
        outcome = instrument_services.definitions_import(
            content=dictionary,
            filename="dictionary.csv",
            fmt="redcap",
            user=user,
            organisation=organisation,
            language="en",
        )
        report.notes += outcome.losses
        forms: dict[str, InstrumentVersion] = {
            field_name(v.instrument.slug): v for v in outcome.versions
        }
        header = [h.strip() for h in rows[0]]
        columns = _columns(header, forms, report)
        if not any(columns.values()):
            _refuse(
                report,
                "records",
                N_(
                    "no column of the records file is a field of the dictionary: is it the records export of this project?"
                ),
            )
            raise AnswersImportError(report)
        pending: list[_Pending] = []
        for n, row in enumerate(rows[1:], start=2):
            cells = {
                header[i]: (row[i].strip() if i < len(row) else "") for i in range(len(header))
            }
            record = cells[header[0]]
            if not record:
                _refuse(report, header[0], N_("the record id is empty"), n)
                continue
            event = cells.get("redcap_event_name", "")
            repeat_form = cells.get("redcap_repeat_instrument", "")
            instance = cells.get("redcap_repeat_instance", "")
            if repeat_form and repeat_form not in forms:
                report.notes.append(
                    loss(
                        repeat_form,
                        N_("a row of a form that is not in the dictionary is left out"),
                        n,
                    )
                )
                continue
            wave = _wave(event) if event else "w1"
            if instance and instance not in ("", "1"):
                wave = f"{wave[:14]}-r{instance[:4]}"
            if event and offsets and event not in offsets:
                _refuse(
                    report,
                    "redcap_event_name",
                    N_("the event %(event)s is not in the events file"),
                    n,
                    event=event,
                )
                continue
            wave_date = start + dt.timedelta(days=offsets.get(event, 0))
            for form, version in forms.items():
                if repeat_form and form != repeat_form:
                    continue
                definition = version.parsed
                answers, where_of = _answers_of(definition, cells, columns.get(form, {}))
                status = cells.get(f"{form}_complete", "")
                if not answers and status in ("", "0"):
                    continue
                checked = _check(definition, answers, status == "2", report, f"{form}", n, where_of)
                if checked is not None:
                    pending.append(
                        _Pending(record, version, wave, wave_date, checked, status == "2")
                    )
        if report.rejected:
            transaction.set_rollback(True)
            raise AnswersImportError(report)
        if pending:
            try:
                _write(pending, organisation, team, user, report)
            except ValidationError as exc:
                transaction.set_rollback(True)
                report.rejected.append(loss("", N_("%(problem)s"), problem="; ".join(exc.messages)))
                raise AnswersImportError(report) from None
        if dry_run:
            transaction.set_rollback(True)
    return report


def _events(content: bytes) -> dict[str, int]:
    rows = formats.read_csv(formats.decode_text(content, "the events file"), "the events file")
    header = [h.strip().lower() for h in rows[0]]
    if "unique_event_name" not in header:
        raise formats.FormatError("the events file has no unique_event_name column")
    name = header.index("unique_event_name")
    offset = header.index("day_offset") if "day_offset" in header else None
    out: dict[str, int] = {}
    for row in rows[1:]:
        if name < len(row) and row[name].strip():
            days = 0
            if offset is not None and offset < len(row):
                try:
                    days = int(float(row[offset]))
                except ValueError:
                    days = 0
            out[row[name].strip()] = days
    return out


def _columns(
    header: list[str], forms: dict[str, InstrumentVersion], report: AnswersReport
) -> dict[str, dict[str, tuple[str, str | None]]]:
    """Per form: column -> (item id, checkbox code or None)."""
    out: dict[str, dict[str, tuple[str, str | None]]] = defaultdict(dict)
    owners: dict[str, tuple[str, Any]] = {}
    record_fields = set()
    for form, version in forms.items():
        definition = version.parsed
        record_fields.add((definition.data.get("record_field") or {}).get("id", ""))
        for item in definition.answerable_items:
            owners[field_name(item.id)] = (form, item)
    for column in header[1:]:
        if column in REDCAP_OWN or column in record_fields:
            continue
        if column.endswith("_complete") and column[: -len("_complete")] in forms:
            continue
        if column.endswith("_timestamp"):
            continue
        base, sep, code = column.partition("___")
        if sep and base in owners and owners[base][1].type == "multiple":
            form, item = owners[base]
            match = next(
                (
                    o
                    for o in item.options
                    if field_name(str(o.value)).replace("-", "_") == code or str(o.value) == code
                ),
                None,
            )
            if match is None:
                report.notes.append(
                    loss(
                        column,
                        N_("a checkbox column for a choice the dictionary does not have; not read"),
                    )
                )
                continue
            out[form][column] = (item.id, str(match.value))
        elif column in owners:
            form, item = owners[column]
            out[form][column] = (item.id, None)
        elif column.endswith("_complete"):
            report.notes.append(
                loss(column, N_("the status of a form that is not in the dictionary; not read"))
            )
        else:
            report.notes.append(
                loss(column, N_("a column that is not a field of the dictionary; not read"))
            )
    return out


def _answers_of(
    definition: Definition, cells: dict[str, str], columns: dict[str, tuple[str, str | None]]
) -> tuple[dict[str, Any], dict[str, str]]:
    answers: dict[str, Any] = {}
    where: dict[str, str] = {}
    ticked: dict[str, list[str]] = defaultdict(list)
    seen_boxes: set[str] = set()
    for column, (item_id, code) in columns.items():
        value = cells.get(column, "")
        if code is not None:
            seen_boxes.add(item_id)
            where[item_id] = column.partition("___")[0]
            if value == "1":
                ticked[item_id].append(code)
            continue
        if value != "":
            answers[item_id] = value
            where[item_id] = column
    for item_id in seen_boxes:
        if ticked.get(item_id):
            answers[item_id] = ticked[item_id]
    return answers, where


# ---------------------------------------------------------------- FHIR


def fhir_import(
    *,
    files: list[tuple[str, bytes]],
    organisation: Organisation,
    team: Team | None = None,
    user: User | None = None,
    dry_run: bool = False,
) -> AnswersReport:
    """Import QuestionnaireResponses (alone or in Bundles) against Questionnaires already
    imported, matched by canonical URL or id; all or nothing."""
    report = AnswersReport()
    versions = list(
        InstrumentVersion.objects.filter(organisation__in=[organisation, None]).select_related(
            "instrument"
        )
    )
    pending: list[_Pending] = []
    for name, content in files:
        try:
            data = json.loads(formats.decode_text(content, name))
        except formats.FormatError as exc:
            _refuse(report, name, N_("%(problem)s"), problem=str(exc))
            continue
        except (ValueError, RecursionError):
            _refuse(report, name, N_("not valid JSON; if the file was cut off, export it again"))
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
        if report.rejected:
            raise AnswersImportError(report)
        if pending:
            try:
                _write(pending, organisation, team, user, report)
            except ValidationError as exc:
                transaction.set_rollback(True)
                report.rejected.append(loss("", N_("%(problem)s"), problem="; ".join(exc.messages)))
                raise AnswersImportError(report) from None
        if dry_run:
            transaction.set_rollback(True)
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
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    matches = []
    for version in versions:
        settings = version.definition.get("settings") or {}
        own = {
            canonical_url(version.instrument.slug),
            settings.get("url", ""),
            version.instrument.slug,
        }
        if url in own or tail == version.instrument.slug or f"Questionnaire/{tail}" == url:
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
    definition: Definition, items: Any, depth: int = 0
) -> tuple[dict[str, Any], list[str]]:
    answers: dict[str, Any] = {}
    unknown: list[str] = []
    ids = {i.id for i in definition.items} | {g.id for g in definition.groups}
    if not isinstance(items, list) or depth > 30:
        return answers, unknown
    for raw in items:
        if not isinstance(raw, dict):
            continue
        link = str(raw.get("linkId") or "")
        if link not in ids and not link.endswith("-help"):
            unknown.append(link)
            continue
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
            inner, lost = _fhir_answers(definition, a.get("item"), depth + 1)
            answers.update(inner)
            unknown += lost
        if values and link in {i.id for i in definition.items}:
            item = definition.item(link)
            answers[link] = values if item.type == "multiple" else values[0]
        inner, lost = _fhir_answers(definition, raw.get("item"), depth + 1)
        answers.update(inner)
        unknown += lost
    return answers, unknown
