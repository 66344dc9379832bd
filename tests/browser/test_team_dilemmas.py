"""A team manager opens the team's dilemmas from the team page, downloads the CSV for a
moral case deliberation and opens the page to print: no case details anywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.conftest import log_in
from tests.casework.factories import DilemmaFactory
from werkplaats.casework.models import Dilemma


def test_a_team_manager_prepares_a_deliberation(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    DilemmaFactory(
        trajectory=world.trajectory_a,
        date=dt.date(2026, 3, 17),
        tension=Dilemma.Tension.CONFIDENTIALITY_SAFETY,
        description="Klaas vertelde over zijn buurman",
        values_at_stake="vertrouwen; veiligheid van derden",
        options_weighed="melden of niet",
        choice="in gesprek eerst",
        reasons="relatie behouden",
        moral_case_deliberation=True,
        recorded_by=world.alice,
    )
    log_in(page, live_server, "carol")
    page.goto(live_url("partnership:team", pk=world.team_a.pk))
    page.get_by_role("link", name="Dilemma's voor moreel beraad").click()
    main = page.locator("main")
    assert "vertrouwen; veiligheid van derden" in main.inner_text()
    assert "2026-03" in main.inner_text()
    for detail in ("Klaas", "buurman", world.client_a.pseudonym, "2026-03-17"):
        assert detail not in main.inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="Downloaden als CSV").click()
    text = open(info.value.path(), encoding="utf-8").read()
    assert "in gesprek eerst" in text and "Klaas" not in text and "buurman" not in text
    page.get_by_role("link", name="Pagina om af te drukken voor een moreel beraad").click()
    assert page.get_by_role("heading", name="Dilemma's voor moreel beraad").count() == 1
    assert "D1" in page.locator("main").inner_text()
