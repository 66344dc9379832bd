"""Answers out: QuestionnaireResponses and Bundles of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from werkplaats.instruments.formats.fhir.names import (
    canonical_url,
)
from werkplaats.instruments.formats.fhir.writer import (
    _fhir_type,
)
from werkplaats.stats.definition import Definition, instance_key, pick_text

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
    items = _response_items(definition, answers, system, language, None, 1)
    # a repeating group: one group item per instance (the same linkId), its answers inside
    for group in definition.groups:
        if not group.repeat or not definition.repeat_items(group.id):
            continue
        for n in range(1, definition.instance_count(answers, group.id) + 1):
            inner = _response_items(definition, answers, system, language, group.id, n)
            if inner:
                items.append({"linkId": group.id, "item": inner})
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


def _response_items(
    definition: Definition,
    answers: Mapping[str, Any],
    system: str,
    language: str,
    group: str | None,
    n: int,
) -> list[dict[str, Any]]:
    """The answered items outside repeat groups (``group`` None), or of one instance."""
    items = []
    for item in definition.answerable_items:
        if definition.repeat_of(item) != group:
            continue
        value = answers.get(instance_key(item.id, n))
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
    return items


def bundle(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
