"""What people wrote carries its language when the page is in another one (WCAG 3.1.2)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _page(user, name: str, language: str) -> str:
    browser = Client()
    browser.force_login(user)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return browser.get(reverse(name)).content.decode()


def test_an_english_page_marks_the_dutch_goals_network_and_study(world) -> None:
    body = _page(world.klaas, "casework:me", "en")
    assert '<html lang="en"' in body
    assert f'<h3 lang="nl">“{world.goal_a.text}”</h3>' in body
    assert '<strong lang="nl">Dochter</strong>' in body
    # The study has no English title: its Dutch one is marked.
    assert '<span lang="nl">Studie S</span>' in body


def test_an_english_title_is_used_and_not_marked(world) -> None:
    world.study_s.title_en = "Study S"
    world.study_s.save()
    body = _page(world.klaas, "casework:me", "en")
    assert "<span>Study S</span>" in body and "Studie S" not in body


def test_a_dutch_page_marks_nothing(world) -> None:
    body = _page(world.klaas, "casework:me", "nl")
    assert 'lang="nl">' not in body.split("<body", 1)[1]
