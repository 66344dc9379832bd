"""FHIR extension URLs, item types and the canonical URL of an instrument."""

from __future__ import annotations

import re

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
    "coding": "choice",  # FHIR R5: choice and open-choice became coding + answerConstraint
    "boolean": "yesno",
    "display": "display",
    "attachment": "file",
    "url": "text",
    "quantity": "decimal",
    "reference": "text",
}
MAX_DEPTH = 30
LINK = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,99}")


def link_name(link: str) -> str:
    """A linkId as an item id: ``/44250-9`` -> ``44250-9``, ``a b`` -> ``a_b``. The answers
    import maps a response's linkIds the same way."""
    name = link.strip()
    if LINK.fullmatch(name):
        return name
    return re.sub(r"[^A-Za-z0-9_./-]", "_", name)[:100].lstrip(".-/") or "item"


def canonical_url(instrument_id: str) -> str:
    return f"urn:werkplaats:instrument:{instrument_id}"
