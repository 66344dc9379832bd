"""FHIR R4 Questionnaire (definitions) and QuestionnaireResponse (answers), as JSON.

A Questionnaire (alone, or several in a Bundle) holds items of every type, nested groups
(repeating ones too), answer options as codings, strings, integers or dates, answer value
sets (contained ones resolve; an external URL is kept as a reference and reported),
``enableWhen`` with ``enableBehavior`` (translated into the expression language), text
in one language plus translations (the ``translation`` extension, any language), each
option's item score as an ``ordinalValue`` extension, ``minValue``/``maxValue``,
``itemControl``, required items and the licence as ``copyright``. Scales, bands, norms,
informant versions, the citation, notes and what core FHIR has no place for (section
headers, constraints, calculations, choice filters, recode tables) travel in one
Werkplaats extension, which other FHIR tools ignore; the loss report says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from werkplaats.instruments.formats import (
    N_,
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    decode_text,
    imported_version,
    language_code,
    loss,
    option_code,
    slugify,
    unknown_licence,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Definition, Item, Problem, pick_text

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
WERKPLAATS = "urn:werkplaats:fhir:extension:instrument"
CARRIED = (
    "construct",
    "kind",
    "scales",
    "informants",
    "citation",
    "notes",
    "licence",
    "description",
    "title",
    "languages",
    "recode_tables",
    "record_field",
    "settings",
)
# per item: what core FHIR has no place for
ITEM_CARRIED = (
    "name",
    "reverse",
    "recode",
    "section",
    "matrix",
    "verbatim",
    "constraint",
    "constraint_message",
    "choice_filter",
    "calculation",
    "required_when",
    "identifier",
    "appearance",
    "relevant",
    "type",
)
TYPES = {
    "string": "text",
    "text": "long_text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "dateTime": "datetime",
    "time": "time",
    "choice": "choice",
    "open-choice": "choice",
    "boolean": "yesno",
    "display": "display",
    "attachment": "file",
    "url": "text",
    "quantity": "decimal",
    "reference": "text",
}
MAX_DEPTH = 30


def canonical_url(instrument_id: str) -> str:
    return f"urn:werkplaats:instrument:{instrument_id}"


# ---------------------------------------------------------------- writing


def _translated(
    text: Mapping[str, str], language: str, first: str = "nl"
) -> tuple[str, dict[str, Any] | None]:
    main = pick_text(text, language, first)
    main_lang = language if language in text else first if first in text else next(iter(text), "")
    others = [
        {
            "extension": [
                {"url": "lang", "valueCode": lang},
                {"url": "content", "valueString": value},
            ],
            "url": TRANSLATION,
        }
        for lang, value in text.items()
        if lang != main_lang
    ]
    return main, ({"extension": others} if others else None)


def _answer_value(item: Item, code: object, system: str) -> dict[str, Any]:
    if isinstance(code, int) and item.type != "yesno":
        return {"valueCoding": {"system": system, "code": str(code)}}
    return {"valueCoding": {"system": system, "code": str(code)}}


def _enable_when(
    node: expressions.Node, definition: Definition, system: str
) -> tuple[list[dict[str, Any]], str] | None:
    """``relevant`` as enableWhen conditions and a behaviour, when FHIR can say it."""
    op = node.value if node.kind == "op" else None
    if op in ("and", "or"):
        parts: list[expressions.Node] = []

        def flatten(n: expressions.Node) -> None:
            if n.kind == "op" and n.value == op:
                flatten(n.args[0])
                flatten(n.args[1])
            else:
                parts.append(n)

        flatten(node)
        out = []
        for part in parts:
            single = _condition(part, definition, system)
            if single is None:
                return None
            out.append(single)
        return out, "all" if op == "and" else "any"
    single = _condition(node, definition, system)
    return ([single], "all") if single is not None else None


def _condition(
    node: expressions.Node, definition: Definition, system: str
) -> dict[str, Any] | None:
    negate = False
    if node.kind == "not":
        negate, node = True, node.args[0]
    if node.kind == "call" and node.value == "answered" and node.args[0].kind == "ref":
        return {"question": node.args[0].value, "operator": "exists", "answerBoolean": not negate}
    if node.kind == "call" and node.value == "selected" and node.args[0].kind == "ref":
        question = node.args[0].value
        return {
            "question": question,
            "operator": "!=" if negate else "=",
            **_answer(definition, question, node.args[1].value, system),
        }
    if negate or node.kind != "op" or node.value not in ("=", "!=", "<", "<=", ">", ">="):
        return None
    left, right = node.args
    if left.kind != "ref" or right.kind not in ("num", "str"):
        return None
    if right.kind == "str" and right.value == "" and node.value in ("=", "!="):
        return {"question": left.value, "operator": "exists", "answerBoolean": node.value == "!="}
    return {
        "question": left.value,
        "operator": node.value,
        **_answer(definition, left.value, right.value, system),
    }


def _answer(definition: Definition, question: str, value: object, system: str) -> dict[str, Any]:
    try:
        item = definition.item(question)
    except KeyError:
        item = None
    if item is not None and item.type == "yesno" and str(value) in ("0", "1"):
        return {"answerBoolean": str(value) == "1"}
    if item is not None and item.is_choice:
        return {"answerCoding": {"system": system, "code": str(value)}}
    if item is not None and item.type == "integer" and isinstance(value, int):
        return {"answerInteger": value}
    if item is not None and item.type == "decimal" and isinstance(value, int | float):
        return {"answerDecimal": value}
    if item is not None and item.type == "date":
        return {"answerDate": str(value)}
    if item is not None and item.type == "datetime":
        return {"answerDateTime": str(value)}
    if item is not None and item.type == "time":
        return {"answerTime": str(value)}
    if isinstance(value, int):
        return {"answerInteger": value}
    if isinstance(value, float):
        return {"answerDecimal": value}
    return {"answerString": str(value)}


def _fhir_type(item: Item) -> str:
    if item.type == "yesno" and sorted(str(o.value) for o in item.options) == ["0", "1"]:
        return "boolean"
    return {
        "choice": "choice",
        "yesno": "choice",
        "multiple": "choice",
        "text": "string",
        "long_text": "text",
        "integer": "integer",
        "decimal": "decimal",
        "date": "date",
        "datetime": "dateTime",
        "time": "time",
        "slider": "integer",
        "display": "display",
        "calculated": "decimal",
        "file": "attachment",
    }[item.type]


def write(definition: Definition, language: str = "nl") -> ExportResult:  # noqa: C901
    d = definition.data
    first = definition.languages[0] if definition.languages else language
    if language not in definition.languages and definition.languages:
        language = first
    losses = (
        [
            loss(
                "scales",
                N_(
                    "scales, bands and norms travel in a Werkplaats extension; other FHIR tools ignore them"
                ),
            )
        ]
        if definition.scales
        else []
    )
    if d.get("informants"):
        losses.append(
            loss("informants", N_("informant versions travel in the Werkplaats extension only"))
        )
    losses.append(loss("citation", N_("the citation travels in the Werkplaats extension only")))
    system = canonical_url(definition.id) + ":options"
    carried_items: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []

    def container(group_id: str | None) -> list[dict[str, Any]]:
        if not group_id:
            return top
        if group_id not in groups:
            group = definition.group(group_id)
            entry: dict[str, Any] = {"linkId": group_id, "type": "group"}
            if group.label:
                entry["text"], ext = _translated(group.label, language, first)
                if ext:
                    entry["_text"] = ext
            if group.repeat:
                entry["repeats"] = True
            if group.relevant is not None:
                when = _enable_when(group.relevant, definition, system)
                if when is None:
                    losses.append(
                        loss(
                            group_id,
                            N_(
                                "this condition cannot be said as enableWhen; it travels in the Werkplaats extension only"
                            ),
                        )
                    )
                else:
                    entry["enableWhen"], behaviour = when
                    if len(entry["enableWhen"]) > 1:
                        entry["enableBehavior"] = behaviour
            entry["item"] = []
            groups[group_id] = entry
            container(group.parent).append(entry)
        return groups[group_id]["item"]  # type: ignore[no-any-return]

    for i, item in enumerate(definition.items):
        raw = d["items"][i]
        entry: dict[str, Any] = {"linkId": item.id, "type": _fhir_type(item)}
        if item.text:
            entry["text"], extension = _translated(item.text, language, first)
            if extension:
                entry["_text"] = extension
        if item.required:
            entry["required"] = True
        if item.type == "multiple":
            entry["repeats"] = True
        extensions: list[dict[str, Any]] = []
        bounds = item.validation or {}
        for key, url in (("min", MIN_VALUE), ("max", MAX_VALUE)):
            bound = bounds.get(key)
            if bound is None:
                continue
            if item.type in ("integer", "slider") and isinstance(bound, int | float):
                extensions.append({"url": url, "valueInteger": int(bound)})
            elif item.type in ("decimal", "calculated") and isinstance(bound, int | float):
                extensions.append({"url": url, "valueDecimal": bound})
            elif item.type == "date" and isinstance(bound, str):
                extensions.append({"url": url, "valueDate": bound})
        control = {"dropdown": "drop-down", "minimal": "drop-down"}.get(item.appearance or "")
        if item.type == "slider":
            control = "slider"
        if control:
            extensions.append(
                {
                    "url": ITEM_CONTROL,
                    "valueCodeableConcept": {
                        "coding": [
                            {
                                "system": "http://hl7.org/fhir/questionnaire-item-control",
                                "code": control,
                            }
                        ]
                    },
                }
            )
        if extensions:
            entry["extension"] = extensions
        if item.is_choice and entry["type"] != "boolean":
            options = []
            for option in item.options:
                display, extension = _translated(option.label, language, first)
                value = _answer_value(item, option.value, system)
                value["valueCoding"]["display"] = display
                if extension:
                    value["valueCoding"]["_display"] = extension
                score = item.item_score(option.value) if item.scored else option.score
                if score is not None:
                    value["extension"] = [{"url": ORDINAL, "valueDecimal": score}]
                options.append(value)
            entry["answerOption"] = options
        reference = (raw.get("verbatim") or {}).get("answerValueSet")
        if reference and not item.options:
            entry["type"] = "open-choice" if item.type == "text" else entry["type"]
            entry["answerValueSet"] = reference
        if item.relevant is not None:
            when = _enable_when(item.relevant, definition, system)
            if when is None:
                losses.append(
                    loss(
                        item.id,
                        N_(
                            "this condition cannot be said as enableWhen; it travels in the Werkplaats extension only"
                        ),
                    )
                )
            else:
                entry["enableWhen"], behaviour = when
                if len(entry["enableWhen"]) > 1:
                    entry["enableBehavior"] = behaviour
        if item.note:
            help_text, ext = _translated(item.note, language, first)
            help_item: dict[str, Any] = {
                "linkId": f"{item.id}-help",
                "type": "display",
                "text": help_text,
                "extension": [
                    {
                        "url": ITEM_CONTROL,
                        "valueCodeableConcept": {
                            "coding": [
                                {
                                    "system": "http://hl7.org/fhir/questionnaire-item-control",
                                    "code": "help",
                                }
                            ]
                        },
                    }
                ],
            }
            if ext:
                help_item["_text"] = ext
            entry["item"] = [help_item]
        carried = {k: raw[k] for k in ITEM_CARRIED if k in raw}
        if (
            "relevant" in carried
            and item.relevant is not None
            and _enable_when(item.relevant, definition, system) is not None
        ):
            carried.pop("relevant")
        for key in (
            "constraint",
            "calculation",
            "choice_filter",
            "section",
            "matrix",
            "required_when",
        ):
            if key in carried:
                losses.append(
                    loss(
                        item.id,
                        N_("%(attribute)s travels in the Werkplaats extension only"),
                        attribute=key,
                    )
                )
        if carried:
            carried_items[item.id] = carried
        container(item.group).append(entry)
    title, title_ext = _translated(d["title"], language, first)
    carried_top = {key: d[key] for key in CARRIED if key in d}
    carried_top["items"] = carried_items
    carried_top["groups"] = d.get("groups") or []
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": definition.id,
        "url": (d.get("settings") or {}).get("url") or canonical_url(definition.id),
        "version": definition.version,
        "name": re.sub(r"[^A-Za-z0-9_]", "_", definition.id),
        "title": title,
        "status": "active",
        "language": language,
        "copyright": d["licence"]["statement"],
        "extension": [
            {"url": WERKPLAATS, "valueString": json.dumps(carried_top, ensure_ascii=False)}
        ],
        "item": top,
    }
    if title_ext:
        resource["_title"] = title_ext
    if d.get("description"):
        resource["description"] = pick_text(d["description"], language, first)
    text = json.dumps(resource, ensure_ascii=False, indent=2)
    return ExportResult(
        "fhir",
        text.encode(),
        f"{definition.id}.questionnaire.json",
        "application/fhir+json",
        losses,
    )


# ---------------------------------------------------------------- reading


def _text_of(value: Any, extension: Any, language: str, languages: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(value, str) and value.strip():
        out[language] = value.strip()[:2000]
    for translation in (
        (extension or {}).get("extension", []) if isinstance(extension, dict) else []
    ):
        if not isinstance(translation, dict) or translation.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in translation.get("extension", []) if isinstance(e, dict)}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if isinstance(lang, str) and isinstance(content, str) and content.strip():
            code = language_code(lang, language)
            out.setdefault(code, content.strip()[:2000])
    for lang in out:
        if lang not in languages:
            languages.append(lang)
    return out


def _extensions(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    ext = raw.get("extension")
    return [e for e in ext if isinstance(e, dict)] if isinstance(ext, list) else []


def _resources(resource: Any) -> list[dict[str, Any]]:
    if not isinstance(resource, dict):
        raise FormatError([Problem("", "the file must hold a FHIR resource (a JSON object)")])
    if resource.get("resourceType") == "Bundle":
        found = [
            e["resource"]
            for e in resource.get("entry") or []
            if isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "Questionnaire"
        ]
        if not found:
            raise FormatError([Problem("entry", "the Bundle holds no Questionnaire")])
        return found
    if resource.get("resourceType") != "Questionnaire":
        raise FormatError([Problem("resourceType", "must be Questionnaire (or a Bundle of them)")])
    return [resource]


def read(content: bytes, language: str = "nl") -> ImportResult:
    text = decode_text(content, "the FHIR file")
    try:
        resource = json.loads(text)
    except RecursionError:
        raise FormatError("the file nests too deeply") from None
    except ValueError as exc:
        raise FormatError(
            f"not valid JSON ({exc}); if the file was cut off, export it again".splitlines()[0]
        ) from None
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
        if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,99}", name):
            name = re.sub(r"[^A-Za-z0-9_./-]", "_", name)[:100].lstrip(".-/") or "item"
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
                    group["repeat"] = True
                    self.losses.append(
                        loss(
                            link,
                            N_(
                                "a repeating group is kept in the definition, but the forms ask its questions once"
                            ),
                        )
                    )
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


def _control(raw: Mapping[str, Any]) -> str | None:
    for ext in _extensions(raw):
        if ext.get("url") == ITEM_CONTROL:
            for coding in (ext.get("valueCodeableConcept") or {}).get("coding") or []:
                if isinstance(coding, dict) and coding.get("code"):
                    return str(coding["code"])
    return None


def _concepts(value_set: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in ((value_set.get("expansion") or {}).get("contains")) or []:
        if isinstance(entry, dict) and entry.get("code") is not None:
            out.append(entry)
    if out:
        return out
    for include in ((value_set.get("compose") or {}).get("include")) or []:
        for concept in (include or {}).get("concept") or []:
            if isinstance(concept, dict) and concept.get("code") is not None:
                out.append({**concept, "system": include.get("system")})
    return out


def _condition_node(
    condition: Any, by_link: Mapping[str, str], items: Mapping[str, dict[str, Any]]
) -> expressions.Node:
    if not isinstance(condition, dict):
        raise expressions.ExpressionError("not an object")
    question = by_link.get(str(condition.get("question")))
    if not question:
        raise expressions.ExpressionError(
            f"question {condition.get('question')!r} is not an item of the form"
        )
    operator = condition.get("operator")
    answer_key = next((k for k in condition if k.startswith("answer")), None)
    if answer_key is None:
        raise expressions.ExpressionError("no answer[x]")
    answer = condition[answer_key]
    ref = expressions.ref(question)
    if operator == "exists":
        node = expressions.call("answered", ref)
        return node if answer is True else expressions.Node("not", None, (node,))
    if answer_key == "answerCoding":
        code = (answer or {}).get("code") if isinstance(answer, dict) else None
        if code is None:
            raise expressions.ExpressionError("answerCoding without a code")
        value: Any = option_code(str(code))
    elif answer_key == "answerBoolean":
        value = 1 if answer else 0
    elif answer_key in ("answerQuantity", "answerReference"):
        raise expressions.ExpressionError(f"{answer_key} is not translated")
    else:
        value = answer
    if operator in ("=", "!=") and items.get(question, {}).get("type") == "multiple":
        node = expressions.call("selected", ref, expressions.const(value))
        return node if operator == "=" else expressions.Node("not", None, (node,))
    if operator not in ("=", "!=", ">", "<", ">=", "<="):
        raise expressions.ExpressionError(f"operator {operator!r}")
    return expressions.compare(ref, operator, expressions.const(value))


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


def _scores_to_keys(item: dict[str, Any]) -> None:
    """Ordinal values equal to the codes say nothing; reversed ones are reverse keying."""
    options = item["options"]
    scores = [o.get("score") for o in options]
    if any(s is None for s in scores):
        return
    codes = [o["value"] for o in options]
    if all(isinstance(c, int) for c in codes):
        if all(float(c) == s for c, s in zip(codes, scores, strict=True)):
            for o in options:
                o.pop("score")
        elif all(min(codes) + max(codes) - c == s for c, s in zip(codes, scores, strict=True)):
            item["reverse"] = True
            for o in options:
                o.pop("score")


# ---------------------------------------------------------------- answers out


def questionnaire_response(
    definition: Definition,
    *,
    identifier: str,
    subject: str,
    informant: str,
    complete: bool,
    authored: str,
    answers: Mapping[str, Any],
    language: str = "nl",
) -> dict[str, Any]:
    """One assessment as a QuestionnaireResponse pointing to the exact version answered."""
    system = canonical_url(definition.id) + ":options"
    items = []
    for item in definition.answerable_items:
        value = answers.get(item.id)
        if value is None or value == "" or value == []:
            continue
        values = value if isinstance(value, list) else [value]
        answer: list[dict[str, Any]] = []
        for v in values:
            option = item.option(v) if item.is_choice else None
            if option is not None:
                if _fhir_type(item) == "boolean":
                    answer.append({"valueBoolean": str(option.value) == "1"})
                else:
                    answer.append(
                        {
                            "valueCoding": {
                                "system": system,
                                "code": str(option.value),
                                "display": pick_text(option.label, language),
                            }
                        }
                    )
            elif item.type in ("integer", "slider"):
                answer.append({"valueInteger": int(v)})
            elif item.type == "decimal":
                answer.append({"valueDecimal": v})
            elif item.type == "date":
                answer.append({"valueDate": str(v)})
            elif item.type == "datetime":
                answer.append({"valueDateTime": str(v)})
            elif item.type == "time":
                answer.append({"valueTime": str(v)})
            else:
                answer.append({"valueString": str(v)})
        entry: dict[str, Any] = {"linkId": item.id, "answer": answer}
        if item.text:
            entry["text"] = pick_text(item.text, language)
        items.append(entry)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": identifier,
        "questionnaire": f"{canonical_url(definition.id)}|{definition.version}",
        "status": "completed" if complete else "in-progress",
        "subject": {"identifier": {"system": "urn:werkplaats:client", "value": subject}},
        "source": {"display": informant},
        "authored": authored,
        "item": items,
    }


def bundle(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
