"""REDCap data dictionary CSV (definitions) and records CSV (answers).

A data dictionary has one row per field and eighteen columns. Each form becomes one
definition; every field is kept as an item of its own type (text with its validation,
notes, dropdown, radio, checkbox, yes/no, true/false, slider, calc, descriptive, file),
with its section header, field note, branching logic (translated into the expression
language; what cannot be translated is kept verbatim and reported), required flag,
identifier flag, matrix group and annotation. Scales travel as calc fields named
``score_<scale>`` with ``sum(...)`` or ``mean(...)`` over items, a reversed item written as
``(k-[item])`` and a recoded one as nested ``if``s. The first field of the dictionary is
the record identifier; it is kept (``record_field``) and written back first, not asked.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

from werkplaats.core.tabular import SafeDictWriter, SafeWriter
from werkplaats.instruments.formats import (
    N_,
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    apply_recode,
    common_losses,
    decode_text,
    imported_version,
    item_name,
    licence_placeholder,
    loss,
    option_code,
    parse_recode_term,
    read_csv,
    recode_term,
    slugify,
    split_top,
    text_of,
    translate_expression,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Definition, Item, Problem, pick_text

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
(
    FIELD,
    FORM,
    SECTION,
    TYPE,
    LABEL,
    CHOICES,
    NOTE,
    VALIDATION,
    VMIN,
    VMAX,
    IDENTIFIER,
    BRANCHING,
    REQUIRED,
    ALIGNMENT,
    QNUMBER,
    MATRIX,
    RANKING,
    ANNOTATION,
) = COLUMNS
# how a header cell is recognised (REDCap has renamed some over the years)
HEADER_KEYS = [
    (FIELD, ("variable / field name", "variable", "field name")),
    (FORM, ("form name", "form")),
    (SECTION, ("section header",)),
    (TYPE, ("field type",)),
    (LABEL, ("field label",)),
    (CHOICES, ("choices, calculations", "choices")),
    (NOTE, ("field note",)),
    (VALIDATION, ("text validation type", "validation type")),
    (VMIN, ("text validation min",)),
    (VMAX, ("text validation max",)),
    (IDENTIFIER, ("identifier",)),
    (BRANCHING, ("branching logic", "branching")),
    (REQUIRED, ("required field", "required")),
    (ALIGNMENT, ("custom alignment",)),
    (QNUMBER, ("question number",)),
    (MATRIX, ("matrix group name", "matrix group")),
    (RANKING, ("matrix ranking",)),
    (ANNOTATION, ("field annotation", "annotation")),
]
TERM = re.compile(
    r"^\[([A-Za-z0-9_][A-Za-z0-9_./-]*)\]$|^\((-?\d+(?:\.\d+)?)-\[([A-Za-z0-9_][A-Za-z0-9_./-]*)\]\)$"
)
DATE_TYPES = {"date_ymd", "date_dmy", "date_mdy"}
DATETIME_TYPES = {f"datetime{s}_{o}" for s in ("", "_seconds") for o in ("ymd", "dmy", "mdy")}
TIME_TYPES = {"time", "time_hh_mm_ss", "time_mm_ss"}
NUMBER_TYPES = {
    "number",
    "number_comma_decimal",
    *{f"number_{n}dp" for n in range(1, 5)},
    *{f"number_{n}dp_comma_decimal" for n in range(1, 5)},
}
YESNO = [
    {"value": 1, "label": {"en": "Yes", "nl": "Ja"}},
    {"value": 0, "label": {"en": "No", "nl": "Nee"}},
]
TRUEFALSE = [
    {"value": 1, "label": {"en": "True", "nl": "Waar"}},
    {"value": 0, "label": {"en": "False", "nl": "Onwaar"}},
]


def field_name(item_id: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", item_id.lower())


# ---------------------------------------------------------------- reading


def _header(row: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    lowered = [h.strip().lower() for h in row]
    for column, keys in HEADER_KEYS:
        for n, cell in enumerate(lowered):
            if n in index.values():
                continue
            if any(cell.startswith(k) for k in keys):
                index[column] = n
                break
    return index


def _unguard(cell: str) -> str:
    """Undo the formula guard of a file written by a spreadsheet-safe writer."""
    return cell[1:] if re.match(r"^'[=+\-@\t\r]", cell) else cell


def read(content: bytes, language: str = "nl") -> ImportResult:
    text = decode_text(content, "the data dictionary")
    rows = read_csv(text, "the data dictionary")
    if not rows:
        raise FormatError("the data dictionary is empty")
    index = _header(rows[0])
    for needed in (FIELD, FORM, TYPE):
        if needed not in index:
            raise FormatError([Problem("header", f"the column {needed!r} is missing")])
    losses: list[Loss] = []
    known = set(index.values())
    for n, cell in enumerate(rows[0]):
        if n not in known and cell.strip():
            losses.append(loss(cell.strip(), N_("this column is not a REDCap column; not read"), 1))
    forms: dict[str, list[tuple[int, dict[str, str]]]] = {}
    record_field: dict[str, Any] | None = None
    seen: set[str] = set()
    for n, row in enumerate(rows[1:], start=2):
        record = {c: (_unguard(row[i]).strip() if i < len(row) else "") for c, i in index.items()}
        for column, _keys in HEADER_KEYS:
            record.setdefault(column, "")
        raw_name = record[FIELD]
        name = item_name(raw_name)
        if name is None:
            losses.append(
                loss(raw_name or "?", N_("not a usable field name; the row is left out"), n)
            )
            continue
        if name in seen:
            losses.append(loss(name, N_("a second field of this name; the row is left out"), n))
            continue
        seen.add(name)
        if record_field is None and not forms and record[TYPE].strip().lower() == "text":
            # REDCap's first field is the record identifier, always a text field
            record_field = {
                "id": name,
                "label": text_of(record[LABEL], language) or {language: name},
            }
            if record[BRANCHING] or record[VALIDATION]:
                losses.append(
                    loss(
                        name,
                        N_(
                            "the first field is REDCap's record identifier; its type, "
                            "validation and branching are not kept"
                        ),
                        n,
                    )
                )
            continue
        forms.setdefault(record[FORM] or "form", []).append((n, record))
    if not forms:
        raise FormatError("the data dictionary holds no fields besides the record identifier")
    definitions = []
    for number, (form, records) in enumerate(forms.items()):
        definition, form_losses = _read_form(
            form, records, language, record_field if number == 0 else None
        )
        definitions.append(definition)
        losses += form_losses
    return ImportResult("redcap", definitions, losses)


def _choices(
    text: str, name: str, row: int, losses: list[Loss], language: str
) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for part in text.split("|"):
        if not part.strip():
            continue
        code, sep, label = part.partition(",")
        code = code.strip()
        if not sep:
            label = code
        if not code:
            losses.append(
                loss(
                    name,
                    N_("a choice without a code is left out: %(part)s"),
                    row,
                    part=repr(part.strip()),
                )
            )
            continue
        value = option_code(code)
        if str(value) in seen:
            losses.append(
                loss(
                    name,
                    N_("choice code %(code)s appears twice; the second is left out"),
                    row,
                    code=code,
                )
            )
            continue
        seen.add(str(value))
        options.append({"value": value, "label": {language: label.strip()[:2000] or code}})
    return options


def _validation(item: dict[str, Any], r: Mapping[str, str], losses: list[Loss], row: int) -> None:
    vtype = r[VALIDATION].strip().lower()
    if not vtype:
        return
    validation: dict[str, Any] = {"type": vtype}
    for key, column in (("min", VMIN), ("max", VMAX)):
        bound = r[column].strip()
        if bound:
            number = bound.replace(",", ".") if "comma" in vtype else bound
            try:
                validation[key] = int(number) if re.fullmatch(r"-?\d+", number) else float(number)
            except ValueError:
                validation[key] = bound
    if vtype in DATE_TYPES:
        item["type"] = "date"
    elif vtype in DATETIME_TYPES:
        item["type"] = "datetime"
    elif vtype in TIME_TYPES:
        item["type"] = "time"
        if vtype == "time_mm_ss":
            losses.append(loss(r[FIELD], N_("minutes:seconds is asked as a time of day"), row))
    elif vtype == "integer":
        item["type"] = "integer"
    elif vtype in NUMBER_TYPES:
        item["type"] = "decimal"
    elif vtype in ("email", "phone", "alpha_only", "zipcode", "postalcode_nl", "signature"):
        if vtype not in ("email", "phone"):
            losses.append(
                loss(
                    r[FIELD],
                    N_("validation %(type)s is kept for export but not checked"),
                    row,
                    type=vtype,
                )
            )
    else:
        losses.append(
            loss(
                r[FIELD],
                N_("validation %(type)s is kept for export but not checked"),
                row,
                type=vtype,
            )
        )
    for key in ("min", "max"):
        limit = validation.get(key)
        if isinstance(limit, str) and limit.lower() in ("today", "now"):
            losses.append(
                loss(
                    r[FIELD],
                    N_("the bound %(bound)s is kept for export but not checked"),
                    row,
                    bound=limit,
                )
            )
    item["validation"] = validation


def _read_form(
    form: str,
    records: list[tuple[int, dict[str, str]]],
    language: str,
    record_field: dict[str, Any] | None,
) -> tuple[dict[str, Any], list[Loss]]:
    losses: list[Loss] = []
    items: list[dict[str, Any]] = []
    calcs: list[tuple[int, dict[str, str], dict[str, Any]]] = []
    for n, r in records:
        name, kind = r[FIELD], r[TYPE].strip().lower()
        item: dict[str, Any] = {"id": name}
        label = text_of(r[LABEL], language)
        if kind in ("radio", "dropdown", "checkbox"):
            options = _choices(r[CHOICES], name, n, losses, language)
            if not options:
                losses.append(
                    loss(name, N_("a %(kind)s field without choices is read as text"), n, kind=kind)
                )
                item["type"] = "text"
            else:
                item["type"] = "multiple" if kind == "checkbox" else "choice"
                item["options"] = options
                if kind == "dropdown":
                    item["appearance"] = "dropdown"
        elif kind == "yesno":
            item["type"], item["options"] = "yesno", [dict(o) for o in YESNO]
        elif kind == "truefalse":
            item["type"], item["options"] = "yesno", [dict(o) for o in TRUEFALSE]
            item["appearance"] = "truefalse"
        elif kind == "text":
            item["type"] = "text"
            _validation(item, r, losses, n)
        elif kind == "notes":
            item["type"] = "long_text"
        elif kind == "slider":
            item["type"] = "slider"
            if r[CHOICES]:
                item.setdefault("verbatim", {})["slider_labels"] = r[CHOICES][:4000]
                losses.append(
                    loss(name, N_("the slider's labels are kept for export but not shown"), n)
                )
            if r[VMIN] or r[VMAX]:
                item["validation"] = {
                    k: float(v) if re.fullmatch(r"-?\d+(\.\d+)?", v) else v
                    for k, v in (("min", r[VMIN]), ("max", r[VMAX]))
                    if v
                }
        elif kind == "descriptive":
            item["type"] = "display"
        elif kind == "calc":
            item["type"] = "calculated"
            calcs.append((n, r, item))
        elif kind == "file":
            item["type"] = "file"
            losses.append(
                loss(
                    name,
                    N_(
                        "a file upload is kept as a declared item; Werkplaats does not collect files"
                    ),
                    n,
                )
            )
        elif kind == "sql":
            item["type"] = "display"
            item.setdefault("verbatim", {})["sql"] = r[CHOICES][:4000]
            losses.append(
                loss(name, N_("an sql field is kept verbatim for export; its query is not run"), n)
            )
        else:
            item["type"] = "text"
            losses.append(
                loss(name, N_("unknown field type %(kind)s; read as text"), n, kind=repr(kind))
            )
        if label:
            item["text"] = label
        elif item["type"] not in ("calculated", "display"):
            item["text"] = {language: name}
            losses.append(loss(name, N_("the field has no label; its name is shown instead"), n))
        if item["type"] == "display" and not label:
            item["text"] = {language: name}
        if r[NOTE]:
            item["note"] = text_of(r[NOTE], language)
        if r[SECTION]:
            item["section"] = text_of(r[SECTION], language)
        if r[REQUIRED].strip().lower() in ("y", "yes", "1"):
            item["required"] = True
        if r[IDENTIFIER].strip().lower() in ("y", "yes", "1"):
            item["identifier"] = True
        if r[MATRIX]:
            item["matrix"] = r[MATRIX][:100]
        for column, key in (
            (ALIGNMENT, "alignment"),
            (QNUMBER, "question_number"),
            (RANKING, "matrix_ranking"),
            (ANNOTATION, "annotation"),
        ):
            if r[column]:
                item.setdefault("verbatim", {})[key] = r[column][:4000]
        if r[ANNOTATION] and "@" in r[ANNOTATION]:
            losses.append(
                loss(
                    name,
                    N_(
                        "action tags in the annotation (%(tags)s) are kept for export but not applied"
                    ),
                    n,
                    tags=", ".join(sorted(set(re.findall(r"@[A-Z][A-Z0-9_-]*", r[ANNOTATION]))))
                    or "@",
                )
            )
        translate_expression(r[BRANCHING], "redcap", item, "relevant", losses, row=n, path=name)
        if item["type"] == "calculated":
            translate_expression(
                r[CHOICES], "redcap", item, "calculation", losses, row=n, path=name
            )
            if "calculation" not in item and "calculation" not in item.get("verbatim", {}):
                item["verbatim"] = {**item.get("verbatim", {}), "calculation": ""}
                losses.append(loss(name, N_("a calc field without a calculation"), n))
        items.append(item)
    by_id = {i["id"]: i for i in items}
    scales = []
    tables: dict[str, dict[str, float]] = {}
    for row_number, r, item in calcs:
        scale = _parse_calc(r, by_id, language, tables) if r[FIELD].startswith("score_") else None
        if scale is not None:
            scales.append(scale)
            items.remove(item)
        elif r[FIELD].startswith("score_"):
            losses.append(
                loss(
                    r[FIELD],
                    N_(
                        "this calculation is not a scale Werkplaats can score (sum or mean of items); kept as a calculated field"
                    ),
                    row_number,
                )
            )
    # items referred to in expressions but not in this form (another form) are reported
    ids = {i["id"] for i in items}
    rows_by_id = {r[FIELD]: n for n, r in records}
    for n_item in items:
        for key in ("relevant", "calculation"):
            if key in n_item:
                missing = expressions.references(expressions.parse(n_item[key])) - ids
                if missing:
                    n_item.setdefault("verbatim", {})[key] = n_item.pop(key)
                    scored = {f"score_{s['id']}" for s in scales}
                    message = (
                        N_(
                            "%(attribute)s reads a scale score (%(fields)s), which is not an answer; kept verbatim, not applied"
                        )
                        if missing <= scored
                        else N_(
                            "%(attribute)s reads fields of another form (%(fields)s); kept verbatim, not applied"
                        )
                    )
                    losses.append(
                        loss(
                            n_item["id"],
                            message,
                            rows_by_id.get(n_item["id"]),
                            attribute=key,
                            fields=", ".join(sorted(missing)),
                        )
                    )
    licence, citation, placeholder = licence_placeholder("REDCap data dictionary", form)
    losses.append(placeholder)
    identifier = slugify(form, "form").replace("_", "-")
    data: dict[str, Any] = {
        "format": "werkplaats.instrument/1",
        "id": identifier,
        "version": "",
        "construct": identifier,
        "kind": "questionnaire",
        "title": {language: form.replace("_", " ").strip().capitalize() or "Instrument"},
        "languages": [language],
        "licence": licence,
        "citation": citation,
        "items": items,
    }
    if record_field is not None:
        data["record_field"] = record_field
    if scales:
        data["scales"] = scales
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
            if item_id not in items or not _scorable(items[item_id]):
                return None
        elif m:
            item_id = m.group(3)
            if item_id not in items or not _scorable(items[item_id]):
                return None
            values = [float(o["value"]) for o in items[item_id]["options"]]
            if float(m.group(2)) != min(values) + max(values) or items[item_id].get("recode"):
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
    scale_id = slugify(r[FIELD].removeprefix("score_"), "score")
    return {
        "id": scale_id,
        "label": {language: r[LABEL] or scale_id},
        "method": method,
        "items": ids,
        "min_answered": 1,
    }


def _scorable(item: dict[str, Any]) -> bool:
    return item.get("type") in ("choice", "yesno") and all(
        isinstance(o["value"], int) for o in item.get("options", [])
    )


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
                f"{o.value}, {pick_text(o.label, language, first)}" for o in item.options
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
                bound = (item.validation or {}).get(key)
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
        if scale.method == "gas":
            losses.append(
                loss(
                    f"scales[{s}]",
                    N_("a GAS T-score is computed from goals; %(target)s cannot"),
                    target="REDCap",
                )
            )
            continue
        terms = []
        for item_id in scale.items:
            item = definition.item(item_id)
            ref = f"[{field_name(item_id)}]"
            if item.recode is not None:
                terms.append(
                    recode_term(
                        ref, {o.value: item.item_score(o.value) for o in item.options}, '""'
                    )
                )
            elif item.is_choice and any(o.score is not None for o in item.options):
                terms.append(
                    recode_term(
                        ref, {o.value: item.item_score(o.value) for o in item.options}, '""'
                    )
                )
            elif item.reverse:
                scores = [item.base_score(o) or 0 for o in item.options]
                terms.append(f"({min(scores) + max(scores):g}-{ref})")
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
    ``answers`` (item id -> value). A multiple-choice item has one column per choice
    (``field___code``, 1 or 0), as REDCap exports checkboxes.
    """
    form = field_name(definition.id)
    record = (definition.data.get("record_field") or {}).get("id", "record_id")
    columns = [record, "redcap_event_name", "informant"]
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
        cells: list[Any] = [row["record_id"], row["event"], row["informant"]]
        for item in definition.answerable_items:
            value = answers.get(item.id)
            if item.type == "multiple":
                chosen = {str(v) for v in value} if isinstance(value, list) else set()
                cells += [1 if str(o.value) in chosen else 0 for o in item.options]
            else:
                cells.append("" if value is None else value)
        cells.append(2 if row["complete"] else 0)
        writer.writerow(cells)
    return out.getvalue().encode()
