"""The active language, and bilingual data rows (names loaded as data in Dutch and English)."""

from __future__ import annotations

from django.utils.translation import get_language


def current_language() -> str:
    """``"en"`` when the active language is English, otherwise ``"nl"`` (the default)."""
    return "en" if (get_language() or "nl").startswith("en") else "nl"


def pick(nl: str, en: str) -> str:
    """The English text when the active language is English, otherwise the Dutch."""
    return en if current_language() == "en" else nl
