"""The main menu: each role's links, in the reader's language, whoever asked before.

The menu is rendered once per set of roles and language in each process
(partnership.templatetags.navigation); a menu kept for one user must never reach a user
with other roles or another language.
"""

from __future__ import annotations

import re

from django.urls import reverse

from tests.partnership.factories import MembershipFactory
from tests.text import found
from tests.web import logged_in
from werkplaats.partnership.models import Role
from werkplaats.partnership.templatetags import navigation


def _menu(user, language: str | None = None) -> str:
    page = logged_in(user, language).get(reverse("operations:tasks")).content.decode()
    return found(r'(<nav aria-label="[^"]*">.*?</nav>)', page, flags=re.DOTALL)


def test_each_role_gets_its_own_menu_whoever_asked_before(world):
    navigation._menu.cache_clear()
    caseload, me, programme = (
        reverse("casework:caseload"),
        reverse("casework:me"),
        reverse("programme:map"),
    )
    for _round in range(2):  # the second round reads the kept menus
        professional = _menu(world.alice)
        client = _menu(world.klaas)
        researcher = _menu(world.rita)
        assert caseload in professional and programme in professional and me not in professional
        assert me in client and caseload not in client and programme not in client
        assert programme in researcher and caseload not in researcher and me not in researcher
    assert navigation._menu.cache_info().hits >= 3


def test_the_menu_follows_the_reader_language_and_a_role_added(world):
    navigation._menu.cache_clear()
    assert ">Methods<" in _menu(world.alice, "en")
    dutch = _menu(world.alice, "nl")
    assert ">Methoden<" in dutch and ">Methods<" not in dutch
    assert reverse("casework:me") not in _menu(world.alice)
    MembershipFactory(user=world.alice, organisation=world.org_a, role=Role.CLIENT)
    assert reverse("casework:me") in _menu(world.alice)  # the next request's roles
