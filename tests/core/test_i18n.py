"""The active language as the two the data carries."""

from __future__ import annotations

from django.utils import translation

from werkplaats.core.i18n import current_language, pick


def test_current_language_is_english_or_dutch() -> None:
    for active, expected in [("en", "en"), ("en-gb", "en"), ("nl", "nl"), ("de", "nl")]:
        with translation.override(active):
            assert current_language() == expected
            assert pick("nl-tekst", "en text") == ("en text" if expected == "en" else "nl-tekst")
