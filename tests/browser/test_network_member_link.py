"""A network member opens the one-time link, answers every question and sends, in Chromium.

This is the flow that a green suite once let through broken: the page's referrer policy
made the browser post with ``Origin: null`` and every send answered 403.
"""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from tests.measurements.factories import make_link
from werkplaats.measurements.models import Assessment


def test_a_network_member_answers_and_sends(page: Any, world: Any, live_url: Any) -> None:
    token = make_link(world.trajectory_a)
    page.goto(live_url("measurements:link", token=token))
    questions = page.locator("fieldset.q")
    total = questions.count()
    assert total > 0
    for index in range(total):
        fieldset = questions.nth(index)
        with page.expect_response(lambda r: "/answer" in r.url and r.request.method == "POST"):
            fieldset.locator("input[type=radio]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Mijn antwoorden versturen").click()
    assert "Dank u" in page.locator("h1").inner_text()
    assessment = Assessment.objects.get(informant="network_member")
    assert assessment.status == Assessment.Status.COMPLETE
    assert assessment.answers.count() == total


def test_save_for_later_and_switch_language_on_the_link(
    page: Any, world: Any, live_url: Any
) -> None:
    token = make_link(world.trajectory_a)
    page.goto(live_url("measurements:link", token=token))
    with page.expect_navigation():
        page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.get_by_role("button", name="Save and finish later").click()
    assert page.url.startswith(live_url("/"))


def test_a_professional_logs_in_and_sees_the_caseload(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:caseload"))
    assert page.get_by_text(world.trajectory_a.client.pseudonym).count() >= 1


def test_the_professional_makes_the_link_and_the_box_selects_it_for_copying(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    """The page that shows the new link once had an ``onfocus`` attribute, which the
    Content Security Policy blocks (the ``page`` fixture fails on the violation)."""
    log_in(page, live_server, "alice")
    page.goto(live_url("measurements:trajectory", pk=world.trajectory_a.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Een link maken").first.click()
    box = page.get_by_role("textbox", name="Link")
    url = box.input_value()
    assert "/q/" in url
    box.focus()
    assert (
        page.evaluate(
            "window.getSelection().toString() || document.activeElement.value.substring(document.activeElement.selectionStart, document.activeElement.selectionEnd)"
        )
        == url
    )
    assert Assessment.objects.filter(informant="network_member").count() == 1
