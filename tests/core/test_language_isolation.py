"""The active language does not leak from one test into the next (tests/conftest.py).

The two tests run in this order: the first leaves English active the way a request does,
the second must still start in Dutch, the default.
"""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.utils import translation


def test_a_request_in_english_activates_english_for_the_thread(db) -> None:
    Client(HTTP_ACCEPT_LANGUAGE="en").get("/login/")
    assert translation.get_language() == "en"


def test_the_next_test_starts_in_the_default_language() -> None:
    assert settings.LANGUAGE_CODE == "nl"
    assert translation.get_language() == "nl"
