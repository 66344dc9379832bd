"""Every construct of the realistic test files either survives a round trip or is named.

One row per construct: the file, the item (or group) it is on, and what to look at in the
definition. The file is read, written back to its own format and read again; the row
passes when the construct is the same after the trip, or when the loss report of the
import or of the export names that item. The files (tests/instruments/files) were
written for these tests, after the public REDCap, XLSForm and FHIR examples; see the
README there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from werkplaats.instruments import formats
from werkplaats.stats.definition import parse_definition

FILES = Path(__file__).parent / "files"


def _item(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next((i for i in data["items"] if i["id"] == item_id), {})


def _group(data: dict[str, Any], group_id: str) -> dict[str, Any]:
    return next((g for g in data.get("groups") or [] if g["id"] == group_id), {})


def _field(key: str) -> Callable[[dict[str, Any], str], Any]:
    return lambda data, item_id: _item(data, item_id).get(key)


def _codes(data: dict[str, Any], item_id: str) -> Any:
    options = _item(data, item_id).get("options")
    if isinstance(options, str):
        options = data["option_sets"][options]
    return [str(o["value"]) for o in options or []]


def _languages(data: dict[str, Any], item_id: str) -> Any:
    return sorted(_item(data, item_id).get("text") or {})


def _repeat(data: dict[str, Any], group_id: str) -> Any:
    return _group(data, group_id).get("repeat")


def _group_relevant(data: dict[str, Any], group_id: str) -> Any:
    return _group(data, group_id).get("relevant")


CONSTRUCTS: list[tuple[str, str, str, str, Callable[[dict[str, Any], str], Any]]] = [
    # (file, format, construct, item or group, what to compare)
    ("redcap_dictionary.csv", "redcap", "item type: date", "dob", _field("type")),
    ("redcap_dictionary.csv", "redcap", "dropdown with text codes", "state", _codes),
    ("redcap_dictionary.csv", "redcap", "dropdown stays dropdown", "state", _field("appearance")),
    ("redcap_dictionary.csv", "redcap", "branching with quotes", "state_other", _field("relevant")),
    ("redcap_dictionary.csv", "redcap", "checkbox", "symptoms", _field("type")),
    ("redcap_dictionary.csv", "redcap", "checkbox branching", "cough_days", _field("relevant")),
    ("redcap_dictionary.csv", "redcap", "and/or with parentheses", "fever_max", _field("relevant")),
    ("redcap_dictionary.csv", "redcap", "comma decimals", "fever_max", _field("validation")),
    ("redcap_dictionary.csv", "redcap", "integer with bounds", "cough_days", _field("validation")),
    ("redcap_dictionary.csv", "redcap", "date bound 'today'", "enrol_date", _field("validation")),
    ("redcap_dictionary.csv", "redcap", "field note", "cough_days", _field("note")),
    ("redcap_dictionary.csv", "redcap", "section header", "enrol_date", _field("section")),
    ("redcap_dictionary.csv", "redcap", "required", "sex", _field("required")),
    ("redcap_dictionary.csv", "redcap", "e-mail validation", "email", _field("validation")),
    ("redcap_dictionary.csv", "redcap", "phone validation", "phone", _field("validation")),
    ("redcap_dictionary.csv", "redcap", "time", "visit_time", _field("type")),
    ("redcap_dictionary.csv", "redcap", "slider", "pain", _field("type")),
    ("redcap_dictionary.csv", "redcap", "calculation", "bmi", _field("calculation")),
    ("redcap_dictionary.csv", "redcap", "yes/no", "consent", _field("type")),
    ("redcap_dictionary.csv", "redcap", "true/false", "truth", _codes),
    ("redcap_dictionary.csv", "redcap", "file upload", "consent_form", _field("type")),
    (
        "redcap_dictionary.csv",
        "redcap",
        "[event][field] reference",
        "other_visit",
        _field("relevant"),
    ),
    ("redcap_dictionary.csv", "redcap", "action tag", "comments", _field("verbatim")),
    ("redcap_dictionary.csv", "redcap", "descriptive text", "thanks", _field("type")),
    ("redcap_dictionary.csv", "redcap", "matrix group", "phq_3", _field("matrix")),
    ("redcap_dictionary.csv", "redcap", "sql field", "no_choices", _field("verbatim")),
    ("xlsform_household.csv", "xlsform-csv", "two languages", "respondent", _languages),
    ("xlsform_household.csv", "xlsform-csv", "hint", "respondent", _field("note")),
    ("xlsform_household.csv", "xlsform-csv", "constraint", "age", _field("constraint")),
    ("xlsform_household.csv", "xlsform-csv", "required-if", "n_children", _field("required_when")),
    ("xlsform_household.csv", "xlsform-csv", "group relevance", "children", _group_relevant),
    ("xlsform_household.csv", "xlsform-csv", "selected()", "other_illness", _field("relevant")),
    ("xlsform_household.csv", "xlsform-csv", "text code LA2-8", "illness", _codes),
    ("xlsform_household.csv", "xlsform-csv", "choice filter", "district", _field("choice_filter")),
    (
        "xlsform_household.csv",
        "xlsform-csv",
        "today() constraint",
        "visit_date",
        _field("constraint"),
    ),
    ("xlsform_household.csv", "xlsform-csv", "range", "pain", _field("validation")),
    ("xlsform_household.csv", "xlsform-csv", "note", "thanks", _field("type")),
    ("xlsform_household.csv", "xlsform-csv", "calculate", "age_months", _field("calculation")),
    ("xlsform_household.csv", "xlsform-csv", "geopoint", "location", _field("type")),
    ("xlsform_household.csv", "xlsform-csv", "regex()", "notes_free", _field("constraint")),
    ("xlsform_household_roster.csv", "xlsform-csv", "repeat", "member", _repeat),
    (
        "xlsform_household_roster.csv",
        "xlsform-csv",
        "relevant in a repeat",
        "at_school",
        _field("relevant"),
    ),
    (
        "xlsform_household_roster.csv",
        "xlsform-csv",
        "item in a repeat",
        "member_age",
        _field("group"),
    ),
    ("fhir_questionnaire.json", "fhir", "linkId with slashes", "H1/T1/Q1", _field("type")),
    ("fhir_questionnaire.json", "fhir", "enableWhen", "H1/T1/Q3", _field("relevant")),
    ("fhir_questionnaire.json", "fhir", "contained ValueSet", "phq1", _codes),
    ("fhir_questionnaire.json", "fhir", "repeating group", "meds", _repeat),
    ("fhir_questionnaire.json", "fhir", "enableWhen on a group", "meds", _group_relevant),
    ("fhir_questionnaire.json", "fhir", "external value set", "med_name", _field("type")),
    ("fhir_questionnaire.json", "fhir", "attachment", "consent_scan", _field("type")),
    ("fhir_questionnaire.json", "fhir", "display", "closing", _field("type")),
    ("fhir_questionnaire.json", "fhir", "help item", "cigarettes", _field("note")),
]


@cache
def _trip(name: str, fmt: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    first = formats.read((FILES / name).read_bytes(), fmt, language="en")
    losses = [loss.text("en") for loss in first.losses]
    again: list[dict[str, Any]] = []
    for data in first.definitions:
        out = formats.write(parse_definition(data), fmt, "en")
        losses += [loss.text("en") for loss in out.losses]
        again += formats.read(out.content, fmt, language="en").definitions
    return first.definitions, again, "\n".join(losses)


def _find(definitions: list[dict[str, Any]], key: str) -> dict[str, Any]:
    for data in definitions:
        if _item(data, key) or _group(data, key):
            return data
    return {"items": [], "groups": []}


@pytest.mark.parametrize(
    ("name", "fmt", "construct", "key", "look"),
    CONSTRUCTS,
    ids=[f"{row[0]}:{row[2]}" for row in CONSTRUCTS],
)
def test_a_construct_round_trips_or_is_named_in_the_loss_report(
    name: str, fmt: str, construct: str, key: str, look: Callable[[dict[str, Any], str], Any]
) -> None:
    before, after, losses = _trip(name, fmt)
    kept = look(_find(before, key), key)
    back = look(_find(after, key), key)
    named = any(key in line.split(":")[0] for line in losses.splitlines())
    assert (kept not in (None, [], {}) and kept == back) or named, (
        f"{construct} on {key}: before {kept!r}, after {back!r}, and the loss report does "
        f"not name it:\n{losses}"
    )
