"""Dialogue sessions in Chromium: an invited experience expert opens the session from their
home page, reads the finding and adds an interpretation; a professional shares a dilemma
anonymised and proposes it, the session's researcher puts it on the table, and the
expert reads it without the case; an educator reads the figures across teams and the
teaching material."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache

from tests.browser.conftest import log_in
from werkplaats.casework.models import Dilemma
from werkplaats.programme.models import StudyParticipation
from werkplaats.stories.models import Interpretation, SessionDilemma, SharedDilemma


def _switch(page: Any, live_server: Any, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, live_server, username)


def test_an_invited_experience_expert_reads_the_session_and_adds_an_interpretation(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "eva")
    page.locator("#my-sessions").get_by_role("link", name="Kruisen van kennis").click()
    assert page.url == live_url("stories:dialogue", pk=world.dialogue_a.pk)
    main = page.locator("main")
    assert "Buren maken het verschil." in main.inner_text()
    page.select_option("select[name=finding]", label="Buren maken het verschil.")
    page.get_by_label("Je interpretatie").fill("Buren helpen, maar niet iedereen heeft ze.")
    page.get_by_role("button", name="Voeg je interpretatie toe").click()
    assert page.url == live_url("stories:dialogue", pk=world.dialogue_a.pk)
    assert "Buren helpen, maar niet iedereen heeft ze." in page.locator("#findings").inner_text()
    added = Interpretation.objects.get()
    assert (added.author, added.finding) == (world.eva, world.finding_a)
    # the researcher sees it too; Otto, not invited, gets no access
    _switch(page, live_server, "rita")
    page.goto(live_url("stories:dialogue", pk=world.dialogue_a.pk))
    assert "niet iedereen heeft ze" in page.locator("#findings").inner_text()
    _switch(page, live_server, "otto")
    response = page.goto(live_url("stories:dialogue", pk=world.dialogue_a.pk))
    assert response is not None and response.status == 404


def test_a_dilemma_goes_anonymised_from_the_trajectory_to_the_session_table(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    Dilemma.objects.create(
        trajectory=world.trajectory_a,
        date=dt.date(2026, 3, 17),
        tension=Dilemma.Tension.AUTONOMY_PROTECTION,
        description="Hij wilde 's nachts alleen naar huis lopen",
        values_at_stake="Klaas Bakker wil zelf beslissen",
        options_weighed="meelopen of laten gaan",
        choice="laten gaan met telefoonafspraak",
        reasons="vertrouwen opbouwen",
        recorded_by=world.alice,
    )
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:trajectory", pk=world.trajectory_a.pk))
    page.get_by_role("link", name="Geanonimiseerd delen (dialoogsessie, onderwijs)").click()
    values = page.locator("textarea[name=values_at_stake]")
    assert values.input_value() == "[NAAM 1] wil zelf beslissen"  # the name masked already
    page.get_by_label("Lesmateriaal: docenten mogen").check()
    page.get_by_role("button", name="Geanonimiseerde versie opslaan").click()
    assert SharedDilemma.objects.get().teaching
    page.select_option("select[name=session]", index=1)
    page.get_by_role("button", name="Voorstellen", exact=True).click()
    assert "voorgesteld" in page.locator("#dilemma-sessions").inner_text()

    _switch(page, live_server, "rita")
    page.goto(live_url("stories:dialogue", pk=world.dialogue_a.pk))
    assert "telefoonafspraak" in page.locator("#proposed-dilemmas").inner_text()
    page.get_by_role("button", name="Op tafel leggen").click()
    assert SessionDilemma.objects.get().status == "linked"
    assert "telefoonafspraak" in page.locator("#linked-dilemmas").inner_text()

    _switch(page, live_server, "eva")
    page.goto(live_url("stories:dialogue", pk=world.dialogue_a.pk))
    table = page.locator("#linked-dilemmas").inner_text()
    assert "[NAAM 1] wil zelf beslissen" in table and "2026-03" in table
    main = page.locator("main").inner_text()
    for detail in ("Klaas", "'s nachts", "2026-03-17", world.client_a.pseudonym):
        assert detail not in main
    assert page.locator("#proposed-dilemmas").count() == 0

    cache.clear()  # the figures across teams are kept five minutes
    _switch(page, live_server, "otto")
    page.get_by_role("link", name="Lesmateriaal").click()
    assert "[NAAM 1] wil zelf beslissen" in page.locator("main").inner_text()
    page.goto(live_url("home"))
    page.get_by_role("link", name="Dilemma's over teams heen").click()
    page.select_option("select[name=by]", "year")
    page.get_by_role("button", name="Tonen").click()
    assert page.url.endswith("?by=year")
    # one client: far under 10, so nothing but suppressed cells
    assert "autonomie" in page.locator("main table").first.inner_text()
    assert "telefoonafspraak" not in page.locator("main").inner_text()
