"""Writing a definition as a REDCap data dictionary, and answers as a records CSV."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any

from werkplaats.core.tabular import SafeDictWriter, SafeWriter
from werkplaats.instruments.formats.common import (
    N_,
    ExportResult,
    Loss,
    common_losses,
    loss,
)
from werkplaats.instruments.formats.recode import scale_terms
from werkplaats.instruments.formats.redcap.columns import (
    ALIGNMENT,
    ANNOTATION,
    BRANCHING,
    CHOICES,
    COLUMNS,
    FIELD,
    FORM,
    IDENTIFIER,
    LABEL,
    MATRIX,
    NOTE,
    QNUMBER,
    RANKING,
    REQUIRED,
    SECTION,
    TYPE,
    VALIDATION,
    VMAX,
    VMIN,
    field_name,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Definition, Item, instance_key, pick_text

# ---------------------------------------------------------------- writing


def _expression(
    item_index: int, key: str, node: Any, verbatim: Mapping[str, str], losses: list[Loss]
) -> str:
    if node is not None:
        try:
            return expressions.to_redcap(node)
        except expressions.ExpressionError as exc:
            losses.append(
                loss(
                    f"items[{item_index}].{key}",
                    N_("REDCap cannot hold this %(attribute)s (%(reason)s); left out"),
                    attribute=key,
                    reason=str(exc),
                )
            )
            return ""
    return verbatim.get(key, "")


def _kind(item: Item) -> str:
    if item.type == "choice":
        return "dropdown" if item.appearance in ("dropdown", "minimal") else "radio"
    if item.type == "yesno":
        return "truefalse" if item.appearance == "truefalse" else "yesno"
    return {
        "multiple": "checkbox",
        "long_text": "notes",
        "slider": "slider",
        "display": "descriptive",
        "calculated": "calc",
        "file": "file",
    }.get(item.type, "text")


def _validation_type(item: Item) -> str:
    given = str((item.validation or {}).get("type") or "")
    if given:
        return given
    return {
        "integer": "integer",
        "decimal": "number",
        "date": "date_ymd",
        "datetime": "datetime_ymd",
        "time": "time",
    }.get(item.type, "")


def write(definition: Definition, language: str = "nl") -> ExportResult:  # noqa: C901
    language = (
        language
        if language in definition.languages
        else definition.languages[0]
        if definition.languages
        else language
    )
    losses = common_losses(definition, "REDCap", languages=1, keeps_scoring=False)
    d = definition.data
    form = field_name(definition.id)
    if form != definition.id:
        losses.append(loss("id", N_("form name %(form)s (REDCap allows a-z, 0-9, _)"), form=form))
    record = d.get("record_field") or {"id": "record_id", "label": {"en": "Record ID"}}
    rows: list[dict[str, str]] = [
        {
            FIELD: record["id"],
            FORM: form,
            TYPE: "text",
            LABEL: pick_text(record["label"], language, "en"),
        }
    ]
    if not d.get("record_field"):
        losses.append(
            loss(
                "record_id",
                N_("REDCap needs a record identifier as its first field; record_id was added"),
            )
        )
    if d.get("groups"):
        losses.append(
            loss(
                "groups",
                N_(
                    "REDCap has no groups or repeats in a data dictionary; the grouping is left out"
                ),
            )
        )
    for i, item in enumerate(definition.items):
        name = field_name(item.id)
        if name != item.id:
            losses.append(
                loss(
                    f"items[{i}].id",
                    N_("renamed to %(name)s (REDCap allows a-z, 0-9, _)"),
                    name=name,
                )
            )
        raw = d["items"][i]
        verbatim = raw.get("verbatim") or {}
        first = definition.languages[0] if definition.languages else language
        label = (
            pick_text(item.text, language, first)
            or pick_text(item.name, language, first)
            or item.id
        )
        row = {
            FIELD: name,
            FORM: form,
            TYPE: _kind(item),
            LABEL: label,
            SECTION: pick_text(item.section, language, first),
            NOTE: pick_text(item.note, language, first),
            REQUIRED: "y" if item.required else "",
            IDENTIFIER: "y" if raw.get("identifier") else "",
            MATRIX: item.matrix or "",
            ALIGNMENT: verbatim.get("alignment", ""),
            QNUMBER: verbatim.get("question_number", ""),
            RANKING: verbatim.get("matrix_ranking", ""),
            ANNOTATION: verbatim.get("annotation", ""),
        }
        if item.type in ("choice", "multiple") or (
            item.type == "yesno" and not _standard_yesno(item)
        ):
            if item.type == "yesno":
                row[TYPE] = "radio"
                losses.append(
                    loss(item.id, N_("a yes/no item with its own codes is written as radio"))
                )
            row[CHOICES] = " | ".join(
                # a line break would end the choice in REDCap (and in our reader)
                f"{o.value}, {' '.join(pick_text(o.label, language, first).split())}"
                for o in item.options
            )
            if any(
                o.score is not None and str(o.score) != str(o.value) for o in item.options
            ) and not any(item.id in s.items for s in definition.scales):
                losses.append(loss(item.id, N_("option scores apart from the codes are left out")))
        if item.type == "slider":
            row[CHOICES] = verbatim.get("slider_labels", "")
        if item.type == "calculated":
            row[CHOICES] = _expression(i, "calculation", item.calculation, verbatim, losses)
        if item.type == "display" and "sql" in verbatim:
            row[TYPE], row[CHOICES] = "sql", verbatim["sql"]
        vtype = _validation_type(item)
        if item.type in ("text", "integer", "decimal", "date", "datetime", "time"):
            row[VALIDATION] = vtype
        if item.type in ("text", "integer", "decimal", "date", "datetime", "time", "slider"):
            for key, column in (("min", VMIN), ("max", VMAX)):
                bound = (item.validation or {}).get(key, verbatim.get(f"validation_{key}"))
                if bound is not None:
                    row[column] = f"{bound:g}" if isinstance(bound, float) else str(bound)
        relevant = _expression(i, "relevant", item.relevant, verbatim, losses)
        row[BRANCHING] = relevant
        if item.required_when is not None:
            losses.append(
                loss(item.id, N_("a condition on being required has no place in REDCap; left out"))
            )
        if item.constraint is not None or "constraint" in verbatim:
            losses.append(
                loss(
                    item.id,
                    N_("a constraint has no place in REDCap (only minimum and maximum); left out"),
                )
            )
        if item.choice_filter is not None or "choice_filter" in verbatim:
            losses.append(loss(item.id, N_("a choice filter has no place in REDCap; left out")))
        if item.group and definition.group(item.group).relevant is not None:
            losses.append(
                loss(item.id, N_("the condition of its group is not written to the field"))
            )
        rows.append(row)
    for s, scale in enumerate(definition.scales):
        terms = scale_terms(
            definition, s, "REDCap", lambda i: f"[{field_name(i)}]", '""', "-", losses
        )
        if terms is None:
            continue
        rows.append(
            {
                FIELD: f"score_{field_name(scale.id)}",
                FORM: form,
                TYPE: "calc",
                LABEL: pick_text(scale.label, language),
                CHOICES: f"{scale.method}({','.join(terms)})",
            }
        )
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return ExportResult(
        "redcap", out.getvalue().encode(), f"{definition.id}_datadictionary.csv", "text/csv", losses
    )


def _standard_yesno(item: Item) -> bool:
    return sorted(str(o.value) for o in item.options) == ["0", "1"]


def write_records(definition: Definition, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Answers as a REDCap records CSV: one row per record (client) × event (wave) × informant.

    Each row mapping has ``record_id``, ``event``, ``informant``, ``complete`` and
    ``answers`` (answer key -> value). A multiple-choice item has one column per choice
    (``field___code``, 1 or 0), as REDCap exports checkboxes. A form with repeat groups
    gets ``redcap_repeat_instrument``/``_instance``: the first row holds instance 1, each
    further instance a row of its own with the repeated fields only (REDCap repeats whole
    instruments, so the form is named as the repeating instrument).
    """
    form = field_name(definition.id)
    record = (definition.data.get("record_field") or {}).get("id", "record_id")
    groups = [g.id for g in definition.groups if g.repeat and definition.repeat_items(g.id)]
    columns = [record, "redcap_event_name"]
    if groups:
        columns += ["redcap_repeat_instrument", "redcap_repeat_instance"]
    columns.append("informant")
    for item in definition.answerable_items:
        if item.type == "multiple":
            columns += [f"{field_name(item.id)}___{field_name(str(o.value))}" for o in item.options]
        else:
            columns.append(field_name(item.id))
    columns.append(f"{form}_complete")
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        answers = row["answers"]
        count = max([definition.instance_count(answers, g) for g in groups] or [1])
        for n in range(1, count + 1):
            cells: list[Any] = [row["record_id"], row["event"]]
            if groups:
                cells += ["", ""] if n == 1 else [form, n]
            cells.append(row["informant"])
            for item in definition.answerable_items:
                repeated = definition.repeat_of(item) is not None
                value = answers.get(instance_key(item.id, n)) if n == 1 or repeated else None
                if item.type == "multiple":
                    chosen = {str(v) for v in value} if isinstance(value, list) else set()
                    empty = n > 1 and not repeated
                    cells += [
                        "" if empty else 1 if str(o.value) in chosen else 0 for o in item.options
                    ]
                else:
                    cells.append("" if value is None else value)
            cells.append(2 if row["complete"] else 0)
            writer.writerow(cells)
    return out.getvalue().encode()
