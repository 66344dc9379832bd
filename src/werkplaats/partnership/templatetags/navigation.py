"""The main menu of every page, rendered once per set of roles and language.

What the menu holds depends on the user's roles only (its links have no arguments), so
each process keeps the rendered menu per (roles, language, URL prefix) instead of
resolving its links and translating its labels on every request::

    {% load navigation %}{% main_menu %}

Nothing personal is in it: the user's name (the logout button) stays in base.html.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, override

register = template.Library()


@lru_cache(maxsize=256)
def _menu(roles: frozenset[str], staff: bool, language: str, prefix: str) -> SafeString:
    with override(language):
        html = render_to_string(
            "partnership/main_menu.html", {"roles": roles, "staff": staff}
        ).strip()
    return mark_safe(html)  # noqa: S308 - our own template, no user input


@register.simple_tag(takes_context=True)
def main_menu(context: dict[str, Any]) -> SafeString:
    user = context["user"]
    return _menu(
        frozenset(user.roles()), user.has_staff_role(), get_language() or "", get_script_prefix()
    )
