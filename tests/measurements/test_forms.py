"""The three forms: every answer saved as it is given, resume, refusals in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.measurements.factories import make_link, open_assessment
from werkplaats.measurements.models import Answer, Assessment

ALL_MAX = {"m1": 1, "m2": 1, "m3": 1, "m4": 4, "m5": 1, "m6": 4, "m7": 1}


@pytest.fixture
def klaas(world):
    client = Client()
    client.force_login(world.klaas)
    return client


@pytest.fixture
def assessment(world):
    return open_assessment(world.trajectory_a, "client")


def answer_url(a: Assessment) -> str:
    return reverse("measurements:answer", args=[a.pk])


def test_the_autosave_endpoint_saves_one_answer(klaas, assessment) -> None:
    response = klaas.post(answer_url(assessment), {"item": "m1", "value": "2"})
    assert response.status_code == 200
    data = response.json()
    assert {k: data[k] for k in ("ok", "answered", "total")} == {
        "ok": True,
        "answered": 1,
        "total": 7,
    }
    assert data["shown"] == ["m1", "m2", "m3", "m4", "m5", "m6", "m7"]
    assert list(assessment.answers.values_list("item_id", "value")) == [("m1", 2)]
    klaas.post(answer_url(assessment), {"item": "m1", "value": "3"})  # changed mind: last counts
    assert list(assessment.answers.values_list("item_id", "value")) == [("m1", 3)]


def test_every_answer_points_to_the_exact_version_answered(klaas, assessment) -> None:
    klaas.post(answer_url(assessment), {"item": "m1", "value": "2"})
    answer = Answer.objects.get()
    assert answer.assessment.version.instrument.slug == "pearlin-mastery"
    assert len(answer.assessment.version.content_hash) == 64


@pytest.mark.parametrize(
    ("language", "words"),
    [("nl", "Dat antwoord staat er niet bij"), ("en", "That answer is not one of the choices")],
)
def test_an_answer_outside_the_options_is_refused_in_plain_words(
    klaas, assessment, language, words
) -> None:
    klaas.cookies["django_language"] = language
    response = klaas.post(
        answer_url(assessment), {"item": "m1", "value": "7"}, HTTP_ACCEPT_LANGUAGE=language
    )
    assert response.status_code == 400
    assert words in response.json()["error"]
    assert not assessment.answers.exists()


def test_an_unknown_question_is_refused(klaas, assessment) -> None:
    response = klaas.post(answer_url(assessment), {"item": "m99", "value": "1"})
    assert response.status_code == 400 and not assessment.answers.exists()


def test_the_form_resumes_at_the_first_unanswered_question(klaas, assessment) -> None:
    for item in ("m1", "m2", "m3"):
        klaas.post(answer_url(assessment), {"item": item, "value": "2"})
    response = klaas.get(reverse("measurements:fill", args=[assessment.pk]), {"one": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-item="m4"' in body and 'data-item="m1"' not in body
    assert '<progress max="7" value="3"' in body


def test_all_questions_show_saved_answers_checked(klaas, assessment) -> None:
    klaas.post(answer_url(assessment), {"item": "m2", "value": "4"})
    body = klaas.get(reverse("measurements:fill", args=[assessment.pk])).content.decode()
    assert 'name="m2" value="4" checked' in body
    assert 'name="viewport"' in body and "measurements.js" in body


def test_without_script_next_saves_and_moves_on(klaas, assessment) -> None:
    url = reverse("measurements:fill", args=[assessment.pk])
    response = klaas.post(f"{url}?one=1&q=0", {"m1": "3", "next": f"{url}?one=1&q=1"})
    assert response.status_code == 302 and response["Location"].endswith("q=1")
    assert assessment.answers.get().value == 3


def test_sending_an_incomplete_form_names_the_missing_questions(klaas, assessment) -> None:
    klaas.post(answer_url(assessment), {"item": "m1", "value": "2"})
    response = klaas.post(reverse("measurements:complete", args=[assessment.pk]))
    assert response.status_code == 400  # like an invalid answer on the form itself
    assert "(6)" in response.content.decode()
    assessment.refresh_from_db()
    assert not assessment.complete


def test_sending_gives_the_client_their_score_at_once(klaas, assessment) -> None:
    for item, value in ALL_MAX.items():
        klaas.post(answer_url(assessment), {"item": item, "value": str(value)})
    response = klaas.post(
        reverse("measurements:complete", args=[assessment.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<strong>28</strong>" in body
    assessment.refresh_from_db()
    assert assessment.complete
    late = klaas.post(answer_url(assessment), {"item": "m1", "value": "4"})
    assert late.status_code == 400 and assessment.answers.get(item_id="m1").value == 1


def test_the_professional_form_is_compact_and_keyboard_driven(world) -> None:
    assessment = open_assessment(world.trajectory_a, "professional")
    client = Client()
    client.force_login(world.alice)
    body = client.get(reverse("measurements:fill", args=[assessment.pk])).content.decode()
    assert 'class="questionnaire compact"' in body and "<kbd>1</kbd>" in body
    assert "de cliënt" in body.lower() or "the client" in body.lower()  # the professional's wording


def test_a_client_cannot_answer_the_professionals_assessment(world, klaas) -> None:
    assessment = open_assessment(world.trajectory_a, "professional")
    assert klaas.get(reverse("measurements:fill", args=[assessment.pk])).status_code == 404


def test_the_client_sees_open_questionnaires_on_the_home_page(klaas, assessment) -> None:
    body = klaas.get(reverse("home")).content.decode()
    assert reverse("measurements:fill", args=[assessment.pk]) in body


# The one-time link -------------------------------------------------------------


def test_a_network_member_answers_through_the_link_without_an_account(world) -> None:
    token = make_link(world.trajectory_a)
    anonymous = Client()
    page = anonymous.get(reverse("measurements:link", args=[token]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Caseload" not in body and "Werkplaats" in body  # only the form, no navigation
    assert page["Referrer-Policy"] == "same-origin"  # no leak to other sites, Origin kept
    for item, value in ALL_MAX.items():
        r = anonymous.post(
            reverse("measurements:link_answer", args=[token]), {"item": item, "value": str(value)}
        )
        assert r.status_code == 200
    done = anonymous.post(reverse("measurements:link_complete", args=[token]))
    assert done.status_code == 200
    assert "<strong>28</strong>" not in done.content.decode()  # a network member sees no scores
    again = anonymous.get(reverse("measurements:link", args=[token]))
    assert again.status_code == 410
    assert (
        anonymous.post(
            reverse("measurements:link_answer", args=[token]), {"item": "m1", "value": "2"}
        ).status_code
        == 410
    )


def test_sending_an_incomplete_form_through_the_link_is_a_bad_request(world) -> None:
    token = make_link(world.trajectory_a)
    response = Client().post(reverse("measurements:link_complete", args=[token]))
    assert response.status_code == 400 and "(7)" in response.content.decode()


def test_the_link_expires(world) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        token = make_link(world.trajectory_a, days=14)
    anonymous = Client()
    with time_machine.travel(dt.datetime(2025, 3, 14, 12, tzinfo=dt.UTC), tick=False):
        assert anonymous.get(reverse("measurements:link", args=[token])).status_code == 200
    with time_machine.travel(dt.datetime(2025, 3, 15, 13, tzinfo=dt.UTC), tick=False):
        response = anonymous.get(reverse("measurements:link", args=[token]))
        assert response.status_code == 410 and "verlopen" in response.content.decode()


def test_an_unknown_token_reveals_nothing(world) -> None:
    assert Client().get(reverse("measurements:link", args=["x" * 32])).status_code == 404


def test_only_a_hash_of_the_token_is_stored(world) -> None:
    from werkplaats.measurements.models import OneTimeLink

    token = make_link(world.trajectory_a)
    stored = OneTimeLink.objects.get()
    assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_a_new_link_replaces_the_old_one(world) -> None:
    first = make_link(world.trajectory_a)
    second = make_link(world.trajectory_a)
    anonymous = Client()
    assert anonymous.get(reverse("measurements:link", args=[first])).status_code == 404
    assert anonymous.get(reverse("measurements:link", args=[second])).status_code == 200


def test_starting_a_network_assessment_shows_the_link_once(world) -> None:
    client = Client()
    client.force_login(world.alice)
    response = client.post(
        reverse("measurements:assessment_start", args=[world.trajectory_a.pk]),
        {
            "instrument": "pearlin-mastery",
            "informant": "network_member",
            "wave": "intake",
            "wave_date": "2025-01-15",
        },
    )
    assert response.status_code == 200
    assert "/q/" in response.content.decode()


def test_clearing_an_answer_after_sending_is_refused_even_with_a_stale_object(world) -> None:
    from django.core.exceptions import ValidationError

    from werkplaats.measurements import services

    assessment = open_assessment(world.trajectory_a, "client")
    for item, value in ALL_MAX.items():
        services.answer_save(assessment=assessment, item_id=item, value=value)
    stale = Assessment.objects.get(pk=assessment.pk)  # read before sending: still open
    services.assessment_complete(assessment=assessment, user=None)
    assert not stale.complete
    with pytest.raises(ValidationError) as exc:
        services.answer_clear(assessment=stale, item_id="m1")
    assert exc.value.code == "complete"
    assert assessment.answers.filter(item_id="m1").exists()
