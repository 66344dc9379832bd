"""Dilemmas and working principles across teams: protected counts and shares for
researchers and educators, never a dilemma's text or a small group."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from tests.casework.factories import ContactFactory, DilemmaFactory, TrajectoryFactory
from tests.partnership.factories import TeamFactory
from tests.web import logged_in
from werkplaats.casework.models import WorkingPrinciple
from werkplaats.casework.practice_figures import dilemma_table, principle_figures
from werkplaats.core.models import AccessLog

pytestmark = pytest.mark.django_db

SECRET = "Mevrouw Jansen wilde niet naar de dagbesteding"


@pytest.fixture(autouse=True)
def _empty_cache():
    """The protected dilemma table is kept five minutes; each test counts its own."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _dilemmas(team, clients, tension, *, per_client=1, deliberated=False, year=2025):
    """``clients`` new clients in ``team``, each with ``per_client`` dilemmas of ``tension``;
    ``deliberated`` is one flag for all, or one per dilemma of a client."""
    flags = deliberated if isinstance(deliberated, tuple) else (deliberated,)
    for _i in range(clients):
        trajectory = TrajectoryFactory(team=team)
        for k in range(per_client):
            DilemmaFactory(
                trajectory=trajectory,
                date=dt.date(year, 3, 1 + k),
                tension=tension,
                description=SECRET,
                values_at_stake="autonomie",
                reasons="omdat",
                moral_case_deliberation=flags[k % len(flags)],
            )


def test_dilemma_counts_are_distinct_clients_suppressed_and_rounded(world):
    # clients per team (A, B, C), by kind and by whether a deliberation was held:
    #   autonomy/protection, deliberated      12   0  20   (A's 12 have three each)
    #   autonomy/protection, not deliberated  15   3  20
    #   support/control, not deliberated      25  11  14
    team_c = TeamFactory(organisation=world.org_a, name="Team C")
    _dilemmas(world.team_a, 12, "autonomy_protection", per_client=3, deliberated=True)
    _dilemmas(world.team_a, 15, "autonomy_protection")
    _dilemmas(world.team_b, 3, "autonomy_protection")
    _dilemmas(team_c, 20, "autonomy_protection", deliberated=True)
    _dilemmas(team_c, 20, "autonomy_protection")
    _dilemmas(world.team_a, 25, "support_control")
    _dilemmas(world.team_b, 11, "support_control")
    _dilemmas(team_c, 14, "support_control")
    with translation.override("en"):
        table = dilemma_table("team")
    cells = dict(table.rows)
    a, b, c = (
        table.columns.index(name)
        for name in ("Team A (Welzijn A)", "Team B (Welzijn B)", "Team C (Welzijn A)")
    )
    held = cells["autonomy vs protection: deliberated"]
    not_held = cells["autonomy vs protection: not deliberated"]
    support = cells["support vs control: not deliberated"]
    assert "support vs control: deliberated" not in cells  # nobody: no row
    assert held[-1] == 30  # 12 + 20 clients, rounded (36 + 20 dilemmas would give 55)
    assert not_held[b] is None  # 3 clients: suppressed
    assert [held[b], support[b], cells["total"][b]] == [None, None, None]  # its partners
    assert not_held[c] == 20 and support[a] == 25 and cells["total"][-1] == 120
    assert all(v is None or v % 5 == 0 for _label, values in table.rows for v in values)


def test_the_protected_table_is_kept_five_minutes(world):
    _dilemmas(world.team_a, 12, "wish_policy")
    with translation.override("en"):
        first = dict(dilemma_table("team").rows)
        _dilemmas(world.team_a, 12, "wish_policy")
        assert dict(dilemma_table("team").rows) == first  # from the cache
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=301)):
            again = dict(dilemma_table("team").rows)
    assert again["client's wish vs policy: not deliberated"][0] == 25


def test_dilemma_counts_per_year_and_organisation(world):
    # 2024: ten clients with one deliberated and one other dilemma each (counted once, as
    # deliberated), twelve with one not deliberated; 2025: ten deliberated, fifteen not
    _dilemmas(world.team_a, 10, "wish_policy", per_client=2, deliberated=(True, False), year=2024)
    _dilemmas(world.team_a, 12, "wish_policy", year=2024)
    _dilemmas(world.team_a, 10, "wish_policy", deliberated=True, year=2025)
    _dilemmas(world.team_a, 15, "wish_policy", year=2025)
    with translation.override("en"):
        by_year = dilemma_table("year")
    rows = dict(by_year.rows)
    assert by_year.columns == ["2024", "2025", "total"]
    assert rows["client's wish vs policy: deliberated"] == [10, 10, 20]
    # 12 rounded to 10; counting the ten twice would have made it 22, shown as 20
    assert rows["client's wish vs policy: not deliberated"] == [10, 15, 25]
    assert dilemma_table("organisation").columns[:1] == ["Welzijn A"]
    with pytest.raises(ValueError):
        dilemma_table("client")


@pytest.mark.parametrize("persona", ["rita", "otto"])
def test_researchers_and_educators_see_counts_but_never_a_dilemmas_text(world, persona):
    _dilemmas(world.team_a, 12, "autonomy_protection")
    for language, title in (("en", "Dilemmas across teams"), ("nl", "Dilemma's over teams heen")):
        page = logged_in(getattr(world, persona), language).get(
            reverse("casework:dilemmas_across_teams") + "?by=organisation"
        )
        assert page.status_code == 200
        html = page.content.decode()
        assert title in html
        assert SECRET not in html and "omdat" not in html
        assert world.identity_a.name not in html
    logged = AccessLog.objects.filter(
        actor_id=getattr(world, persona).pk, detail__contains="aggregates"
    )
    assert logged.count() == 2 and not logged.filter(clients__isnull=False).exists()


@pytest.mark.parametrize("persona", ["alice", "carol", "erin", "paula", "eva", "klaas"])
def test_other_roles_are_refused_the_figures_across_teams(world, persona):
    client = logged_in(getattr(world, persona), "en")
    assert client.get(reverse("casework:dilemmas_across_teams")).status_code == 403
    assert client.get(reverse("casework:working_principles")).status_code == 403


def test_working_principle_shares_hide_small_team_years_and_leave_them_out_of_the_workplace(
    world,
):
    outreach = WorkingPrinciple.objects.get(code="outreach")
    team_c = TeamFactory(organisation=world.org_a, name="Team C")

    def contacts(team, clients, with_principle):
        for i in range(clients):
            contact = ContactFactory(trajectory=TrajectoryFactory(team=team))
            if i < with_principle:
                contact.principles.add(outreach)

    contacts(world.team_a, 9, 4)  # with Klaas's contact: 4 of 10, 40 %
    contacts(world.team_b, 5, 5)  # 5 clients: hidden
    contacts(team_c, 10, 6)  # 60 %
    figures = principle_figures(outreach)
    shares = dict(figures.teams)
    assert figures.years == [2025]
    assert shares["Team A (Welzijn A)"] == [40]
    assert shares["Team B (Welzijn B)"] == [None]
    assert shares["Team C (Welzijn A)"] == [60]
    # (4 + 6) / 20: team B's five contacts, all with outreach, are left out
    assert figures.workplace == [50]
    page = logged_in(world.otto, "nl").get(
        reverse("casework:working_principles") + "?principle=outreach"
    )
    assert page.status_code == 200
    assert "Werkprincipes per team" in page.content.decode()


def test_the_home_page_links_researchers_and_educators_to_the_figures(world):
    across = reverse("casework:dilemmas_across_teams")
    teaching = reverse("stories:teaching")
    educator = logged_in(world.otto, "en").get(reverse("home")).content.decode()
    assert across in educator and teaching in educator
    researcher = logged_in(world.rita, "en").get(reverse("home")).content.decode()
    assert across in researcher and teaching not in researcher
    assert across not in logged_in(world.alice, "en").get(reverse("home")).content.decode()
