"""A client adds a second household member to a repeat group, in Chromium: each answer
is saved as it is given, the second instance asks its own conditional question, and
removing the first instance moves the second up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import log_in
from tests.measurements.factories import open_assessment
from werkplaats.instruments import services as instrument_services

ROSTER = Path(__file__).parents[1] / "instruments" / "files" / "xlsform_household_roster.csv"


def test_a_client_adds_a_second_household_member(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    instrument_services.definitions_import(
        content=ROSTER.read_bytes(), filename="roster.csv", language="en"
    )
    assessment = open_assessment(world.trajectory_a, "client", instrument="household_roster")
    log_in(page, live_server, "klaas")
    page.goto(live_url("measurements:fill", pk=assessment.pk))
    with page.expect_response(lambda r: "/answer/" in r.url):
        page.fill("input[name=member_name]", "Anna")
        page.locator("input[name=member_name]").blur()
    with page.expect_response(lambda r: "/answer/" in r.url):
        page.fill("input[name=member_age]", "41")
        page.locator("input[name=member_age]").blur()
    # school is asked for children only
    assert page.locator('[id="q-at_school"]').is_hidden()
    with page.expect_navigation():
        page.click("button[name=add]")
    assert page.locator("text=Lid van het huishouden 2").is_visible()
    with page.expect_response(lambda r: "/answer/" in r.url):
        page.fill('input[name="member_name#2"]', "Bo")
        page.locator('input[name="member_name#2"]').blur()
    with page.expect_response(lambda r: "/answer/" in r.url):
        page.fill('input[name="member_age#2"]', "9")
        page.locator('input[name="member_age#2"]').blur()
    # the page applies the branching after it has read the answer's reply, a moment after
    # the response arrives: wait for it (up to 5 s) instead of looking once
    page.locator('[id="q-at_school#2"]').wait_for(state="visible", timeout=5000)
    answers = assessment.answer_map()
    assert answers["member_name"] == "Anna" and answers["member_name#2"] == "Bo"
    assert answers["member_age#2"] == 9
    page.reload()
    assert page.locator('input[name="member_name#2"]').input_value() == "Bo"
    with page.expect_navigation():
        page.click('button[name=remove][value="member#1"]')
    answers = assessment.answer_map()
    assert answers["member_name"] == "Bo" and "member_name#2" not in answers
