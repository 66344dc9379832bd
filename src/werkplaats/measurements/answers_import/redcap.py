"""A REDCap project's raw records (with its dictionary and events) as assessments."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction

from werkplaats.instruments import formats
from werkplaats.instruments import services as instrument_services
from werkplaats.instruments.formats import N_, loss
from werkplaats.instruments.formats.redcap import field_name
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.answers_import.common import (
    MAX_RECORD_BYTES,
    MAX_RECORD_ROWS,
    REDCAP_OWN,
    AnswersImportError,
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
from werkplaats.stats.definition import Definition

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
    study: Study | None = None,
) -> AnswersReport:
    """Import a REDCap project's raw records; raise :class:`AnswersImportError` if any row
    is rejected (nothing is then written)."""
    check_study(study, organisation)
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
            formats.decode_text(records, N_("the records file")),
            N_("the records file"),
            MAX_RECORD_ROWS,
        )
        offsets = _events(events) if events else {}
    except formats.FormatError as exc:
        raise AnswersImportError(
            AnswersReport(
                rejected=[
                    dataclasses.replace(r, path=r.path and f"records, {r.path}" or "records")
                    for r in exc.reasons
                ]
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
        _commit(pending, organisation, team, user, report, dry_run, study)
    return report


def _events(content: bytes) -> dict[str, int]:
    rows = formats.read_csv(
        formats.decode_text(content, N_("the events file")), N_("the events file")
    )
    header = [h.strip().lower() for h in rows[0]]
    if "unique_event_name" not in header:
        raise formats.damaged(
            N_("%(file)s has no unique_event_name column"), file=N_("the events file")
        )
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
    declared: dict[str, str] = {}  # fields without answers (calc, file, sql) -> their type
    for form, version in forms.items():
        definition = version.parsed
        record_fields.add((definition.data.get("record_field") or {}).get("id", ""))
        for item in definition.answerable_items:
            owners[field_name(item.id)] = (form, item)
        for item in definition.items:
            declared.setdefault(field_name(item.id), item.type)
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
        elif column in declared:
            report.notes.append(
                loss(
                    column,
                    N_(
                        "a field of the dictionary that takes no answers in Werkplaats "
                        "(%(type)s); its column is not read"
                    ),
                    type=declared[column],
                )
            )
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
