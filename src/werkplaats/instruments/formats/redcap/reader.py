"""Reading a REDCap data dictionary: one definition per form, losses by row and field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkplaats.instruments.formats.common import (
    N_,
    FormatError,
    ImportResult,
    Loss,
    decode_text,
    imported_version,
    item_name,
    licence_placeholder,
    loss,
    option_code,
    read_csv,
    slugify,
    text_of,
    translate_expression,
)
from werkplaats.instruments.formats.recode import apply_recode, parse_recode_term, split_top
from werkplaats.instruments.formats.redcap.columns import (
    ALIGNMENT,
    ANNOTATION,
    BRANCHING,
    CHOICES,
    FIELD,
    FORM,
    HEADER_KEYS,
    IDENTIFIER,
    LABEL,
    MATRIX,
    NOTE,
    QNUMBER,
    RANKING,
    REQUIRED,
    SECTION,
    TERM,
    TRUEFALSE,
    TYPE,
    VALIDATION,
    VMAX,
    VMIN,
    YESNO,
)
from werkplaats.instruments.formats.redcap.validation import read_validation as _validation
from werkplaats.stats import expressions
from werkplaats.stats.definition import Problem

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
    text = decode_text(content, N_("the data dictionary"))
    rows = read_csv(text, N_("the data dictionary"))
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
    # " | " between choices, as REDCap exports them; one choice per line, as they are typed
    # in REDCap's designer and kept in some hand-made dictionaries
    for part in re.split(r"\||\r\n|\n|\r", text):
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
