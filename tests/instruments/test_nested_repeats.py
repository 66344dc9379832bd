"""A repeat inside another repeat is asked as one list: the import's loss report says so."""

from __future__ import annotations

import json

from werkplaats.instruments import formats
from werkplaats.instruments.formats.common import NESTED_REPEAT

XLSFORM = b"""survey,type,name,label
,begin repeat,member,Household member
,text,member_name,First name
,begin repeat,job,Job
,text,employer,Employer
,end repeat,,
,end repeat,,
,begin repeat,pet,Pet
,text,pet_name,Name
,end repeat,,
settings,form_title,form_id,
,Roster,roster,
"""


def _nested(result: formats.ImportResult) -> list[str]:
    return [loss.path for loss in result.losses if loss.what == NESTED_REPEAT]


def test_an_xlsform_repeat_in_a_repeat_is_named_in_the_loss_report() -> None:
    result = formats.read(XLSFORM, "xlsform-csv", filename="roster.csv")
    assert _nested(result) == ["job"]  # not the outer repeat, not the side-by-side one
    groups = {g["id"]: g for g in result.definitions[0]["groups"]}
    assert groups["job"]["repeat"] and groups["job"]["parent"] == "member"


def test_a_fhir_repeating_group_in_a_repeating_group_is_named_in_the_loss_report() -> None:
    def group(link: str, inner: list[dict[str, object]]) -> dict[str, object]:
        return {"linkId": link, "type": "group", "text": link, "repeats": True, "item": inner}

    questionnaire = {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": "Roster",
        "item": [
            group(
                "member",
                [
                    {"linkId": "member_name", "type": "string", "text": "Name"},
                    group("job", [{"linkId": "employer", "type": "string", "text": "Employer"}]),
                ],
            )
        ],
    }
    result = formats.read(json.dumps(questionnaire).encode(), "fhir", filename="roster.json")
    assert _nested(result) == ["job"]
    assert NESTED_REPEAT in {loss.what for loss in result.losses}
    dutch = next(loss for loss in result.losses if loss.what == NESTED_REPEAT).text("nl")
    assert "herhaling binnen een andere herhaling" in dutch  # the loss report in Dutch too
