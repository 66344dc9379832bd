"""REDCap data dictionary CSV (definitions) and records CSV (answers).

What a data dictionary holds: one form per instrument, a label per field in one
language, radio choices with their codes, required fields, and calculated fields. Scales
travel as calc fields named ``score_<scale>`` with ``sum(...)`` or ``mean(...)`` over
items, a reversed item written as ``(k-[item])``. Everything else is in the loss report.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from werkplaats.instruments.formats.common import (
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    apply_recode,
    common_losses,
    default_scales,
    imported_version,
    parse_recode_term,
    recode_term,
    slugify,
    split_top,
    unknown_licence,
)
from werkplaats.stats.scoring import Definition, Problem, pick_text

COLUMNS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]
FIELD, FORM, TYPE, LABEL, CHOICES, REQUIRED = (COLUMNS[i] for i in (0, 1, 3, 4, 5, 12))
OWN_FIELDS = {"record_id", "informant"}
TERM = re.compile(r"^\[([a-z][a-z0-9_]*)\]$|^\((-?\d+)-\[([a-z][a-z0-9_]*)\]\)$")


def field_name(item_id: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", item_id)


def _choices(options: Iterable[Any], language: str) -> str:
    return " | ".join(f"{o.value}, {pick_text(o.label, language)}" for o in options)


def write(definition: Definition, language: str = "nl") -> ExportResult:
    losses = common_losses(definition, "REDCap", languages=1, keeps_scoring=False)
    form = field_name(definition.id)
    if form != definition.id:
        losses.append(
            Loss(
                "id", f"form name {form} (REDCap allows a-z, 0-9, _); read back as {definition.id}"
            )
        )
    rows: list[dict[str, str]] = [
        {FIELD: "record_id", FORM: form, TYPE: "text", LABEL: "Record ID"},
        {
            FIELD: "informant",
            FORM: form,
            TYPE: "dropdown",
            LABEL: "Informant",
            CHOICES: "client, client | professional, professional | network_member, network_member",
        },
    ]
    for i, item in enumerate(definition.items):
        name = field_name(item.id)
        if name != item.id:
            losses.append(Loss(f"items[{i}].id", f"renamed to {name} (REDCap allows a-z, 0-9, _)"))
        label = pick_text(item.text, language) or pick_text(item.name, language) or item.id
        rows.append(
            {
                FIELD: name,
                FORM: form,
                TYPE: "radio",
                LABEL: label,
                CHOICES: _choices(item.options, language),
                REQUIRED: "y" if item.required else "",
            }
        )
    for s, scale in enumerate(definition.scales):
        if scale.method == "gas":
            losses.append(
                Loss(f"scales[{s}]", "a GAS T-score is computed from goals; REDCap cannot")
            )
            continue
        terms = []
        for item_id in scale.items:
            item = definition.item(item_id)
            ref = f"[{field_name(item_id)}]"
            if item.recode is not None:
                terms.append(recode_term(ref, item.recode, '""'))
            elif item.reverse:
                terms.append(f"({min(item.values) + max(item.values)}-{ref})")
            else:
                terms.append(ref)
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
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return ExportResult(
        "redcap", out.getvalue().encode(), f"{definition.id}_datadictionary.csv", "text/csv", losses
    )


def _parse_choices(text: str, where: str) -> list[dict[str, Any]]:
    options = []
    for part in text.split("|"):
        if not part.strip():
            continue
        code, _sep, label = part.partition(",")
        try:
            value = int(code.strip())
        except ValueError:
            raise FormatError(
                [Problem(where, f"choice code {code.strip()!r} is not a whole number")]
            ) from None
        options.append({"value": value, "label": {"__": label.strip() or str(value)}})
    if len(options) < 2:
        raise FormatError([Problem(where, "a choice field needs at least two choices")])
    return options


def read(content: bytes, language: str = "nl") -> ImportResult:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("the data dictionary is not UTF-8 text") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise FormatError(f"not a readable CSV file: {exc}") from None
    if not rows:
        raise FormatError("the data dictionary is empty")
    header = [h.strip().lower() for h in rows[0]]
    wanted = {c: c.lower() for c in (FIELD, FORM, TYPE, LABEL, CHOICES, REQUIRED)}
    index: dict[str, int] = {}
    for column, lower in wanted.items():
        if lower in header:
            index[column] = header.index(lower)
        elif column != REQUIRED:
            raise FormatError([Problem("header", f"the column {column!r} is missing")])
    forms: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        record = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        forms.setdefault(record[FORM], []).append((n, record))
    if not forms:
        raise FormatError("the data dictionary holds no fields")
    definitions, losses = [], []
    for form, records in forms.items():
        definition, form_losses = _read_form(form, records, language)
        definitions.append(definition)
        losses += form_losses
    return ImportResult("redcap", definitions, losses)


def _read_form(
    form: str, records: list[tuple[int, dict[str, str]]], language: str
) -> tuple[dict[str, Any], list[Loss]]:
    losses: list[Loss] = []
    items: list[dict[str, Any]] = []
    calcs: list[tuple[int, dict[str, str]]] = []
    seen: set[str] = set()
    for n, r in records:
        name, kind = r[FIELD], r[TYPE].lower()
        where = f"row {n}"
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise FormatError([Problem(f"{where}.{FIELD}", f"{name!r} is not a valid field name")])
        if name in seen:
            raise FormatError([Problem(f"{where}.{FIELD}", f"duplicate field name {name!r}")])
        seen.add(name)
        if name in OWN_FIELDS:
            continue
        if kind in ("radio", "dropdown"):
            options = _parse_choices(r[CHOICES], f"{where}.{CHOICES}")
        elif kind == "yesno":
            options = [{"value": 1, "label": {"__": "Yes"}}, {"value": 0, "label": {"__": "No"}}]
        elif kind == "truefalse":
            options = [
                {"value": 1, "label": {"__": "True"}},
                {"value": 0, "label": {"__": "False"}},
            ]
        elif kind == "calc":
            calcs.append((n, r))
            continue
        else:
            losses.append(
                Loss(f"{form}.{name}", f"field type {kind!r} is not a scored item; left out")
            )
            continue
        for option in options:
            option["label"] = {language: option["label"]["__"]}
        item: dict[str, Any] = {"id": name, "options": options}
        if r[LABEL]:
            item["text"] = {language: r[LABEL]}
        if r.get(REQUIRED, "").lower() == "y":
            item["required"] = True
        items.append(item)
    by_id = {i["id"]: i for i in items}
    scales = []
    tables: dict[str, dict[str, float]] = {}
    for _n, r in calcs:
        scale = _parse_calc(r, by_id, language, tables)
        if scale is None:
            losses.append(
                Loss(f"{form}.{r[FIELD]}", f"calculation {r[CHOICES]!r} not understood; left out")
            )
        else:
            scales.append(scale)
    if not scales:
        scales = default_scales(items, losses, form)
    licence, citation = unknown_licence("REDCap data dictionary")
    losses.append(
        Loss(form, "licence and citation are not in a data dictionary; placeholders were set")
    )
    data: dict[str, Any] = {
        "format": "werkplaats.instrument/1",
        "id": slugify(form).replace("_", "-"),
        "version": "",
        "construct": slugify(form).replace("_", "-"),
        "kind": "questionnaire",
        "title": {language: form.replace("_", " ").strip().capitalize() or "Instrument"},
        "languages": [language],
        "licence": licence,
        "citation": citation,
        "items": items,
        "scales": scales,
    }
    if tables:
        data["recode_tables"] = tables
    data["version"] = imported_version(data)
    return data, losses


def _parse_calc(
    r: Mapping[str, str],
    items: Mapping[str, dict[str, Any]],
    language: str,
    tables: dict[str, dict[str, float]],
) -> dict[str, Any] | None:
    match = re.fullmatch(r"(sum|mean)\((.*)\)", r[CHOICES].replace(" ", ""))
    if not match:
        return None
    method, inner = match.groups()
    ids = []
    for term in split_top(inner, ","):
        m = TERM.match(term)
        recoded = None if m else parse_recode_term(term, ('""', "''"))
        if m and m.group(1):
            item_id = m.group(1)
            if item_id not in items:
                return None
        elif m:
            item_id = m.group(3)
            if item_id not in items:
                return None
            values = [o["value"] for o in items[item_id]["options"]]
            if int(m.group(2)) != min(values) + max(values) or items[item_id].get("recode"):
                return None
            items[item_id]["reverse"] = True
        elif recoded is not None:
            ref, table = recoded
            item_id = ref.strip("[]")
            if item_id not in items or not apply_recode(items[item_id], table, tables):
                return None
        else:
            return None
        ids.append(item_id)
    scale_id = r[FIELD].removeprefix("score_")
    return {
        "id": scale_id,
        "label": {language: r[LABEL] or scale_id},
        "method": method,
        "items": ids,
        "min_answered": 1,
    }


def write_records(definition: Definition, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """Answers as a REDCap records CSV: one row per record (client) × event (wave) × informant.

    Each row mapping has ``record_id``, ``event``, ``informant``, ``complete`` and
    ``answers`` (item id -> value).
    """
    form = field_name(definition.id)
    columns = ["record_id", "redcap_event_name", "informant"]
    columns += [field_name(i.id) for i in definition.items] + [f"{form}_complete"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        answers = row["answers"]
        writer.writerow(
            [row["record_id"], row["event"], row["informant"]]
            + ["" if answers.get(i.id) is None else answers[i.id] for i in definition.items]
            + [2 if row["complete"] else 0]
        )
    return out.getvalue().encode()
