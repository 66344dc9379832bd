"""XLSForm (ODK, KoboToolbox, SurveyCTO) as .xlsx or as CSV with the sheets stacked.

Reading is pyxform's (the reference XLSForm converter of ODK, BSD-2): its
``get_xlsform`` reads the workbook (trailing empty rows and columns do not count) and
its ``workbook_to_json`` resolves languages, groups, repeats, choice lists, choice
filters and settings. A row pyxform refuses is left out and reported with pyxform's
own message; the rest is imported. The mapping of pyxform's result into Werkplaats'
model, and the writer, are ours. Scales travel as ``calculate`` rows named
``score_<scale>`` whose calculation is ``${a} + (5 - ${b})`` (sum) or
``(${a} + ${b}) div 2`` (mean).
"""

from __future__ import annotations

import io
import re
from typing import Any

from werkplaats.core.tabular import SafeWriter, append_row
from werkplaats.instruments.formats import (
    MAX_ROWS,
    N_,
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    apply_recode,
    common_losses,
    imported_version,
    language_code,
    licence_placeholder,
    loss,
    option_code,
    parse_recode_term,
    recode_term,
    slugify,
    split_top,
    translate_expression,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Definition, Item

REF = re.compile(r"^\$\{([A-Za-z0-9_][A-Za-z0-9_.-]*)\}$")
REVERSED = re.compile(r"^\((-?\d+(?:\.\d+)?)-\$\{([A-Za-z0-9_][A-Za-z0-9_.-]*)\}\)$")
LANGUAGE_NAMES = {
    "nl": "Nederlands",
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "pt": "Português",
    "sw": "Swahili",
    "ar": "Arabic",
    "tr": "Türkçe",
    "pl": "Polski",
}
TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "datetime",
    "time": "time",
    "select one": "choice",
    "select all that apply": "multiple",
    "note": "display",
    "calculate": "calculated",
    "range": "slider",
}
FILE_TYPES = {"image", "audio", "video", "file", "background-audio", "photo"}
META_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
}
TRUE = ("yes", "true", "true()", "1")


# ---------------------------------------------------------------- reading


def read(content: bytes, fmt: str, language: str = "nl") -> ImportResult:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    try:
        workbook = get_xlsform(content, file_type=".csv" if fmt == "xlsform-csv" else ".xlsx")
    except (PyXFormError, Exception) as exc:  # pyxform and openpyxl raise many kinds
        what = "an XLSForm in CSV form" if fmt == "xlsform-csv" else "a readable .xlsx file"
        raise FormatError(f"not {what}: {str(exc)[:300]}") from None
    if not workbook.survey:
        raise FormatError("the form has no survey sheet, or it is empty")
    for sheet in ("survey", "choices"):
        rows = getattr(workbook, sheet) or []
        if len(rows) > MAX_ROWS:
            raise FormatError(f"the sheet {sheet!r} has more than {MAX_ROWS} filled rows")
    for sheet in ("survey", "choices", "settings"):
        rows = getattr(workbook, sheet)
        if rows:
            setattr(workbook, sheet, [{k: _unguard(v) for k, v in r.items()} for r in rows])
    losses: list[Loss] = []
    survey = [dict(r) for r in workbook.survey]
    rows_of = {id(r): n for n, r in enumerate(survey, start=2)}
    lists = {str(c.get("list_name") or "").strip() for c in workbook.choices or []}
    for row in survey:
        kind = str(row.get("type") or "").strip()
        match = re.match(
            r"^(select_one|select_multiple|select one|select all that apply|rank)\s+(\S+)", kind
        )
        if (
            match
            and match.group(2) not in lists
            and not kind.endswith((".csv", ".xml", ".geojson"))
        ):
            losses.append(
                loss(
                    str(row.get("name") or ""),
                    N_(
                        "the choice list %(list)s is not in the choices sheet; the question is asked as text"
                    ),
                    rows_of[id(row)],
                    list=match.group(2),
                )
            )
            row["type"] = "text"
    result = None
    for _attempt in range(200):
        warnings: list[str] = []
        try:
            workbook.survey = survey
            result = workbook_to_json(workbook, warnings=warnings)
            break
        except PyXFormError as exc:
            message = str(exc)
            match = re.search(r"\[row\s*:\s*(\d+)\]", message)
            sheet_match = re.search(
                r"'(choices|settings)' sheet|sheet '?(choices|settings)'?", message
            )
            if match and not sheet_match:
                bad_row = int(match.group(1))
                index = next(
                    (k for k, r in enumerate(survey) if rows_of.get(id(r)) == bad_row), None
                )
                if index is None:
                    raise FormatError(f"the form cannot be read: {message[:300]}") from None
                removed = survey.pop(index)
                losses.append(
                    loss(
                        str(removed.get("name") or removed.get("type") or ""),
                        N_("left out: pyxform could not read this row (%(reason)s)"),
                        bad_row,
                        reason=message[:300],
                    )
                )
                continue
            raise FormatError(f"the form cannot be read: {message[:300]}") from None
    if result is None:
        raise FormatError("the form cannot be read: too many rows were refused")
    return _from_json(result, survey, rows_of, losses, language)


def _unguard(value: Any) -> Any:
    """Undo the formula guard of a spreadsheet-safe CSV writer (``'=...`` -> ``=...``)."""
    if isinstance(value, str) and re.match(r"^'[=+\-@\t\r]", value):
        return value[1:]
    return value


def _lang_texts(value: Any, default: str, languages: list[str]) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        out = {default: value.strip()[:2000]} if value.strip() else {}
    elif isinstance(value, dict):
        out = {}
        for name, text in value.items():
            if isinstance(text, str) and text.strip():
                out.setdefault(language_code(str(name), default), text.strip()[:2000])
    else:
        return {}
    for lang in out:
        if lang not in languages:
            languages.append(lang)
    return out


class _Reader:
    def __init__(self, result: dict[str, Any], rows: dict[str, int], language: str) -> None:
        self.result = result
        self.rows = rows
        self.default = language_code(str(result.get("default_language") or ""), language)
        if self.default in ("default", ""):
            self.default = language
        self.languages: list[str] = [self.default]
        self.items: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.losses: list[Loss] = []
        self.calcs: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def texts(self, value: Any) -> dict[str, str]:
        return _lang_texts(value, self.default, self.languages)

    def walk(self, children: list[dict[str, Any]], parent: str | None) -> None:
        for child in children:
            kind = str(child.get("type", ""))
            name = str(child.get("name", ""))
            row = self.rows.get(name)
            if kind in ("group", "repeat"):
                if name == "meta" and (child.get("control") or {}).get("bodyless"):
                    continue  # pyxform's own instanceID group, not in the source
                self.group(child, kind, name, parent, row)
                continue
            self.item(child, kind, name, parent, row)

    def group(
        self, child: dict[str, Any], kind: str, name: str, parent: str | None, row: int | None
    ) -> None:
        group: dict[str, Any] = {"id": name}
        label = self.texts(child.get("label"))
        if label:
            group["label"] = label
        if kind == "repeat":
            group["repeat"] = True
            self.losses.append(
                loss(
                    name,
                    N_("a repeat is kept in the definition, but the forms ask its questions once"),
                    row,
                )
            )
        if parent:
            group["parent"] = parent
        appearance = (child.get("control") or {}).get("appearance")
        if appearance:
            group["appearance"] = str(appearance)[:100]
        bind = child.get("bind") or {}
        translate_expression(
            str(bind.get("relevant") or ""),
            "xlsform",
            group,
            "relevant",
            self.losses,
            row=row,
            path=name,
        )
        self.groups.append(group)
        self.walk(child.get("children") or [], name)

    def item(
        self, child: dict[str, Any], kind: str, name: str, parent: str | None, row: int | None
    ) -> None:
        bind = child.get("bind") or {}
        if kind in META_TYPES or (kind == "calculate" and bind.get("jr:preload")):
            self.losses.append(
                loss(
                    name,
                    N_("metadata (%(kind)s) is not collected by Werkplaats; left out"),
                    row,
                    kind=kind,
                )
            )
            return
        item: dict[str, Any] = {"id": name}
        mapped = TYPES.get(kind)
        if mapped is None:
            if kind in FILE_TYPES:
                mapped = "file"
                self.losses.append(
                    loss(
                        name,
                        N_(
                            "a file upload (%(kind)s) is kept as a declared item; Werkplaats does not collect files"
                        ),
                        row,
                        kind=kind,
                    )
                )
            elif kind == "acknowledge":
                mapped = "choice"
                item["options"] = [{"value": "OK", "label": {self.default: "OK"}}]
                item["appearance"] = "acknowledge"
            else:
                mapped = "text"
                self.losses.append(loss(name, N_("type %(kind)s is asked as text"), row, kind=kind))
                item.setdefault("verbatim", {})["type"] = kind
        item["type"] = mapped
        if group_of := parent:
            item["group"] = group_of
        label = self.texts(child.get("label"))
        if label:
            item["text"] = label
        elif mapped not in ("calculated",):
            item["text"] = {self.default: name}
            if mapped != "display":
                self.losses.append(
                    loss(name, N_("the question has no label; its name is shown instead"), row)
                )
        hint = self.texts(child.get("hint"))
        if hint:
            item["note"] = hint
        if mapped in ("choice", "multiple") and "options" not in item:
            options, seen = [], set()
            for choice in child.get("choices") or []:
                code = option_code(str(choice.get("name", "")))
                if str(code) in seen or str(code) == "":
                    self.losses.append(
                        loss(
                            name,
                            N_("choice %(code)s appears twice or has no name; left out"),
                            row,
                            code=repr(code),
                        )
                    )
                    continue
                seen.add(str(code))
                option: dict[str, Any] = {
                    "value": code,
                    "label": self.texts(choice.get("label")) or {self.default: str(code)},
                }
                extra = {
                    str(k): str(v)[:200]
                    for k, v in choice.items()
                    if k not in ("name", "label", "media", "_choice_itemset")
                    and isinstance(v, str | int | float)
                }
                if extra:
                    option["filter"] = extra
                if choice.get("media"):
                    self.losses.append(
                        loss(name, N_("images or sounds of the choices are left out"), row)
                    )
                options.append(option)
            if not options:
                self.losses.append(
                    loss(name, N_("a choice question without choices is asked as text"), row)
                )
                item["type"] = "text"
            else:
                item["options"] = options
                item["verbatim"] = {
                    **item.get("verbatim", {}),
                    "list_name": str(child.get("list_name") or child.get("itemset") or ""),
                }
            if child.get("choice_filter"):
                translate_expression(
                    str(child["choice_filter"]),
                    "xlsform",
                    item,
                    "choice_filter",
                    self.losses,
                    row=row,
                    path=name,
                )
        appearance = (child.get("control") or {}).get("appearance")
        if mapped == "text" and appearance == "multiline":
            item["type"], appearance = "long_text", None
        if appearance:
            item["appearance"] = str(appearance)[:100]
        if mapped == "slider":
            params = child.get("parameters") or {}
            validation = {}
            for key, target in (("start", "min"), ("end", "max")):
                if key in params:
                    validation[target] = float(params[key])
            if validation:
                item["validation"] = validation
            if "step" in params:
                item.setdefault("verbatim", {})["step"] = str(params["step"])
        required = str(bind.get("required") or "").strip()
        if required.lower() in TRUE:
            item["required"] = True
        elif required and required.lower() not in ("no", "false", "false()", "0"):
            translate_expression(
                required, "xlsform", item, "required_when", self.losses, row=row, path=name
            )
        translate_expression(
            str(bind.get("relevant") or ""),
            "xlsform",
            item,
            "relevant",
            self.losses,
            row=row,
            path=name,
        )
        translate_expression(
            str(bind.get("constraint") or ""),
            "xlsform",
            item,
            "constraint",
            self.losses,
            row=row,
            path=name,
        )
        message = self.texts(bind.get("jr:constraintMsg"))
        if message:
            item["constraint_message"] = message
        if bind.get("jr:requiredMsg"):
            self.losses.append(
                loss(name, N_("the message for a required question is left out"), row)
            )
        if child.get("default") not in (None, ""):
            item.setdefault("verbatim", {})["default"] = str(child["default"])[:4000]
            self.losses.append(
                loss(name, N_("the default answer is kept for export but not filled in"), row)
            )
        if str(bind.get("readonly") or "").lower() in TRUE:
            item.setdefault("verbatim", {})["read_only"] = "yes"
            self.losses.append(loss(name, N_("read-only is kept for export but not applied"), row))
        if mapped == "calculated":
            translate_expression(
                str(bind.get("calculate") or ""),
                "xlsform",
                item,
                "calculation",
                self.losses,
                row=row,
                path=name,
            )
            if "calculation" not in item and "calculation" not in item.get("verbatim", {}):
                item.setdefault("verbatim", {})["calculation"] = ""
            self.calcs.append((item, child))
        for key in ("trigger",):
            if child.get(key):
                self.losses.append(loss(name, N_("%(attribute)s is left out"), row, attribute=key))
        self.items.append(item)


def _from_json(
    result: dict[str, Any],
    survey: list[dict[str, Any]],
    rows_of: dict[int, int],
    losses: list[Loss],
    language: str,
) -> ImportResult:
    rows = {str(r.get("name")): rows_of[id(r)] for r in survey if r.get("name")}
    reader = _Reader(result, rows, language)
    reader.walk(result.get("children") or [], None)
    losses += reader.losses
    items = reader.items
    # a note named <item>_section just before <item> is that item's section header
    for k in range(len(items) - 2, -1, -1):
        note, following = items[k], items[k + 1]
        if note.get("type") == "display" and note["id"] == f"{following['id']}_section":
            following["section"] = note.get("text", {})
            del items[k]
    by_id = {i["id"]: i for i in items}
    scales = []
    tables: dict[str, dict[str, float]] = {}
    for item, child in reader.calcs:
        if not item["id"].startswith("score_"):
            continue
        scale = _parse_calculation(
            item, str((child.get("bind") or {}).get("calculate") or ""), by_id, tables
        )
        if scale is not None:
            scales.append(scale)
            items.remove(item)
        else:
            losses.append(
                loss(
                    item["id"],
                    N_(
                        "this calculation is not a scale Werkplaats can score (sum or mean of items); kept as a calculated field"
                    ),
                    rows.get(item["id"]),
                )
            )
    form_id = slugify(str(result.get("id_string") or result.get("name") or ""), "xlsform")
    licence, citation, placeholder = licence_placeholder("XLSForm", form_id)
    losses.append(placeholder)
    title = str(result.get("title") or form_id)
    data: dict[str, Any] = {
        "format": "werkplaats.instrument/1",
        "id": form_id,
        "version": str(result.get("version") or "")[:40],
        "construct": form_id,
        "kind": "questionnaire",
        "title": {reader.default: title[:2000]},
        "languages": reader.languages,
        "licence": licence,
        "citation": citation,
        "items": items,
    }
    settings = {
        k: str(result[k])[:2000]
        for k in (
            "id_string",
            "instance_name",
            "public_key",
            "submission_url",
            "style",
            "default_language",
        )
        if result.get(k)
    }
    if settings:
        data["settings"] = settings
    if reader.groups:
        data["groups"] = reader.groups
    if scales:
        data["scales"] = scales
    if tables:
        data["recode_tables"] = tables
    if not data["version"]:
        data["version"] = imported_version(data)
    return ImportResult("xlsform", [data], losses)


def _parse_calculation(
    item: dict[str, Any],
    calc: str,
    items: dict[str, dict[str, Any]],
    tables: dict[str, dict[str, float]],
) -> dict[str, Any] | None:
    calc = calc.replace(" ", "")
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
            if item_id not in items or not _scorable(items[item_id]):
                return None
        elif m := REVERSED.match(term):
            item_id = m.group(2)
            if (
                item_id not in items
                or items[item_id].get("recode")
                or not _scorable(items[item_id])
            ):
                return None
            values = [float(o["value"]) for o in items[item_id]["options"]]
            if float(m.group(1)) != min(values) + max(values):
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
    name = slugify(item["id"].removeprefix("score_"), "score")
    return {"id": name, "label": item.get("text") or {"nl": name}, "method": method, "items": ids}


def _scorable(item: dict[str, Any]) -> bool:
    return item.get("type") in ("choice", "yesno") and all(
        isinstance(o["value"], int) for o in item.get("options", [])
    )


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
    texts = lambda kind: [_column(kind, lang) for lang in languages]  # noqa: E731
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
            quote = (
                (lambda b: f"'{b}'")
                if item.type in ("date", "datetime", "time")
                else (lambda b: f"{b}")
            )
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
        if scale.method == "gas":
            losses.append(
                loss(
                    f"scales[{s}]",
                    N_("a GAS T-score is computed from goals; %(target)s cannot"),
                    target="XLSForm",
                )
            )
            continue
        terms = []
        for item_id in scale.items:
            item = definition.item(item_id)
            ref = "${" + item_id + "}"
            if item.recode is not None or (
                item.is_choice and any(o.score is not None for o in item.options)
            ):
                terms.append(
                    recode_term(
                        ref, {o.value: item.item_score(o.value) for o in item.options}, "''"
                    )
                )
            elif item.reverse:
                scores = [item.base_score(o) or 0 for o in item.options]
                terms.append(f"({min(scores) + max(scores):g} - {ref})")
            else:
                terms.append(ref)
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
    book.remove(book.active)  # type: ignore[arg-type]
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
