"""The warning before the idle timeout, in Chromium, with a timeout of seconds: a
professional typing a contact note is warned, stays logged in and loses nothing; if the
session ends anyway, the typed note comes back after logging in again."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from tests.personas import PASSWORD
from werkplaats.casework.models import Contact

NOTE = "Samen boodschappen gedaan; volgende week de bus proberen."


def test_the_warning_lets_a_professional_stay_logged_in_without_losing_the_note(
    page: Any, world: Any, live_server: Any, live_url: Any, settings: Any
) -> None:
    # A loaded test machine is slow: seconds, but not too few.
    settings.SESSION_IDLE_SECONDS = 30
    settings.SESSION_WARN_SECONDS = 10
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:contact_new", pk=world.trajectory_a.pk))
    page.fill("input[name=note]", NOTE)
    warning = page.locator("#session-warning")
    warning.wait_for(state="visible", timeout=25_000)
    assert "uitgelogd" in warning.inner_text()
    page.get_by_role("button", name="Ingelogd blijven").click()
    warning.wait_for(state="hidden")
    page.wait_for_timeout(15_000)  # past the end the first warning announced
    page.get_by_role("button", name="Opslaan", exact=True).click()
    page.wait_for_load_state("load")
    assert "/login/" not in page.url
    contact = Contact.objects.filter(trajectory=world.trajectory_a).latest("pk")
    assert contact.note == NOTE


def test_when_the_session_ends_anyway_the_typed_note_comes_back_after_logging_in(
    page: Any, world: Any, live_server: Any, live_url: Any, settings: Any
) -> None:
    settings.SESSION_IDLE_SECONDS = 15
    settings.SESSION_WARN_SECONDS = 10
    log_in(page, live_server, "alice")
    form_url = live_url("casework:contact_new", pk=world.trajectory_a.pk)
    page.goto(form_url)
    page.fill("input[name=note]", NOTE)
    page.get_by_text("Uw sessie is afgelopen").wait_for(timeout=30_000)
    assert not page.get_by_role("button", name="Ingelogd blijven").is_visible()
    page.reload()  # the server ends the session: to the login page, with ?next=
    assert "/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert page.url == form_url
    assert page.input_value("input[name=note]") == NOTE
    assert (
        page.get_by_text("is teruggezet").count() == 1
        or page.get_by_text("opnieuw ingevuld").count() == 1
    )
