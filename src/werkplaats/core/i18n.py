"""Bilingual data rows (names loaded as data in Dutch and English)."""

from __future__ import annotations

from django.utils.translation import get_language


def pick(nl: str, en: str) -> str:
    """The English text when the active language is English, otherwise the Dutch."""
    return en if (get_language() or "nl").startswith("en") else nl
