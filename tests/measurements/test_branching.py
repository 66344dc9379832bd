"""A questionnaire with branching, text codes and other item types, answered in the forms.

The definition is the REDCap dictionary of tests/instruments/files, imported as a real
workplace would: a hidden question is never asked, never required and never stored.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.measurements.factories import open_assessment
from werkplaats.instruments import services as instrument_services
from werkplaats.measurements import services
from werkplaats.measurements.models import Assessment

DICTIONARY = Path(__file__).parents[1] / "instruments" / "files" / "redcap_dictionary.csv"


@pytest.fixture
def enrolment(world) -> Assessment:
    instrument_services.definitions_import(
        content=DICTIONARY.read_bytes(), filename="dictionary.csv", language="en"
    )
    return open_assessment(world.trajectory_a, "client", instrument="enrolment")


@pytest.fixture
def klaas(world):
    client = Client()
    client.force_login(world.klaas)
    return client


def answer(client: Client, a: Assessment, item: str, value: str | list[str]):
    url = reverse("measurements:answer", args=[a.pk])
    if isinstance(value, list):
        return client.post(url, {"item": item, "multiple": "1", "values": value})
    return client.post(url, {"item": item, "value": value})


def test_the_page_leaves_hidden_questions_out_and_shows_them_when_they_apply(
    klaas, enrolment
) -> None:
    fill = reverse("measurements:fill", args=[enrolment.pk])
    page = klaas.get(fill).content.decode()
    assert 'id="q-cough_days"' in page and 'data-item="cough_days"' in page
    assert 'id="q-cough_days" hidden disabled' in page  # hidden until it applies
    assert answer(klaas, enrolment, "dob", "1990-04-01").json()["ok"]
    assert answer(klaas, enrolment, "state", "texas").json()["ok"]
    data = answer(klaas, enrolment, "symptoms", ["1", "3"]).json()
    assert "cough_days" in data["shown"] and "state_other" not in data["shown"]
    assert "cough_days" in data["required"]  # required now that it applies
    page = klaas.get(fill).content.decode()
    assert 'id="q-cough_days" hidden' not in page
    assert 'value="LA2-8"' in page  # a text code


def test_a_hidden_question_is_refused_and_never_required(klaas, enrolment) -> None:
    response = answer(klaas, enrolment, "cough_days", "5")
    assert response.status_code == 400  # symptoms not answered: cough_days does not apply
    for item, value in [
        ("enrol_date", "2024-02-01"),
        ("dob", "1990-04-01"),
        ("sex", "99"),
        ("consent", "1"),
    ]:
        assert answer(klaas, enrolment, item, value).json()["ok"], item
    services.assessment_complete(assessment=enrolment, user=None)
    enrolment.refresh_from_db()
    assert enrolment.complete


def test_an_answer_given_before_its_question_was_hidden_is_not_kept(klaas, enrolment) -> None:
    for item, value in [("enrol_date", "2024-02-01"), ("dob", "1990-04-01"), ("sex", "1")]:
        answer(klaas, enrolment, item, value)
    answer(klaas, enrolment, "consent", "1")
    answer(klaas, enrolment, "state", "texas")
    answer(klaas, enrolment, "symptoms", ["1"])
    answer(klaas, enrolment, "cough_days", "4")
    assert enrolment.answer_map()["symptoms"] == [1]
    answer(klaas, enrolment, "symptoms", ["2"])  # cough no longer ticked
    services.assessment_complete(assessment=enrolment, user=None)
    assert "cough_days" not in enrolment.answer_map()


@pytest.mark.parametrize(
    ("item", "value", "words"),
    [
        ("cough_days", "2.5", "Please give a whole number."),
        ("email", "nobody", "Please give an e-mail address"),
        ("enrol_date", "2019-01-01", "below the lowest allowed: 2020-01-01"),
        ("dob", "31-12-1990", "Please give a date as year-month-day"),
    ],
)
def test_validation_on_the_server_in_plain_words(klaas, enrolment, item, value, words) -> None:
    from django.utils import translation

    answer(klaas, enrolment, "dob", "1990-04-01")
    answer(klaas, enrolment, "state", "texas")
    answer(klaas, enrolment, "symptoms", ["1"])
    response = answer(klaas, enrolment, item, value)
    assert response.status_code == 400 and response.json()["error"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.answer_save(assessment=enrolment, item_id=item, value=value)
    assert words in exc.value.messages[0]


def test_a_required_question_that_applies_blocks_sending(enrolment) -> None:
    for item, value in [
        ("enrol_date", "2024-02-01"),
        ("dob", "1990-04-01"),
        ("sex", 2),
        ("consent", 1),
        ("state", "texas"),
        ("symptoms", [1]),
    ]:
        services.answer_save(assessment=enrolment, item_id=item, value=value)
    with pytest.raises(ValidationError) as exc:
        services.assessment_complete(assessment=enrolment, user=None)
    assert exc.value.params is not None and exc.value.params["missing"] == ["cough_days"]


def test_a_constraint_is_checked_with_its_own_message(world) -> None:
    from django.utils import translation

    household = Path(__file__).parents[1] / "instruments" / "files" / "xlsform_household.csv"
    instrument_services.definitions_import(
        content=household.read_bytes(), filename="household.csv", language="en"
    )
    assessment = open_assessment(world.trajectory_a, "client", instrument="household_visit")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        services.answer_save(assessment=assessment, item_id="age", value="130")
    assert exc.value.messages == ["Age must be 0-120"]
    assert services.answer_save(assessment=assessment, item_id="age", value="30").value == 30
