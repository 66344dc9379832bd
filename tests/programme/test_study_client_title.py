"""A client reads a study's plain title, never the research title (issue 10: no jargon)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.programme.test_study_form import _post
from tests.web import logged_in
from werkplaats.programme.models import Study

pytestmark = pytest.mark.django_db

RESEARCH_TITLE = "Empowerment in trajecten van kwetsbare burgers"


def test_the_client_reads_the_plain_title_on_their_page_and_when_stopping(world: Any) -> None:
    study = world.study_s
    study.title = RESEARCH_TITLE
    study.client_title = "Onderzoek naar wat helpt"
    study.client_title_en = "Research into what helps"
    study.save()
    for language, plain in (("nl", "Onderzoek naar wat helpt"), ("en", "Research into what helps")):
        client = logged_in(world.klaas, language)
        page = client.get(reverse("casework:me")).content.decode()
        assert plain in page and RESEARCH_TITLE not in page
        stop = client.get(reverse("programme:consent_withdraw", args=[world.consent_a.pk]))
        text = stop.content.decode()
        assert stop.status_code == 200 and plain in text and RESEARCH_TITLE not in text


def test_without_a_plain_title_the_research_title_stays_and_english_falls_back_to_dutch() -> None:
    study = Study(title=RESEARCH_TITLE, title_en="Empowerment of vulnerable citizens")
    with translation.override("en"):
        assert study.client_display_title == "Empowerment of vulnerable citizens"
    study.client_title = "Welke hulp werkt?"
    with translation.override("en"):
        # A plain Dutch title beats an English research title, and is marked as Dutch.
        assert study.client_display_title == "Welke hulp werkt?"
        html = Template("{% load content %}{% client_study_title s %}").render(
            Context({"s": study})
        )
        assert html == '<span lang="nl">Welke hulp werkt?</span>'
    with translation.override("nl"):
        html = Template("{% load content %}{% client_study_title s %}").render(
            Context({"s": study})
        )
        assert html == "<span>Welke hulp werkt?</span>"


def test_a_researcher_sets_the_plain_title_in_the_study_form(world: Any) -> None:
    response = logged_in(world.ruben, "nl").post(
        reverse("programme:study_new"),
        _post(world, client_title_nl="Wat helpt buren?", client_title_en="What helps neighbours?"),
    )
    assert response.status_code == 302
    study = Study.objects.get(slug="buren-als-bondgenoot")
    assert (study.client_title, study.client_title_en) == (
        "Wat helpt buren?",
        "What helps neighbours?",
    )
    form = (
        logged_in(world.ruben, "nl")
        .get(reverse("programme:study_edit", args=[study.pk]))
        .content.decode()
    )
    assert 'value="Wat helpt buren?"' in form
