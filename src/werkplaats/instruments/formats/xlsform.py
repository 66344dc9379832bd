"""XLSForm (ODK, KoboToolbox) as .xlsx or as CSV with the sheets stacked.

An XLSForm holds both languages (``label::Nederlands (nl)``), the choice lists with
their codes, required questions, and scales as ``calculate`` rows named ``score_<scale>``
whose calculation is ``${a} + (5 - ${b})`` (sum) or ``(${a} + ${b}) div 2`` (mean).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from werkplaats.instruments.formats.common import (
    MAX_COLUMNS,
    MAX_ROWS,
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
from werkplaats.stats.scoring import Definition, Problem

LANGUAGE_NAMES = {"nl": "Nederlands (nl)", "en": "English (en)"}
SHEETS = ("survey", "choices", "settings")
REF = re.compile(r"^\$\{([a-z0-9_-]+)\}$")
REVERSED = re.compile(r"^\((-?\d+)-\$\{([a-z0-9_-]+)\}\)$")


def _sheets(definition: Definition) -> tuple[dict[str, list[list[Any]]], list[Loss]]:
    losses = common_losses(definition, "XLSForm", languages=2, keeps_scoring=False)
    languages = [
        lang for lang in ("nl", "en") if lang in (definition.data.get("languages") or ["nl", "en"])
    ]
    labels = [f"label::{LANGUAGE_NAMES[lang]}" for lang in languages]
    survey: list[list[Any]] = [["type", "name", *labels, "required", "calculation"]]
    choices: list[list[Any]] = [["list_name", "name", *labels]]
    for item in definition.items:
        list_name = f"{item.id}_options"
        text = item.text or item.name
        survey.append(
            [
                f"select_one {list_name}",
                item.id,
                *[text.get(lang, "") for lang in languages],
                "yes" if item.required else "",
                "",
            ]
        )
        for option in item.options:
            choices.append(
                [list_name, option.value, *[option.label.get(lang, "") for lang in languages]]
            )
    for s, scale in enumerate(definition.scales):
        if scale.method == "gas":
            losses.append(
                Loss(f"scales[{s}]", "a GAS T-score is computed from goals; XLSForm cannot")
            )
            continue
        terms = []
        for item_id in scale.items:
            item = definition.item(item_id)
            ref = "${" + item_id + "}"
            if item.recode is not None:
                terms.append(recode_term(ref, item.recode, "''"))
            elif item.reverse:
                terms.append(f"({min(item.values) + max(item.values)} - {ref})")
            else:
                terms.append(ref)
        calc = " + ".join(terms)
        if scale.method == "mean":
            calc = f"({calc}) div {len(terms)}"
        survey.append(
            [
                "calculate",
                f"score_{scale.id}",
                *[scale.label.get(lang, "") for lang in languages],
                "",
                calc,
            ]
        )
    title = definition.data["title"]
    settings = [
        ["form_title", "form_id", "version", "default_language"],
        [
            title.get("nl") or title.get("en"),
            definition.id,
            definition.version,
            LANGUAGE_NAMES[languages[0]] if languages else "",
        ],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}, losses


def write(definition: Definition, fmt: str) -> ExportResult:
    sheets, losses = _sheets(definition)
    if fmt == "xlsform-csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for name, rows in sheets.items():
            writer.writerow([name, *rows[0]])
            for row in rows[1:]:
                writer.writerow(["", *row])
        return ExportResult(
            fmt, out.getvalue().encode(), f"{definition.id}.xlsform.csv", "text/csv", losses
        )
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return ExportResult(
        fmt,
        buffer.getvalue(),
        f"{definition.id}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        losses,
    )


def read(content: bytes, fmt: str) -> ImportResult:
    sheets = _read_csv(content) if fmt == "xlsform-csv" else _read_xlsx(content)
    if "survey" not in sheets:
        raise FormatError([Problem("survey", "the form has no survey sheet")])
    return _from_sheets(sheets)


def _read_xlsx(content: bytes) -> dict[str, list[dict[str, str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file
        raise FormatError("not a readable .xlsx file") from None
    sheets: dict[str, list[dict[str, str]]] = {}
    try:
        for sheet in book.worksheets:
            if sheet.title.lower() not in SHEETS:
                continue
            rows: list[list[str]] = []
            for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS):
                if len(rows) >= MAX_ROWS:
                    raise FormatError(f"the sheet {sheet.title!r} has more than {MAX_ROWS} rows")
                rows.append(["" if c is None else str(c).strip()[:2000] for c in row])
            sheets[sheet.title.lower()] = _as_records(rows)
    except FormatError:
        raise
    except Exception:
        raise FormatError("the .xlsx file is damaged") from None
    finally:
        book.close()
    return sheets


def _read_csv(content: bytes) -> dict[str, list[dict[str, str]]]:
    try:
        text = content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"not a readable CSV file: {exc}") from None
    sheets: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for row in rows:
        if not row:
            continue
        first, rest = row[0].strip().lower(), [c.strip() for c in row[1:]]
        if first:
            if first not in SHEETS:
                raise FormatError([Problem(first, "unknown sheet name")])
            current = sheets.setdefault(first, [])
        if current is None:
            raise FormatError("the CSV must start with a sheet name (survey) in the first column")
        if any(rest):
            current.append(rest)
    return {name: _as_records(rows) for name, rows in sheets.items()}


def _as_records(rows: list[list[str]]) -> list[dict[str, str]]:
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    return [{h: (r[i] if i < len(r) else "") for i, h in enumerate(header) if h} for r in rows[1:]]


def _labels(row: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        if not value or not key.lower().startswith("label"):
            continue
        match = re.search(r"\((nl|en)\)\s*$|::(nl|en)\s*$", key.lower())
        lang = (match.group(1) or match.group(2)) if match else "nl"
        out.setdefault(lang, value)
    return out


def _from_sheets(sheets: dict[str, list[dict[str, str]]]) -> ImportResult:
    losses: list[Loss] = []
    lists: dict[str, list[dict[str, Any]]] = {}
    for n, row in enumerate(sheets.get("choices", []), start=2):
        name = row.get("list_name", "")
        try:
            value = int(str(row.get("name", "")).strip())
        except ValueError:
            raise FormatError(
                [Problem(f"choices row {n}.name", f"{row.get('name')!r} is not a whole number")]
            ) from None
        lists.setdefault(name, []).append(
            {"value": value, "label": _labels(row) or {"nl": str(value)}}
        )
    items: list[dict[str, Any]] = []
    calcs: list[tuple[int, dict[str, str]]] = []
    for n, row in enumerate(sheets["survey"], start=2):
        kind = row.get("type", "").strip()
        name = row.get("name", "").strip()
        where = f"survey row {n}"
        if kind.startswith("select_one "):
            list_name = kind.split(None, 1)[1].strip()
            if list_name not in lists:
                raise FormatError([Problem(f"{where}.type", f"unknown choice list {list_name!r}")])
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", name):
                raise FormatError([Problem(f"{where}.name", f"{name!r} is not a valid name")])
            item: dict[str, Any] = {"id": name, "options": [dict(o) for o in lists[list_name]]}
            if _labels(row):
                item["text"] = _labels(row)
            if row.get("required", "").lower() in ("yes", "true", "true()"):
                item["required"] = True
            items.append(item)
        elif kind == "calculate":
            calcs.append((n, row))
        elif kind in ("begin group", "end group", "begin_group", "end_group", ""):
            continue
        else:
            losses.append(
                Loss(f"{where} ({name})", f"type {kind!r} is not a scored item; left out")
            )
    by_id = {i["id"]: i for i in items}
    scales = []
    tables: dict[str, dict[str, float]] = {}
    for n, row in calcs:
        scale = _parse_calculation(row, by_id, tables)
        if scale is None:
            losses.append(
                Loss(
                    f"survey row {n}",
                    f"calculation {row.get('calculation')!r} not understood; left out",
                )
            )
        else:
            scales.append(scale)
    settings = (sheets.get("settings") or [{}])[0]
    form_id = slugify(settings.get("form_id", "") or settings.get("form_title", ""), "xlsform")
    if not scales:
        scales = default_scales(items, losses, form_id)
    licence, citation = unknown_licence("XLSForm")
    losses.append(
        Loss(form_id, "licence and citation are not in an XLSForm; placeholders were set")
    )
    languages = sorted({lang for i in items for lang in i.get("text", {})}) or ["nl"]
    data: dict[str, Any] = {
        "format": "werkplaats.instrument/1",
        "id": form_id,
        "version": settings.get("version", "") or "",
        "construct": form_id,
        "kind": "questionnaire",
        "title": {languages[0]: settings.get("form_title") or form_id},
        "languages": languages,
        "licence": licence,
        "citation": citation,
        "items": items,
        "scales": scales,
    }
    if tables:
        data["recode_tables"] = tables
    if not data["version"]:
        data["version"] = imported_version(data)
    return ImportResult("xlsform", [data], losses)


def _parse_calculation(
    row: dict[str, str], items: dict[str, dict[str, Any]], tables: dict[str, dict[str, float]]
) -> dict[str, Any] | None:
    calc = row.get("calculation", "").replace(" ", "")
    method = "sum"
    match = re.fullmatch(r"\((.*)\)div(\d+)", calc)
    if match:
        calc, method = match.group(1), "mean"
        if int(match.group(2)) != len(split_top(calc, "+")):
            return None
    ids = []
    for term in split_top(calc, "+"):
        if m := REF.match(term):
            item_id = m.group(1)
            if item_id not in items:
                return None
        elif m := REVERSED.match(term):
            item_id = m.group(2)
            if item_id not in items or items[item_id].get("recode"):
                return None
            values = [o["value"] for o in items[item_id]["options"]]
            if int(m.group(1)) != min(values) + max(values):
                return None
            items[item_id]["reverse"] = True
        elif recoded := parse_recode_term(term, ("''", '""')):
            ref, table = recoded
            ref_match = REF.match(ref)
            item_id = ref_match.group(1) if ref_match else ""
            if item_id not in items or not apply_recode(items[item_id], table, tables):
                return None
        else:
            return None
        ids.append(item_id)
    name = row.get("name", "").removeprefix("score_")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", name):
        return None
    return {"id": name, "label": _labels(row) or {"nl": name}, "method": method, "items": ids}
