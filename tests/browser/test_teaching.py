"""Teaching material in Chromium: the professional records a client's consent for teaching,
the researcher offers the client's anonymised story, the educator reads it, and the
client's withdrawal takes it off the educator's page; a dialogue session's researcher
marks a dilemma on the table as teaching material."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from werkplaats.programme.models import Consent, StudyParticipation
from werkplaats.stories.models import SharedDilemma, SharedVersion
from werkplaats.stories.services import dilemmas as dilemma_services

ANONYMISED = "[NAAM 1] liep elke ochtend naar het buurthuis en kreeg zo weer moed."


# Recording a consent writes its PDF; on a loaded machine that takes longer than
# Playwright's default 15 s.
SLOW = 120_000


def _switch(page: Any, live_server: Any, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, live_server, username)


def test_a_consented_anonymised_story_reaches_the_educator_until_the_client_withdraws(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    SharedVersion.objects.filter(pk=world.shared_a.pk).update(text=ANONYMISED)
    page.set_default_timeout(SLOW)
    page.set_default_navigation_timeout(SLOW)
    # Alice records Klaas's consent for teaching from his trajectory page
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:trajectory", pk=world.trajectory_a.pk))
    page.get_by_role("link", name="Toestemming voor het onderwijs").click()
    assert "Studenten leren" in page.locator("blockquote").inner_text()
    page.get_by_label("De cliënt heeft deze tekst gelezen (of gehoord) en stemt in.").check()
    page.get_by_role("button", name="Toestemming vastleggen").click()
    assert page.url == live_url("casework:trajectory", pk=world.trajectory_a.pk)
    consent = Consent.objects.get(client=world.client_a, purpose="teaching")
    assert consent.text is not None and consent.document

    # Rita offers the anonymised version of Klaas's story
    _switch(page, live_server, "rita")
    page.goto(live_url("stories:source", pk=world.source_a.pk))
    page.get_by_role("button", name="Aanbieden als lesmateriaal").click()
    assert "aangeboden als lesmateriaal" in page.locator("main").inner_text()

    # Otto reads it, anonymised, beside the dilemmas
    _switch(page, live_server, "otto")
    page.goto(live_url("stories:teaching"))
    stories = page.locator("#teaching-stories")
    assert ANONYMISED in stories.inner_text()
    for detail in ("Klaas", world.client_a.pseudonym, world.source_a.title):
        assert detail not in page.locator("main").inner_text()

    # Klaas stops it on his own page
    _switch(page, live_server, "klaas")
    page.goto(live_url("casework:me"))
    page.get_by_role("link", name="Stoppen met mijn verhalen in het onderwijs").click()
    page.get_by_role("button", name="Ja, stop met mijn verhalen in het onderwijs").click()
    assert (
        "Uw verhalen worden niet meer gebruikt in het onderwijs"
        in page.locator("main").inner_text()
        or "niet meer gebruikt in het onderwijs" in page.content()
    )
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None

    # gone from Otto's page at once
    _switch(page, live_server, "otto")
    page.goto(live_url("stories:teaching"))
    assert ANONYMISED not in page.locator("main").inner_text()
    assert (
        "Er zijn nog geen verhalen als lesmateriaal aangeboden."
        in page.locator("#teaching-stories").inner_text()
    )


def test_a_sessions_researcher_marks_a_dilemma_on_the_table_as_teaching_material(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    from tests.casework.factories import DilemmaFactory

    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    dilemma = DilemmaFactory(trajectory=world.trajectory_a, recorded_by=world.alice)
    shared = dilemma_services.shared_dilemma_save(
        dilemma=dilemma,
        user=world.alice,
        expected_version=None,
        values_at_stake="rust en veiligheid",
        options_weighed="wachten of ingrijpen",
        choice="samen een plan gemaakt met de buurvrouw erbij",
        reasons="vertrouwen",
        teaching=False,
    )
    link = dilemma_services.dilemma_propose(
        shared=shared, session=world.dialogue_a, user=world.alice
    )
    dilemma_services.dilemma_decide(link=link, user=world.rita, accept=True)
    page.set_default_timeout(SLOW)
    page.set_default_navigation_timeout(SLOW)

    log_in(page, live_server, "otto")
    page.goto(live_url("stories:teaching"))
    assert "samen een plan gemaakt" not in page.locator("main").inner_text()

    _switch(page, live_server, "rita")
    page.goto(live_url("stories:dialogue", pk=world.dialogue_a.pk))
    page.locator("#linked-dilemmas").get_by_role("button", name="Markeren als lesmateriaal").click()
    assert SharedDilemma.objects.get(pk=shared.pk).teaching_by == world.rita
    assert "Lesmateriaal." in page.locator("#linked-dilemmas").inner_text()

    _switch(page, live_server, "otto")
    page.goto(live_url("stories:teaching"))
    assert "samen een plan gemaakt met de buurvrouw erbij" in page.locator("main").inner_text()
