"""Reading FHIR R4 Questionnaires (alone or in a Bundle) into definitions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkplaats.instruments.formats.common import (
    N_,
    NESTED_REPEAT,
    FormatError,
    ImportResult,
    Loss,
    damaged,
    decode_text,
    imported_version,
    inside_repeat,
    language_code,
    loss,
    option_code,
    slugify,
    unknown_licence,
)
from werkplaats.instruments.formats.fhir import xml
from werkplaats.instruments.formats.fhir.names import (
    CARRIED,
    ITEM_CARRIED,
    ITEM_CONTROL,
    ITEM_WEIGHT,
    LINK,
    MAX_DEPTH,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL,
    TYPES,
    WERKPLAATS,
    link_name,
)
from werkplaats.instruments.formats.fhir.values import (
    _concepts,
    _condition_node,
    _control,
    _extensions,
    _resources,
    _scores_to_keys,
    _text_of,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Problem


def parse_resource(content: bytes, what: str = N_("the FHIR file")) -> Any:
    """A FHIR resource from a file in JSON or XML, in JSON's form; raises
    :class:`FormatError` (damaged) with the parser's reason."""
    text = decode_text(content, what)
    is_xml = xml.looks_like_xml(text)
    try:
        return xml.load(text) if is_xml else json.loads(text)
    except RecursionError:
        raise damaged(N_("%(file)s nests too deeply"), file=what) from None
    except ValueError as exc:
        raise damaged(
            N_("%(file)s is not valid %(format)s (%(error)s); if it was cut off, export it again"),
            file=what,
            format="XML" if is_xml else "JSON",
            error=str(exc).splitlines()[0][:300],
        ) from None


def read(content: bytes, language: str = "nl") -> ImportResult:
    resource = parse_resource(content)
    definitions, losses = [], []
    for questionnaire in _resources(resource):
        data, found = _read_questionnaire(questionnaire, language)
        definitions.append(data)
        losses += found
    return ImportResult("fhir", definitions, losses)


class _Reader:
    def __init__(self, resource: dict[str, Any], language: str, carried: dict[str, Any]) -> None:
        self.resource = resource
        self.language = language
        self.languages: list[str] = [language]
        self.items: list[dict[str, Any]] = []
        self.groups: list[dict[str, Any]] = []
        self.losses: list[Loss] = []
        given = carried.get("items")
        self.carried_items: dict[str, Any] = given if isinstance(given, dict) else {}
        self.carried_groups = {
            g.get("id"): g for g in carried.get("groups") or [] if isinstance(g, dict)
        }
        self.value_sets = {
            v.get("id"): v
            for v in resource.get("contained") or []
            if isinstance(v, dict) and v.get("resourceType") == "ValueSet" and v.get("id")
        }
        self.ids: dict[str, str] = {}
        self.used: set[str] = set()

    def texts(self, raw: Mapping[str, Any], key: str) -> dict[str, str]:
        return _text_of(raw.get(key), raw.get("_" + key), self.language, self.languages)

    def name(self, link: Any, where: str) -> str | None:
        if not isinstance(link, str) or not link.strip():
            self.losses.append(loss(where, N_("an item without a linkId is left out")))
            return None
        if link in self.ids:
            self.losses.append(
                loss(where, N_("a second item with linkId %(link)s is left out"), link=link)
            )
            return None
        name = link.strip()
        if not LINK.fullmatch(name):
            name = link_name(name)
            base, k = name, 2
            while name in self.used:
                name, k = f"{base[:95]}_{k}", k + 1
            self.losses.append(
                loss(
                    where,
                    N_("linkId %(link)s is kept as %(name)s"),
                    link=repr(link[:100]),
                    name=name,
                )
            )
        self.ids[link] = name
        self.used.add(name)
        return name

    def walk(self, items: Any, parent: str | None, path: str, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise FormatError([Problem(path, "items nest too deeply")])
        if not isinstance(items, list):
            if items is not None:
                self.losses.append(loss(path, N_("item is not a list; left out")))
            return
        for n, raw in enumerate(items):
            where = f"{path}[{n}]"
            if not isinstance(raw, dict):
                self.losses.append(loss(where, N_("an item that is not an object is left out")))
                continue
            kind = raw.get("type")
            link = self.name(raw.get("linkId"), where)
            if link is None:
                continue
            if kind == "group":
                group: dict[str, Any] = {"id": link}
                label = self.texts(raw, "text")
                if label:
                    group["label"] = label
                if raw.get("repeats") is True:
                    group["repeat"] = True  # asked as often as the person needs
                    if inside_repeat(self.groups, parent):
                        self.losses.append(loss(link, NESTED_REPEAT))
                if parent:
                    group["parent"] = parent
                self.groups.append(group)
                self.pending_conditions.append((group, raw, where))
                self.walk(raw.get("item"), link, f"{where}.item", depth + 1)
                continue
            self.item(raw, kind, link, parent, where)
            children = raw.get("item")
            if isinstance(children, list) and children:
                helps = [
                    c
                    for c in children
                    if isinstance(c, dict) and c.get("type") == "display" and _control(c) == "help"
                ]
                if helps:
                    note = self.texts(helps[0], "text")
                    if note:
                        self.items[-1]["note"] = note
                    self.ids.update({str(h.get("linkId")): "" for h in helps})
                rest = [c for c in children if c not in helps]
                if rest:
                    self.losses.append(
                        loss(link, N_("questions nested under a question are kept after it"))
                    )
                    self.walk(rest, parent, f"{where}.item", depth + 1)

    pending_conditions: list[tuple[dict[str, Any], dict[str, Any], str]]
    fallback_texts: set[str]

    def item(
        self, raw: dict[str, Any], kind: Any, link: str, parent: str | None, where: str
    ) -> None:
        mapped = TYPES.get(str(kind))
        item: dict[str, Any] = {"id": link}
        listed = (isinstance(raw.get("answerOption"), list) and raw["answerOption"]) or (
            isinstance(raw.get("answerValueSet"), str) and raw["answerValueSet"]
        )
        if listed and mapped in ("text", "long_text", "integer", "date", "time", "datetime"):
            mapped = "choice"  # a string, integer, date or time question answered from a list
        if raw.get("answerConstraint") in ("optionsOrString", "optionsOrType"):
            self.losses.append(  # FHIR R5's open-choice
                loss(link, N_("free-text answers of an open-choice item are not kept"))
            )
        if mapped is None:
            self.losses.append(loss(link, N_("type %(kind)s is asked as text"), kind=repr(kind)))
            mapped = "text"
        item["type"] = mapped
        if kind == "boolean":
            item["options"] = [
                {"value": 1, "label": {"en": "Yes", "nl": "Ja"}},
                {"value": 0, "label": {"en": "No", "nl": "Nee"}},
            ]
        if kind == "open-choice":
            self.losses.append(
                loss(link, N_("free-text answers of an open-choice item are not kept"))
            )
        if kind == "attachment":
            self.losses.append(
                loss(
                    link,
                    N_(
                        "a file upload is kept as a declared item; Werkplaats does not collect files"
                    ),
                )
            )
        if kind in ("url", "reference", "quantity"):
            self.losses.append(loss(link, N_("type %(kind)s is asked as text"), kind=kind))
        if parent:
            item["group"] = parent
        text = self.texts(raw, "text")
        if text:
            item["text"] = text
        elif mapped != "calculated":
            item["text"] = {self.language: link}
            self.fallback_texts.add(link)
        if raw.get("required") is True:
            item["required"] = True
        if raw.get("repeats") is True and mapped in ("choice",):
            item["type"] = "multiple"
        elif raw.get("repeats") is True:
            self.losses.append(loss(link, N_("a repeating answer is asked once")))
        if raw.get("readOnly") is True:
            self.losses.append(loss(link, N_("read-only is left out")))
        if raw.get("initial"):
            self.losses.append(loss(link, N_("the initial answer is left out")))
        if raw.get("prefix"):
            item.setdefault("verbatim", {})["prefix"] = str(raw["prefix"])[:4000]
        validation: dict[str, Any] = {}
        for ext in _extensions(raw):
            url = ext.get("url")
            if url in (MIN_VALUE, MAX_VALUE):
                value = next((v for k, v in ext.items() if k.startswith("value")), None)
                if isinstance(value, int | float | str) and not isinstance(value, bool):
                    validation["min" if url == MIN_VALUE else "max"] = value
            elif url == ITEM_CONTROL:
                control = _control(raw)
                if control in ("drop-down", "autocomplete"):
                    item["appearance"] = "dropdown"
                elif control == "slider" and mapped in ("integer", "decimal"):
                    item["type"] = "slider"
            elif url == WERKPLAATS:
                pass
            elif isinstance(url, str) and ("Expression" in url or "expression" in url):
                expression = ext.get("valueExpression") or {}
                item.setdefault("verbatim", {})[url.rsplit("/", 1)[-1][:60]] = str(
                    expression.get("expression") if isinstance(expression, dict) else expression
                )[:4000]
                self.losses.append(
                    loss(
                        link,
                        N_("the FHIRPath expression %(url)s is kept verbatim, not applied"),
                        url=url.rsplit("/", 1)[-1],
                    )
                )
            elif isinstance(url, str):
                self.losses.append(
                    loss(link, N_("the extension %(url)s is left out"), url=url[:120])
                )
        if validation:
            item["validation"] = validation
        if isinstance(raw.get("maxLength"), int) and mapped in ("text", "long_text"):
            self.losses.append(loss(link, N_("the maximum length is left out")))
        reference = raw.get("answerValueSet")
        if isinstance(reference, str) and reference and not reference.startswith("#"):
            item.setdefault("verbatim", {})["answerValueSet"] = reference[:4000]
        if item["type"] in ("choice", "multiple") and kind != "boolean":
            options = self.options(raw, link)
            if options:
                item["options"] = options
            else:
                item["type"] = "text"
        self.items.append(item)
        self.pending_conditions.append((item, raw, where))

    def options(self, raw: dict[str, Any], link: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        source = raw.get("answerOption")
        if not isinstance(source, list):
            source = []
            reference = raw.get("answerValueSet")
            if isinstance(reference, str) and reference.startswith("#"):
                value_set = self.value_sets.get(reference[1:])
                if value_set is None:
                    self.losses.append(
                        loss(
                            link,
                            N_(
                                "the value set %(ref)s is not in the file; the question is asked as text"
                            ),
                            ref=reference,
                        )
                    )
                    return []
                source = [{"valueCoding": c} for c in _concepts(value_set)]
            elif isinstance(reference, str) and reference:
                self.losses.append(
                    loss(
                        link,
                        N_(
                            "the external value set %(ref)s is kept as a reference; its codes are not in the file, so the question is asked as text"
                        ),
                        ref=reference[:200],
                    )
                )
                return []
        for k, option in enumerate(source):
            if not isinstance(option, dict):
                continue
            display: Any = None
            display_ext: Any = None
            if isinstance(option.get("valueCoding"), dict):
                coding = option["valueCoding"]
                code = coding.get("code")
                display, display_ext = coding.get("display"), coding.get("_display")
            else:
                code = next(
                    (
                        option[k]
                        for k in ("valueInteger", "valueString", "valueDate", "valueTime")
                        if k in option
                    ),
                    None,
                )
            if code is None or isinstance(code, bool) or str(code).strip() == "":
                self.losses.append(
                    loss(f"{link}.answerOption[{k}]", N_("an option without a code is left out"))
                )
                continue
            value = code if isinstance(code, int) else option_code(str(code))
            if str(value) in seen:
                self.losses.append(
                    loss(
                        link,
                        N_("choice code %(code)s appears twice; the second is left out"),
                        code=str(value),
                    )
                )
                continue
            seen.add(str(value))
            entry: dict[str, Any] = {
                "value": value,
                "label": _text_of(display, display_ext, self.language, self.languages)
                or {self.language: str(value)},
            }
            for ext in _extensions(option) + _extensions(option.get("valueCoding") or {}):
                if ext.get("url") in (ORDINAL, ITEM_WEIGHT):
                    number = ext.get("valueDecimal", ext.get("valueInteger"))
                    if isinstance(number, int | float) and not isinstance(number, bool):
                        entry["score"] = float(number)
            if option.get("initialSelected"):
                self.losses.append(loss(link, N_("the initial answer is left out")))
            out.append(entry)
        return out

    def conditions(self) -> None:
        by_link = {link: name for link, name in self.ids.items() if name}
        types = {i["id"]: i for i in self.items}
        for target, raw, _where in self.pending_conditions:
            conditions = raw.get("enableWhen")
            if not isinstance(conditions, list) or not conditions:
                continue
            nodes = []
            failed = None
            for c, condition in enumerate(conditions):
                try:
                    nodes.append(_condition_node(condition, by_link, types))
                except expressions.ExpressionError as exc:
                    failed = f"enableWhen[{c}]: {exc}"
                    break
            if failed is not None:
                target.setdefault("verbatim", {})["relevant"] = json.dumps(
                    conditions, ensure_ascii=False
                )[:4000]
                self.losses.append(
                    loss(
                        target["id"],
                        N_(
                            "enableWhen could not be translated (%(reason)s); kept verbatim, not applied"
                        ),
                        reason=failed,
                    )
                )
                continue
            behaviour = raw.get("enableBehavior", "all")
            op = "or" if behaviour == "any" else "and"
            target["relevant"] = expressions.to_werkplaats(expressions.combine(op, nodes))


def _read_questionnaire(
    resource: dict[str, Any], language: str
) -> tuple[dict[str, Any], list[Loss]]:
    if isinstance(resource.get("language"), str) and resource["language"].strip():
        language = language_code(resource["language"], language)
    carried: dict[str, Any] = {}
    for extension in _extensions(resource):
        if extension.get("url") == WERKPLAATS:
            try:
                value = json.loads(extension.get("valueString", "{}"))
            except (TypeError, ValueError):
                value = None
            if isinstance(value, dict):
                carried = value
    reader = _Reader(resource, language, carried)
    reader.pending_conditions = []
    reader.fallback_texts = set()
    reader.walk(resource.get("item", []), None, "item")
    reader.conditions()
    losses = reader.losses
    for item in reader.items:
        extra = reader.carried_items.get(item["id"])
        if isinstance(extra, dict):
            for key in ITEM_CARRIED:
                if key in extra:
                    item[key] = extra[key]
        if "options" in item and item.get("recode") is None and not item.get("reverse"):
            _scores_to_keys(item)
        if item.get("reverse") or item.get("recode"):
            for option in item.get("options", []):
                option.pop("score", None)
    for group in reader.groups:
        extra = reader.carried_groups.get(group["id"])
        if isinstance(extra, dict):
            for key in ("relevant", "appearance", "verbatim"):
                if key in extra and key not in group:
                    group[key] = extra[key]
    if not carried:
        losses.append(
            loss("", N_("no Werkplaats extension: construct and scales are not in the source"))
        )
    licence, citation = unknown_licence("FHIR Questionnaire")
    if isinstance(resource.get("copyright"), str) and resource["copyright"]:
        licence = {**licence, "statement": resource["copyright"][:5000]}
    identifier = slugify(str(resource.get("id") or resource.get("name") or "questionnaire"))
    title = _text_of(resource.get("title"), resource.get("_title"), language, reader.languages) or {
        language: identifier
    }
    data: dict[str, Any] = {
        "format": "werkplaats.instrument/1",
        "id": identifier,
        "version": str(resource.get("version") or "")[:40],
        "construct": identifier,
        "kind": "questionnaire",
        "title": title,
        "languages": reader.languages,
        "licence": licence,
        "citation": citation,
        "items": reader.items,
    }
    if reader.groups:
        data["groups"] = reader.groups
    if isinstance(resource.get("url"), str) and not resource["url"].startswith("urn:werkplaats:"):
        data["settings"] = {"url": resource["url"][:2000]}
    for key in CARRIED:
        if key in carried:
            data[key] = carried[key]
    if not carried:
        losses.append(
            loss("", N_("licence and citation are not in the source; placeholders were set"))
        )
    if data["kind"] != "questionnaire":
        for item in reader.items:
            if item["id"] in reader.fallback_texts:
                item.pop("text", None)
    if not data["version"]:
        data["version"] = imported_version(data)
    return data, losses
