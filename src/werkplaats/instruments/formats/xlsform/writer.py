"""Writing a definition as an XLSForm (.xlsx, or CSV with the sheets stacked)."""

from __future__ import annotations

import io
from typing import Any

from werkplaats.core.tabular import SafeWriter, append_row
from werkplaats.instruments.formats.common import (
    N_,
    ExportResult,
    Loss,
    common_losses,
    loss,
)
from werkplaats.instruments.formats.recode import scale_terms
from werkplaats.instruments.formats.xlsform.names import (
    LANGUAGE_NAMES,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Definition, Item

# ---------------------------------------------------------------- writing


def _column(kind: str, lang: str) -> str:
    name = LANGUAGE_NAMES.get(lang.split("-")[0], lang)
    return f"{kind}::{name} ({lang})"


def _x(node: Any, verbatim: dict[str, str], key: str, where: str, losses: list[Loss]) -> str:
    if node is None:
        return verbatim.get(key, "")
    try:
        return expressions.to_xlsform(node)
    except expressions.ExpressionError as exc:
        losses.append(
            loss(
                where,
                N_("XLSForm cannot hold this %(attribute)s (%(reason)s); left out"),
                attribute=key,
                reason=str(exc),
            )
        )
        return ""


def _type_of(item: Item, list_name: str) -> str:
    if item.type in ("choice", "yesno"):
        return f"select_one {list_name}"
    if item.type == "multiple":
        return f"select_multiple {list_name}"
    return {
        "text": "text",
        "long_text": "text",
        "integer": "integer",
        "decimal": "decimal",
        "date": "date",
        "datetime": "dateTime",
        "time": "time",
        "slider": "range",
        "display": "note",
        "calculated": "calculate",
        "file": "file",
    }[item.type]


def _sheets(definition: Definition) -> tuple[dict[str, list[list[Any]]], list[Loss]]:  # noqa: C901
    losses = common_losses(definition, "XLSForm", languages=99, keeps_scoring=False)
    d = definition.data
    languages = list(definition.languages) or ["nl"]

    def texts(kind: str) -> list[str]:
        return [_column(kind, lang) for lang in languages]

    header = [
        "type",
        "name",
        *texts("label"),
        *texts("hint"),
        "required",
        "relevant",
        "constraint",
        *texts("constraint_message"),
        "calculation",
        "choice_filter",
        "appearance",
        "parameters",
        "default",
        "read_only",
    ]
    survey: list[list[Any]] = [header]
    choices: list[list[Any]] = [["list_name", "name", *texts("label")]]
    filter_columns: list[str] = []
    for item in definition.items:
        for option in item.options:
            for key in option.filter or {}:
                if key not in filter_columns:
                    filter_columns.append(key)
    choices[0] += filter_columns
    written_lists: dict[str, tuple[Any, ...]] = {}
    groups = {g.id: g for g in definition.groups}
    open_groups: list[str] = []

    def row(**cells: Any) -> list[Any]:
        return [cells.get(h, "") for h in header]

    def close_to(target: str | None) -> None:
        chain: list[str] = []
        g = target
        while g:
            chain.insert(0, g)
            g = groups[g].parent if g in groups else None
        while open_groups and open_groups[-1] not in chain:
            closed = open_groups.pop()
            survey.append(row(type="end repeat" if groups[closed].repeat else "end group"))
        for g in chain:
            if g not in open_groups:
                group = groups[g]
                cells: dict[str, Any] = {
                    "type": "begin repeat" if group.repeat else "begin group",
                    "name": g,
                    "relevant": _x(group.relevant, {}, "relevant", g, losses),
                }
                raw_group = next(x for x in d.get("groups", []) if x["id"] == g)
                cells["appearance"] = raw_group.get("appearance", "")
                for lang in languages:
                    cells[_column("label", lang)] = group.label.get(lang, "")
                survey.append(row(**cells))
                open_groups.append(g)

    for i, item in enumerate(definition.items):
        raw = d["items"][i]
        verbatim = dict(raw.get("verbatim") or {})
        close_to(item.group)
        list_name = verbatim.get("list_name") or f"{item.id}_options"
        if item.options:
            signature = tuple((o.value, tuple(sorted(o.label.items()))) for o in item.options)
            if written_lists.get(list_name) not in (None, signature):
                list_name = f"{item.id}_options"
            if list_name not in written_lists:
                written_lists[list_name] = signature
                for option in item.options:
                    choices.append(
                        [
                            list_name,
                            option.value,
                            *[option.label.get(lang, "") for lang in languages],
                        ]
                        + [(option.filter or {}).get(k, "") for k in filter_columns]
                    )
            if any(o.score is not None for o in item.options) and not any(
                item.id in s.items for s in definition.scales
            ):
                losses.append(loss(item.id, N_("option scores apart from the codes are left out")))
        kind = verbatim.get("type") or _type_of(item, list_name)
        if item.type == "long_text":
            item_appearance = item.appearance or "multiline"
        else:
            item_appearance = item.appearance or ""
        if item.type == "yesno" and item.appearance != "acknowledge" and not item.appearance:
            item_appearance = ""
        cells = {
            "type": kind if not verbatim.get("type") else verbatim["type"],
            "name": item.id,
            "required": "yes"
            if item.required
            else _x(item.required_when, verbatim, "required_when", item.id, losses),
            "relevant": _x(item.relevant, verbatim, "relevant", item.id, losses),
            "constraint": _x(item.constraint, verbatim, "constraint", item.id, losses),
            "calculation": _x(item.calculation, verbatim, "calculation", item.id, losses),
            "choice_filter": _x(item.choice_filter, verbatim, "choice_filter", item.id, losses),
            "appearance": item_appearance if item.appearance != "acknowledge" else "",
            "default": verbatim.get("default", ""),
            "read_only": verbatim.get("read_only", ""),
        }
        if item.appearance == "acknowledge":
            cells["type"] = "acknowledge"
        if item.type == "slider":
            v = item.validation or {}
            parts = [
                f"start={v['min']:g}" if "min" in v else "",
                f"end={v['max']:g}" if "max" in v else "",
                f"step={verbatim['step']}" if "step" in verbatim else "",
            ]
            cells["parameters"] = " ".join(p for p in parts if p)
        elif (
            item.validation
            and (item.validation.get("min") is not None or item.validation.get("max") is not None)
            and not item.constraint
        ):
            bounds = []
            low, high = item.validation.get("min"), item.validation.get("max")
            quoted = item.type in ("date", "datetime", "time")

            def quote(bound: object, quoted: bool = quoted) -> str:
                return f"'{bound}'" if quoted else f"{bound}"

            if low is not None:
                bounds.append(f". >= {quote(low)}")
            if high is not None:
                bounds.append(f". <= {quote(high)}")
            cells["constraint"] = " and ".join(bounds)
        text = item.text or item.name
        for lang in languages:
            cells[_column("label", lang)] = text.get(lang, "") if item.type != "calculated" else ""
            cells[_column("hint", lang)] = (item.note or {}).get(lang, "")
            cells[_column("constraint_message", lang)] = (raw.get("constraint_message") or {}).get(
                lang, ""
            )
        if item.section:
            note = {"type": "note", "name": f"{item.id}_section"}
            for lang in languages:
                note[_column("label", lang)] = item.section.get(lang, "")
            survey.append(row(**note))
        if item.matrix:
            losses.append(loss(item.id, N_("the matrix group has no place in XLSForm; left out")))
        if item.validation and item.validation.get("type") in ("email", "phone"):
            losses.append(
                loss(item.id, N_("validation %(type)s is left out"), type=item.validation["type"])
            )
        survey.append(row(**cells))
    close_to(None)
    for s, scale in enumerate(definition.scales):
        terms = scale_terms(definition, s, "XLSForm", lambda i: "${" + i + "}", "''", " - ", losses)
        if terms is None:
            continue
        calc = " + ".join(terms)
        if scale.method == "mean":
            calc = f"({calc}) div {len(terms)}"
        cells = {"type": "calculate", "name": f"score_{scale.id}", "calculation": calc}
        for lang in languages:
            cells[_column("label", lang)] = scale.label.get(lang, "")
        survey.append(row(**cells))
    title = definition.data["title"]
    settings_data = dict(d.get("settings") or {})
    settings_header = ["form_title", "form_id", "version", "default_language"]
    extra = [k for k in settings_data if k not in ("id_string", "default_language")]
    settings = [
        settings_header + extra,
        [
            title.get(languages[0]) or next(iter(title.values())),
            settings_data.get("id_string") or definition.id,
            definition.version,
            f"{LANGUAGE_NAMES.get(languages[0].split('-')[0], languages[0])} ({languages[0]})",
            *[settings_data[k] for k in extra],
        ],
    ]
    # columns nobody filled are left out: the file holds what the definition has
    used = [
        c for c in range(len(header)) if c < 2 or any(r[c] not in ("", None) for r in survey[1:])
    ]
    survey = [[r[c] for c in used] for r in survey]
    return {"survey": survey, "choices": choices, "settings": settings}, losses


def write(definition: Definition, fmt: str) -> ExportResult:
    sheets, losses = _sheets(definition)
    if fmt == "xlsform-csv":
        out = io.StringIO()
        writer = SafeWriter(out, lineterminator="\n")
        for name, rows in sheets.items():
            writer.writerow([name, *rows[0]])
            for row in rows[1:]:
                writer.writerow(["", *row])
        return ExportResult(
            fmt, out.getvalue().encode(), f"{definition.id}.xlsform.csv", "text/csv", losses
        )
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            append_row(sheet, row)
    buffer = io.BytesIO()
    book.save(buffer)
    return ExportResult(
        fmt,
        buffer.getvalue(),
        f"{definition.id}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        losses,
    )
