"""A client does the three things that matter with the keyboard only, in Chromium:
answers a whole questionnaire, stops taking part in a study, and downloads their data.
Also: chart text on the client's page is at least as large as body text at 320 px.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.conftest import log_in
from tests.measurements.factories import answer_all, open_assessment
from werkplaats.measurements import services
from werkplaats.measurements.models import Assessment
from werkplaats.programme.models import Consent


def _tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never received focus with Tab")


def test_a_client_answers_a_whole_questionnaire_with_the_keyboard(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    assessment = open_assessment(world.trajectory_a, "client")
    log_in(page, live_server, "klaas")
    page.goto(live_url("measurements:fill", pk=assessment.pk) + "?one=1")
    total = len(assessment.version.parsed.items)
    for number in range(1, total + 1):
        assert page.title().startswith(f"Vraag {number} van {total}")
        # The question has focus when it opens: no Tab needed.
        assert page.evaluate("document.activeElement.type") == "radio"
        # An arrow key changes the answer and saves it, but does not move on.
        with page.expect_response(lambda r: "/answer/" in r.url):
            page.keyboard.press("ArrowDown")
        assert page.title().startswith(f"Vraag {number} van {total}")
        if number < total:
            with page.expect_navigation():
                page.keyboard.press("Enter")
    _tab_to(page, "button[name=send]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Dank u" in page.locator("h1").inner_text()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.COMPLETE


def test_a_client_stops_taking_part_with_the_keyboard(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "klaas")
    page.goto(live_url("casework:me"))
    _tab_to(page, f"a[href$='/consents/{world.consent_a.pk}/withdraw/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Stoppen met meedoen" in page.locator("h1").inner_text()
    assert "Uw hulp en ondersteuning gaan gewoon door" in page.content()
    _tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Consent.objects.get(pk=world.consent_a.pk).withdrawn_at is not None
    assert "niet meer mee" in page.locator("#result").inner_text()
    # ... and can say yes again.
    _tab_to(page, "main form button.secondary[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Consent.objects.filter(
        client=world.client_a, study=world.study_s, withdrawn_at__isnull=True
    ).exists()


def test_a_client_downloads_their_data_with_the_keyboard(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "klaas")
    page.goto(live_url("casework:me"))
    _tab_to(page, "a[href$='/me/my-data/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Mijn gegevens"
    assert "Wie heeft mijn dossier bekeken" in page.content()
    _tab_to(page, "a[href$='/me/my-data.pdf']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("mijn-gegevens")
    assert download.value.suggested_filename.endswith(".pdf")
    _tab_to(page, "a[href$='/me/data/']")
    with page.expect_download() as computer:
        page.keyboard.press("Enter")
    assert computer.value.suggested_filename.endswith(".json")


def test_chart_text_on_a_phone_is_as_large_as_body_text(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    start = world.trajectory_a.start
    for days, wave in ((0, "intake"), (90, "m03")):
        assessment = open_assessment(
            world.trajectory_a, "client", wave=wave, wave_date=start + dt.timedelta(days=days)
        )
        services.assessment_complete(assessment=answer_all(assessment), user=None)
    page.set_viewport_size({"width": 320, "height": 720})
    log_in(page, live_server, "klaas")
    page.goto(live_url("casework:me"))
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll('svg.score-chart text')).map(t => {
             const m = t.getScreenCTM();
             return parseFloat(getComputedStyle(t).fontSize) * m.a; })"""
    )
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert sizes, "the client's page shows no chart"
    assert min(sizes) >= body - 0.5, (min(sizes), body)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert "van de" in page.locator(".score-sentences").inner_text()
