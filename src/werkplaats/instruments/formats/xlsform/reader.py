"""Reading an XLSForm through pyxform and mapping its result into the definition model.

Over 500 lines because it is one parser: the reader walks pyxform's survey once, and the
choice lists, branching, constraints and calculations it maps share that walk's state.
"""

from __future__ import annotations

import re
from typing import Any

from werkplaats.instruments.formats.common import (
    MAX_ROWS,
    N_,
    NESTED_REPEAT,
    OLE2,
    FormatError,
    ImportResult,
    Loss,
    damaged,
    decode_text,
    imported_version,
    inside_repeat,
    language_code,
    licence_placeholder,
    loss,
    option_code,
    read_csv,
    slugify,
    translate_expression,
)
from werkplaats.instruments.formats.recode import apply_recode, parse_recode_term, split_top
from werkplaats.instruments.formats.xlsform.names import (
    FILE_TYPES,
    REF,
    REVERSED,
    TRUE,
    TYPES,
    base_type,
    is_metadata,
)

# ---------------------------------------------------------------- reading


def read(content: bytes, fmt: str, language: str = "nl") -> ImportResult:
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    if fmt == "xlsform-csv":
        # the encoding and a cut-off cell or row are told apart before pyxform reads it
        read_csv(decode_text(content, N_("the XLSForm")), N_("the XLSForm"), 3 * MAX_ROWS)
    if fmt == "xlsform-csv":
        file_type = ".csv"
    else:  # an Excel 97-2003 workbook (.xls) is read by xlrd, a newer one by openpyxl
        file_type = ".xls" if content.startswith(OLE2) else ".xlsx"
    try:
        workbook = get_xlsform(content, file_type=file_type)
    except (PyXFormError, Exception) as exc:  # pyxform and openpyxl raise many kinds
        raise damaged(
            N_(
                "%(file)s cannot be read (%(error)s): it is damaged or was cut off; save or "
                "export it again"
            ),
            file=N_("the XLSForm"),
            error=str(exc)[:300],
        ) from None
    if not workbook.survey:
        raise FormatError("the form has no survey sheet, or it is empty")
    for sheet in ("survey", "choices"):
        rows = getattr(workbook, sheet) or []
        if len(rows) > MAX_ROWS:
            raise damaged(
                N_("%(file)s is too large: more than %(rows)s filled rows"),
                sheet,
                file=N_("the XLSForm"),
                rows=MAX_ROWS,
            )
    for sheet in ("survey", "choices", "settings"):
        rows = getattr(workbook, sheet)
        if rows:
            setattr(workbook, sheet, [{k: _unguard(v) for k, v in r.items()} for r in rows])
    losses: list[Loss] = []
    survey = [dict(r) for r in workbook.survey]
    rows_of = {id(r): n for n, r in enumerate(survey, start=2)}
    # the list's column is ``list_name`` or, in older forms, ``list name``
    lists = {
        str(c.get("list_name") or c.get("list name") or "").strip() for c in workbook.choices or []
    }
    for row in survey:
        kind = str(row.get("type") or "").strip()
        match = re.match(
            r"^(select_one|select_multiple|select one|select all that apply|select multiple|rank)"
            r"(?:\s+from)?\s+(\S+)",
            kind,
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


def _table_list(group: dict[str, Any]) -> dict[str, Any]:
    """A ``table-list`` group as it was written: pyxform turns it into a ``field-list``,
    moves its label into a note of its own (``generated_table_list_label_N``), adds a header
    row of the choices and marks each question ``list-nolabel``."""
    children = list(group.get("children") or [])
    first = str(children[0].get("name") or "") if children else ""
    appearance = str((group.get("control") or {}).get("appearance") or "")
    if not first.startswith("generated_table_list_label_"):
        return group
    note = children.pop(0)
    rest = [w for w in appearance.split() if w != "field-list"]
    out = {**group, "control": {**group["control"], "appearance": " ".join(["table-list", *rest])}}
    for key in ("label", "hint"):
        if note.get(key):
            out[key] = note[key]
    out["children"] = [
        {**c, "control": {k: v for k, v in c["control"].items() if k != "appearance"}}
        if (c.get("control") or {}).get("appearance") == "list-nolabel"
        else c
        for c in children
    ]
    return out


def _bind(child: dict[str, Any]) -> dict[str, Any]:
    """The question's bind with XPath's relative references (``../name``, which pyxform
    writes for the text question of ``or_other``) as XLSForm's ``${name}``."""
    return {
        key: re.sub(r"(?<![\w.}])(?:\.\./)+([A-Za-z_][A-Za-z0-9_.-]*)", r"${\1}", value)
        if isinstance(value, str)
        else value
        for key, value in (child.get("bind") or {}).items()
    }


def _for_choice(
    child: dict[str, Any], code: str, texts: Any, rows: dict[str, int]
) -> dict[str, Any]:
    """A question (or group) of a loop as asked for one choice: renamed, labels filled in."""

    def choice_label(language: str) -> str:
        if isinstance(texts, dict) and texts:
            return str(texts.get(language) or next(iter(texts.values())))
        return str(texts or code)

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("%(label)s", choice_label(""))
        if isinstance(value, dict):
            return {
                language: text.replace("%(label)s", choice_label(language))
                if isinstance(text, str)
                else text
                for language, text in value.items()
            }
        return value

    copy = dict(child)
    name = str(child.get("name") or "")
    copy["name"] = f"{name}_{code}"
    if name in rows:
        rows.setdefault(copy["name"], rows[name])
    for key in ("label", "hint"):
        if key in copy:
            copy[key] = fill(copy[key])
    if copy.get("children"):
        copy["children"] = [_for_choice(c, code, texts, rows) for c in copy["children"]]
    return copy


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
            if name.startswith("reserved_name_for_field_list_labels_"):
                continue  # pyxform's own header row of a table-list group, not in the source
            if kind == "loop":
                self.loop(child, name, parent, row)
                continue
            if kind in ("group", "repeat"):
                if name == "meta" and (child.get("control") or {}).get("bodyless"):
                    continue  # pyxform's own instanceID group, not in the source
                self.group(child, kind, name, parent, row)
                continue
            self.item(child, kind, name, parent, row)

    def loop(self, child: dict[str, Any], name: str, parent: str | None, row: int | None) -> None:
        """``begin loop over LIST``: the questions once per choice of the list, as pyxform
        asks them, each choice a group ``<loop>_<choice>`` and each question
        ``<question>_<choice>``, ``%(label)s`` in a label being the choice's label."""
        columns = [c for c in child.get("columns") or [] if str(c.get("name") or "").strip()]
        self.losses.append(
            loss(
                name,
                N_(
                    "a loop over a choice list is asked as one group per choice (%(count)s), "
                    "its questions named <question>_<choice>; references between them are "
                    "not renamed"
                ),
                row,
                count=len(columns),
            )
        )
        for column in columns:
            code = str(column["name"]).strip()
            texts = column.get("label")
            group_id = f"{name}_{code}"
            group: dict[str, Any] = {
                "type": "group",
                "name": group_id,
                "label": texts or code,
                "children": [
                    _for_choice(c, code, texts, self.rows) for c in child.get("children") or []
                ],
            }
            self.rows.setdefault(group_id, row or 0)
            self.group(group, "group", group_id, parent, row)

    def group(
        self, child: dict[str, Any], kind: str, name: str, parent: str | None, row: int | None
    ) -> None:
        group: dict[str, Any] = {"id": name}
        child = _table_list(child)
        label = self.texts(child.get("label"))
        if label:
            group["label"] = label
        if self.texts(child.get("hint")):
            self.losses.append(loss(name, N_("the hint of a group is left out"), row))
        if kind == "repeat":
            group["repeat"] = True  # asked as often as the person needs
            if child.get("control", {}).get("jr:count") or child.get("repeat_count"):
                self.losses.append(loss(name, N_("the fixed number of repeats is left out"), row))
            if inside_repeat(self.groups, parent):
                self.losses.append(loss(name, NESTED_REPEAT, row))
        if parent:
            group["parent"] = parent
        appearance = (child.get("control") or {}).get("appearance")
        if appearance:
            group["appearance"] = str(appearance)[:100]
        bind = _bind(child)
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
        bind = _bind(child)
        kind = base_type(kind)
        if is_metadata(kind) or bind.get("jr:preload"):
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
            options, seen, media_reported = [], set(), False
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
                if choice.get("media") and not media_reported:
                    media_reported = True
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
