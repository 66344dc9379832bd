"""Small template filters for the measurement pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from werkplaats.measurements.charts import informant_label
from werkplaats.stats.scoring import pick_text

register = template.Library()


@register.filter
def text(value: dict[str, str] | None) -> str:
    """A bilingual text from a definition, in the active language."""
    return pick_text(value, "en" if (get_language() or "nl").startswith("en") else "nl")


@register.filter
def informant(value: str) -> str:
    return informant_label(value)


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)
