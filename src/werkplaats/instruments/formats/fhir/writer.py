"""Writing a definition as an FHIR R4 Questionnaire."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from werkplaats.instruments.formats.common import (
    N_,
    ExportResult,
    loss,
)
from werkplaats.instruments.formats.fhir.names import (
    CARRIED,
    ITEM_CARRIED,
    ITEM_CONTROL,
    MAX_VALUE,
    MIN_VALUE,
    ORDINAL,
    TRANSLATION,
    WERKPLAATS,
    canonical_url,
)
from werkplaats.stats import expressions
from werkplaats.stats.definition import Definition, Item, pick_text

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
