"""The professional's home is a worklist: filtered in Chromium, then the caseload search."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.browser.conftest import log_in
from tests.casework.factories import ClientIdentityFactory, TrajectoryFactory


def test_a_professional_filters_the_worklist_and_searches_the_caseload(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    today = timezone.localdate()
    # One trajectory just started (its intake is due), one closed long ago (nothing to do).
    fresh = TrajectoryFactory(
        lead_professional=world.alice, team=world.team_a, start=today - dt.timedelta(days=3)
    )
    ClientIdentityFactory(client=fresh.client, name="Henk de Boer")
    TrajectoryFactory(
        lead_professional=world.alice,
        team=world.team_a,
        start=today - dt.timedelta(days=800),
        end=today - dt.timedelta(days=420),
        status="closed",
    )
    log_in(page, live_server, "alice")
    worklist = page.locator("#worklist")
    assert worklist.get_by_role("link", name=fresh.client.pseudonym).count() >= 1
    page.select_option("select[name=when]", "week")
    page.get_by_role("button", name="Tonen").click()
    assert "when=week" in page.url
    rows = page.locator("#worklist tbody tr")
    assert rows.count() >= 1
    assert all(rows.nth(i).get_attribute("class") == "row-due" for i in range(rows.count()))

    page.goto(live_url("casework:caseload"))
    page.fill("input[name=q]", "henk")
    page.get_by_role("button", name="Zoeken").click()
    found = page.locator("#caseload tbody tr")
    assert found.count() == 1
    assert found.first.get_attribute("data-pseudonym") == fresh.client.pseudonym
