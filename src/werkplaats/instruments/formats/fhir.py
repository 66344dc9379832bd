"""FHIR R4 Questionnaire (definitions) and QuestionnaireResponse (answers), as JSON.

A Questionnaire holds the items, their text in one language plus translations (the
``translation`` extension), answer options as codings, each option's item score as an
``ordinalValue`` extension (so reverse keying and recode tables survive), required
items, and the licence as ``copyright``. Scales, bands, norms, informant versions, the
citation and the notes have no place in core FHIR: they travel in one Werkplaats
extension, which other FHIR tools ignore; the loss report says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from werkplaats.instruments.formats.common import (
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    default_scales,
    imported_version,
    slugify,
    unknown_licence,
)
from werkplaats.stats.scoring import Definition, Problem, pick_text

TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
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
)


def canonical_url(instrument_id: str) -> str:
    return f"urn:werkplaats:instrument:{instrument_id}"


def _translated(text: Mapping[str, str], language: str) -> tuple[str, dict[str, Any] | None]:
    main = pick_text(text, language)
    others = [
        {
            "extension": [
                {"url": "lang", "valueCode": lang},
                {"url": "content", "valueString": value},
            ],
            "url": TRANSLATION,
        }
        for lang, value in text.items()
        if value != main
    ]
    return main, ({"extension": others} if others else None)


def write(definition: Definition, language: str = "nl") -> ExportResult:
    d = definition.data
    losses = [
        Loss(
            "scales",
            "scales, bands and norms travel in a Werkplaats extension; other FHIR tools ignore them",
        ),
    ]
    if d.get("informants"):
        losses.append(
            Loss("informants", "informant versions travel in the Werkplaats extension only")
        )
    losses.append(Loss("citation", "the citation travels in the Werkplaats extension only"))
    system = canonical_url(definition.id) + ":options"
    items = []
    for item in definition.items:
        entry: dict[str, Any] = {"linkId": item.id, "type": "choice", "required": item.required}
        if item.text:
            entry["text"], extension = _translated(item.text, language)
            if extension:
                entry["_text"] = extension
        options = []
        for option in item.options:
            display, extension = _translated(option.label, language)
            coding: dict[str, Any] = {
                "system": system,
                "code": str(option.value),
                "display": display,
            }
            if extension:
                coding["_display"] = extension
            options.append(
                {
                    "valueCoding": coding,
                    "extension": [{"url": ORDINAL, "valueDecimal": item.item_score(option.value)}],
                }
            )
        entry["answerOption"] = options
        items.append(entry)
    title, title_ext = _translated(d["title"], language)
    carried = {key: d[key] for key in CARRIED if key in d}
    carried["item_names"] = {i.id: i.name for i in definition.items if i.name}
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": definition.id,
        "url": canonical_url(definition.id),
        "version": definition.version,
        "name": definition.id.replace("-", "_"),
        "title": title,
        "status": "active",
        "language": language,
        "copyright": d["licence"]["statement"],
        "extension": [{"url": WERKPLAATS, "valueString": json.dumps(carried, ensure_ascii=False)}],
        "item": items,
    }
    if title_ext:
        resource["_title"] = title_ext
    if d.get("description"):
        resource["description"] = pick_text(d["description"], language)
    text = json.dumps(resource, ensure_ascii=False, indent=2)
    return ExportResult(
        "fhir",
        text.encode(),
        f"{definition.id}.questionnaire.json",
        "application/fhir+json",
        losses,
    )


def _text_of(value: Any, extension: Any, language: str) -> dict[str, str]:
    out: dict[str, str] = {}
    if isinstance(value, str) and value:
        out[language] = value
    for translation in (
        (extension or {}).get("extension", []) if isinstance(extension, dict) else []
    ):
        parts = {e.get("url"): e for e in translation.get("extension", []) if isinstance(e, dict)}
        lang = parts.get("lang", {}).get("valueCode")
        content = parts.get("content", {}).get("valueString")
        if lang in ("nl", "en") and isinstance(content, str) and content:
            out.setdefault(lang, content)
    return out


def _flatten(items: Any, losses: list[Loss], path: str) -> Iterable[tuple[str, dict[str, Any]]]:
    if not isinstance(items, list):
        raise FormatError([Problem(path, "item must be a list")])
    for n, item in enumerate(items):
        where = f"{path}[{n}]"
        if not isinstance(item, dict):
            raise FormatError([Problem(where, "must be an object")])
        if item.get("type") == "group":
            losses.append(Loss(where, "group flattened: its items were kept, the grouping was not"))
            yield from _flatten(item.get("item", []), losses, f"{where}.item")
        else:
            yield where, item


def read(content: bytes, language: str = "nl") -> ImportResult:
    try:
        resource = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"not valid JSON: {exc}".splitlines()[0]) from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise FormatError([Problem("resourceType", "must be Questionnaire")])
    if resource.get("language") in ("nl", "en"):
        language = str(resource["language"])
    losses: list[Loss] = []
    carried: dict[str, Any] = {}
    for extension in (
        resource.get("extension", []) if isinstance(resource.get("extension"), list) else []
    ):
        if isinstance(extension, dict) and extension.get("url") == WERKPLAATS:
            try:
                carried = json.loads(extension.get("valueString", "{}"))
            except (TypeError, ValueError):
                raise FormatError(
                    [Problem("extension", "the Werkplaats extension is not valid JSON")]
                ) from None
            if not isinstance(carried, dict):
                raise FormatError(
                    [Problem("extension", "the Werkplaats extension must hold an object")]
                )
    items: list[dict[str, Any]] = []
    recode_tables: dict[str, dict[str, float]] = {}
    names: dict[str, Any] = (
        carried["item_names"] if isinstance(carried.get("item_names"), dict) else {}
    )
    for where, raw in _flatten(resource.get("item", []), losses, "item"):
        kind, link = raw.get("type"), raw.get("linkId")
        if kind == "display":
            losses.append(Loss(where, "display text left out"))
            continue
        if kind not in ("choice", "open-choice"):
            losses.append(
                Loss(f"{where} ({link})", f"type {kind!r} is not a scored item; left out")
            )
            continue
        if not isinstance(link, str) or not link:
            raise FormatError([Problem(f"{where}.linkId", "is missing")])
        if kind == "open-choice":
            losses.append(Loss(where, "free-text answers of an open-choice item are not kept"))
        if "answerValueSet" in raw and "answerOption" not in raw:
            raise FormatError(
                [
                    Problem(
                        f"{where}.answerValueSet",
                        "answer options by value set reference are not supported; list them as answerOption",
                    )
                ]
            )
        options: list[dict[str, Any]] = []
        ordinals: dict[int, float] = {}
        raw_options = raw.get("answerOption")
        if not isinstance(raw_options, list):
            raise FormatError([Problem(f"{where}.answerOption", "must be a list")])
        for k, option in enumerate(raw_options):
            opath = f"{where}.answerOption[{k}]"
            if not isinstance(option, dict):
                raise FormatError([Problem(opath, "must be an object")])
            if "valueInteger" in option:
                value, display, display_ext = (
                    option["valueInteger"],
                    str(option["valueInteger"]),
                    None,
                )
            elif isinstance(option.get("valueCoding"), dict):
                coding = option["valueCoding"]
                value, display, display_ext = (
                    coding.get("code"),
                    coding.get("display"),
                    coding.get("_display"),
                )
            else:
                raise FormatError([Problem(opath, "needs valueCoding or valueInteger")])
            try:
                number = int(str(value))
            except ValueError:
                raise FormatError(
                    [Problem(f"{opath}.valueCoding.code", f"{value!r} is not a whole number")]
                ) from None
            options.append(
                {
                    "value": number,
                    "label": _text_of(display, display_ext, language) or {language: str(number)},
                }
            )
            for extension in (
                option.get("extension", []) if isinstance(option.get("extension"), list) else []
            ):
                if isinstance(extension, dict) and extension.get("url") == ORDINAL:
                    ordinal = extension.get("valueDecimal")
                    if not isinstance(ordinal, int | float) or isinstance(ordinal, bool):
                        raise FormatError(
                            [Problem(f"{opath}.extension", "ordinalValue must be a number")]
                        )
                    ordinals[number] = float(ordinal)
        item: dict[str, Any] = {"id": link, "options": options}
        text = _text_of(raw.get("text"), raw.get("_text"), language)
        if text:
            item["text"] = text
        if isinstance(names.get(link), dict):
            item["name"] = names[link]
        if raw.get("required") is True:
            item["required"] = True
        values: list[int] = [o["value"] for o in options]
        if ordinals and values and len(ordinals) == len(values):
            if all(ordinals[v] == v for v in values):
                pass
            elif all(ordinals[v] == min(values) + max(values) - v for v in values):
                item["reverse"] = True
            else:
                table = slugify(link)
                recode_tables[table] = {str(v): ordinals[v] for v in values}
                item["recode"] = table
        items.append(item)
    if not carried:
        losses.append(
            Loss(
                "",
                "no Werkplaats extension: construct, scales, bands and norms are not in the source",
            )
        )
    licence, citation = unknown_licence("FHIR Questionnaire")
    if isinstance(resource.get("copyright"), str) and resource["copyright"]:
        licence = {**licence, "statement": resource["copyright"]}
    identifier = slugify(str(resource.get("id") or resource.get("name") or "questionnaire"))
    title = _text_of(resource.get("title"), resource.get("_title"), language) or {
        language: identifier
    }
    data: dict[str, Any] = {
        "format": "werkplaats.instrument/1",
        "id": identifier,
        "version": str(resource.get("version") or ""),
        "construct": identifier,
        "kind": "questionnaire",
        "title": title,
        "licence": licence,
        "citation": citation,
        "items": items,
    }
    for key in CARRIED:
        if key in carried:
            data[key] = carried[key]
    if recode_tables:
        data["recode_tables"] = recode_tables
    if "scales" not in data:
        data["scales"] = default_scales(items, losses, identifier)
    if not data["version"]:
        data["version"] = imported_version(data)
    return ImportResult("fhir", [data], losses)


def questionnaire_response(
    definition: Definition,
    *,
    identifier: str,
    subject: str,
    informant: str,
    complete: bool,
    authored: str,
    answers: Mapping[str, int | None],
    language: str = "nl",
) -> dict[str, Any]:
    """One assessment as a QuestionnaireResponse pointing to the exact version answered."""
    system = canonical_url(definition.id) + ":options"
    items = []
    for item in definition.items:
        value = answers.get(item.id)
        if value is None:
            continue
        option = next(o for o in item.options if o.value == value)
        entry: dict[str, Any] = {
            "linkId": item.id,
            "answer": [
                {
                    "valueCoding": {
                        "system": system,
                        "code": str(value),
                        "display": pick_text(option.label, language),
                    }
                }
            ],
        }
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


def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
