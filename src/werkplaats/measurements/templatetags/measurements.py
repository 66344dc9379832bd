"""Small template filters for the measurement pages."""

from __future__ import annotations

from typing import Any

from django import template

from werkplaats.core.i18n import current_language
from werkplaats.measurements.charts import informant_label
from werkplaats.measurements.schedule import wave_words as _wave_words
from werkplaats.stats.definition import pick_text

register = template.Library()


@register.filter
def text(value: dict[str, str] | None) -> str:
    """A bilingual text from a definition, in the active language."""
    return pick_text(value, current_language())


@register.filter
def informant(value: str) -> str:
    return informant_label(value)


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key)


@register.filter
def wave_words(key: str) -> str:
    """``m03`` -> "na 3 maanden": a wave in the words a client reads."""
    return _wave_words(str(key))


@register.filter
def wave(key: str) -> str:
    """A wave's key in words: intake, 3 months, closure, follow-up, now."""
    from django.utils.translation import gettext as _

    names = {
        "intake": _("intake"),
        "closure": _("closure"),
        "follow_up": _("follow-up"),
        "now": _("now"),
    }
    if key in names:
        return names[key]
    if key.startswith("m") and key[1:].isdigit():
        return _("%(n)d months") % {"n": int(key[1:])}
    return key


@register.filter
def client_title(assessment: Any) -> str:
    """The plain title a client or network member reads for an assessment's instrument."""
    return str(assessment.version.parsed.client_title(current_language()))
