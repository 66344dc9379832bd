"""Repeat groups (XLSForm repeat, FHIR repeating group) asked as often as the person needs.

The definition is a household roster in tests/instruments/files: one repeat group of four
questions per household member, one of them asked only for a member under 18.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.measurements.factories import open_assessment
from werkplaats.instruments import services as instrument_services
from werkplaats.instruments.formats import fhir, redcap
from werkplaats.measurements import services
from werkplaats.measurements.answers_import import fhir_import
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.stats.scoring import completeness, progress

ROSTER = Path(__file__).parents[1] / "instruments" / "files" / "xlsform_household_roster.csv"


@pytest.fixture
def roster(world) -> Assessment:
    instrument_services.definitions_import(
        content=ROSTER.read_bytes(), filename="roster.csv", language="en"
    )
    return open_assessment(world.trajectory_a, "client", instrument="household_roster")


def save(assessment: Assessment, **answers: object) -> None:
    for key, value in answers.items():
        services.answer_save(assessment=assessment, item_id=key.replace("__", "#"), value=value)


def test_each_instance_is_stored_validated_and_branched_on_its_own(roster) -> None:
    save(roster, household="Jansen", member_name="Anna", member_age=41, relation="self")
    save(roster, member_name__2="Bo", member_age__2="9")
    stored = {(a.item_id, a.instance): a.value for a in Answer.objects.filter(assessment=roster)}
    assert stored[("member_name", 2)] == "Bo" and stored[("member_age", 2)] == 9
    definition = roster.version.parsed
    answers = roster.answer_map()
    shown = definition.relevant_ids(answers)
    # "goes to school" applies to the nine-year-old, not to the adult
    assert "at_school#2" in shown and "at_school" not in shown
    missing = completeness(definition, answers).missing_required
    assert missing == ["at_school#2", "complete_list"]
    assert progress(definition, answers) == (6, 9)  # at_school asked once: for Bo
    # the constraint is checked per instance, and instances come one at a time
    with pytest.raises(ValidationError) as exc:
        save(roster, member_age__2="130")
    assert exc.value.code == "constraint"
    with pytest.raises(ValidationError) as exc:
        save(roster, member_name__4="Dirk")
    assert exc.value.code == "unknown_item"
    with pytest.raises(ValidationError):  # an item outside a repeat has no second instance
        save(roster, household__2="Pietersen")
    with pytest.raises(ValidationError) as exc:
        save(roster, at_school="yes")  # hidden for the adult
    assert exc.value.code == "hidden"
    save(roster, at_school__2="yes", complete_list="yes")
    services.assessment_complete(assessment=roster, user=None)
    roster.refresh_from_db()
    assert roster.complete and roster.answer_map()["at_school#2"] == "yes"


def test_removing_an_instance_moves_the_later_ones_up(roster) -> None:
    save(roster, member_name="Anna", member_age=41)
    save(roster, member_name__2="Bo", member_age__2=9)
    save(roster, member_name__3="Cas", member_age__3=12)
    services.instance_remove(assessment=roster, group_id="member", instance=2)
    answers = roster.answer_map()
    assert answers["member_name#2"] == "Cas" and "member_name#3" not in answers
    with pytest.raises(ValidationError):
        services.instance_remove(assessment=roster, group_id="household", instance=1)


def test_the_form_adds_and_removes_an_instance_without_script(world, roster) -> None:
    client = Client()
    client.force_login(world.klaas)
    fill = reverse("measurements:fill", args=[roster.pk])
    page = client.get(fill).content.decode()
    assert 'name="add" value="member"' in page and 'name="member_name#2"' not in page
    response = client.post(fill, {"member_name": "Anna", "member_age": "41", "add": "member"})
    assert response.status_code == 302 and "add=member" in response["Location"]
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert 'name="member_name#2"' in page and "Lid van het huishouden 2" in page
    client.post(fill, {"member_name#2": "Bo", "member_age#2": "9", "save": "1"})
    assert roster.answer_map()["member_name#2"] == "Bo"
    page = client.get(fill).content.decode()
    assert 'id="q-at_school#2"' in page and 'id="q-at_school#2" hidden' not in page
    client.post(fill, {"remove": "member#1"})
    assert roster.answer_map()["member_name"] == "Bo" and "member_name#2" not in roster.answer_map()


def test_repeated_answers_travel_to_fhir_and_back_and_to_redcap_records(world, roster) -> None:
    save(roster, household="Jansen", member_name="Anna", member_age=41, relation="self")
    save(roster, member_name__2="Bo", member_age__2=9, at_school__2="yes", relation__2="child")
    definition = roster.version.parsed
    answers = roster.answer_map()
    response = fhir.questionnaire_response(
        definition,
        identifier="r1",
        subject="P-1",
        informant="client",
        complete=False,
        authored="2024-06-01",
        answers=answers,
    )
    groups = [i for i in response["item"] if i["linkId"] == "member"]
    assert [[a["linkId"] for a in g["item"]] for g in groups] == [
        ["member_name", "member_age", "relation"],
        ["member_name", "member_age", "at_school", "relation"],
    ]
    report = fhir_import(
        files=[("r.json", json.dumps(response).encode())],
        organisation=world.trajectory_a.team.organisation,
    )
    back = Assessment.objects.get(trajectory__client__pseudonym=report.records["P-1"])
    assert back.answer_map() == answers
    rows = list(
        csv.DictReader(
            io.StringIO(
                redcap.write_records(
                    definition,
                    [
                        {
                            "record_id": "P-1",
                            "event": "intake",
                            "informant": "client",
                            "complete": False,
                            "answers": answers,
                        }
                    ],
                ).decode()
            )
        )
    )
    assert [(r["redcap_repeat_instrument"], r["redcap_repeat_instance"]) for r in rows] == [
        ("", ""),
        ("household_roster", "2"),
    ]
    assert rows[1]["member_name"] == "Bo" and rows[1]["household"] == ""
    assert rows[0]["member_name"] == "Anna" and rows[0]["household"] == "Jansen"
