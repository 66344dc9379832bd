"""The one-time link page posts the way a browser does: with CSRF checks and an Origin.

A browser that reads ``Referrer-Policy: no-referrer`` sends ``Origin: null`` with a
form post, which Django's CSRF check refuses. These tests send the headers a browser
sends under the page's own policy.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.measurements.factories import make_link
from werkplaats.measurements.models import Assessment

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"


def _open(client: Client, token: str) -> tuple[str, str]:
    url = reverse("measurements:link", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200
    return url, client.cookies["csrftoken"].value


def test_the_link_page_keeps_the_origin_for_its_own_forms(world) -> None:
    client = Client(enforce_csrf_checks=True)
    token = make_link(world.trajectory_a)
    url = reverse("measurements:link", kwargs={"token": token})
    page = client.get(url)
    assert page["Referrer-Policy"] == "same-origin"
    assert b'content="no-referrer"' not in page.content


def test_a_browser_post_with_its_origin_sends_the_answers(world) -> None:
    client = Client(enforce_csrf_checks=True)
    token = make_link(world.trajectory_a, answered=True)
    _url, csrf = _open(client, token)
    url, csrf = _open(client, token)
    response = client.post(
        url,
        {"csrfmiddlewaretoken": csrf, "send": "1"},
        HTTP_ORIGIN=ORIGIN,
    )
    assert response.status_code == 200, response.content[:500]
    assessment = Assessment.objects.get(informant="network_member")
    assert assessment.completed_at is not None


def test_save_for_later_and_the_language_button_pass_the_check(world) -> None:
    client = Client(enforce_csrf_checks=True)
    token = make_link(world.trajectory_a)
    url, csrf = _open(client, token)
    saved = client.post(
        url,
        {"csrfmiddlewaretoken": csrf, "save": "1"},
        HTTP_ORIGIN=ORIGIN,
    )
    assert saved.status_code in (200, 302), saved.content[:500]
    switched = client.post(
        reverse("set_language"),
        {"csrfmiddlewaretoken": csrf, "language": "en", "next": url},
        HTTP_ORIGIN=ORIGIN,
    )
    assert switched.status_code == 302


def test_a_refused_form_gets_a_page_that_says_what_to_do(world) -> None:
    client = Client(enforce_csrf_checks=True)
    token = make_link(world.trajectory_a)
    url, csrf = _open(client, token)
    refused = client.post(
        url,
        {"csrfmiddlewaretoken": csrf, "send": "1"},
        HTTP_ORIGIN="null",
    )
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "kon niet worden verstuurd" in text
    assert "niet verloren" in text
