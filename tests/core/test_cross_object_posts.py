"""Cross-object POSTs, as an attacker with an account would send them.

For every page of the access matrix that some persona may open, the forms on it (as that
persona sees them, with their values filled in) are posted by every persona who may not
open it: a professional of another organisation, a researcher not on the study, a client
about another client, and so on. Each post must be refused (403 or 404; 405 where the
URL takes no post) and nothing may be written. The count of posts and refusals is
printed (``-s``) for the security notes.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from tests.core.test_access_matrix import MATRIX
from tests.personas import PERSONAS

# Written on every request, refused or not: the access log, sessions, login throttling.
NOT_DATA = {
    "core.accesslog",
    "core.accesslogclient",
    "core.accessloghead",
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "partnership.logindelay",
}


class _Forms(HTMLParser):
    """The post forms of a page: (action, fields with the values the page shows)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._open: dict[str, str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._open = {}
            self.forms.append((a.get("action", ""), self._open))
        elif self._open is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            if kind == "file":
                return
            self._open.setdefault(a["name"], a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select and self._select not in self._open:
            self._open[self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._open[a["name"]] = ""

    def handle_data(self, data: str) -> None:
        if self._open is not None and self._textarea:
            self._open[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _allowed(name: str, persona: str) -> bool:
    """Whether any row of the matrix lets this persona use this URL name (a 400 there is
    an empty post that got past the access check to the form's validation)."""
    return any(r.name == name and r.expect.get(persona, 403) not in {403, 404} for r in MATRIX)


def _data_rows() -> dict[str, int]:
    return {
        m._meta.label_lower: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.label_lower not in NOT_DATA and not m._meta.proxy
    }


@pytest.mark.django_db
def test_no_cross_object_post_gets_through(world) -> None:
    owners = Client(HTTP_ACCEPT_LANGUAGE="en")
    posts: list[tuple[str, str, str, dict[str, str]]] = []
    for row in MATRIX:
        if row.method != "get":
            continue
        owner = next((p for p, code in row.expect.items() if code == 200), None)
        if owner is None:
            continue
        url = reverse(row.name, kwargs=row.kwargs(world) or None)
        owners.force_login(getattr(world, owner))
        page = owners.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            target = urlsplit(action).path or url
            try:
                name = resolve(target).view_name
            except Resolver404:
                continue
            for attacker in PERSONAS:
                if not _allowed(name, attacker) and attacker != owner:
                    posts.append((attacker, target, name, dict(fields)))
    before = _data_rows()
    through = []
    attackers = Client(HTTP_ACCEPT_LANGUAGE="en")
    for attacker, target, name, fields in posts:
        attackers.force_login(getattr(world, attacker))
        fields.pop("csrfmiddlewaretoken", None)
        status = attackers.post(target, fields).status_code
        if status not in {403, 404, 405}:
            through.append((attacker, name, target, status))
    after = _data_rows()
    written = {k: after[k] - before[k] for k in before if after[k] != before[k]}
    print(f"\n{len(posts)} cross-object posts, {len(through)} not refused, rows written: {written}")
    for t in through:
        print("  not refused:", *t)
    assert len(posts) > 200
    assert through == []
    assert written == {}
