"""Mark the language of what people wrote when it differs from the page's (WCAG 3.1.2).

Goals, network labels, notes and study titles are written in the workplace's language
(``LANGUAGE_CODE``, Dutch). On a page in another language they carry ``lang`` so that a
screen reader reads them with the right voice::

    {% load content %}<h3{% content_lang %}>{{ goal.text }}</h3>
    <span{% study_lang study %}>{{ study.display_title }}</span>
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

from werkplaats.core.i18n import current_language

register = template.Library()


def _workplace_language() -> str:
    return str(settings.LANGUAGE_CODE).split("-")[0]


@register.simple_tag
def content_lang() -> SafeString:
    """`` lang="nl"`` when the page is not in the workplace's language, else nothing."""
    content = _workplace_language()
    if current_language() == content:
        return SafeString("")
    return format_html(' lang="{}"', content)


@register.simple_tag
def study_lang(study: Any) -> SafeString:
    """``lang`` for a study's display title: only when no title in the page's language exists."""
    has_english: bool = bool(getattr(study, "title_en", None))
    if current_language() == "en" and has_english:
        return SafeString("")
    return content_lang()


@register.simple_tag
def client_study_title(study: Any) -> SafeString:
    """The study's title as a client reads it (plain words), with ``lang`` where it is
    written in another language than the page: ``{% client_study_title consent.study %}``."""
    language = current_language()
    written_in = study.client_title_language(language)
    lang = format_html(' lang="{}"', written_in) if written_in != language else ""
    return format_html("<span{}>{}</span>", lang, study.client_display_title)
