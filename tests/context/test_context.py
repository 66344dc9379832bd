"""Context as measurements: a team's scan and a municipality's year feed a study's plan
as context moderators, at the value that held during each trajectory; profiles are
disclosure-controlled."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.partnership.factories import MembershipFactory, UserFactory
from tests.web import logged_in
from werkplaats.context.models import ContextResponse, MunicipalityYear
from werkplaats.context.selectors import held_during
from werkplaats.insight.dataset import catalogue, study_data
from werkplaats.insight.plan import check_against, parse_plan
from werkplaats.partnership.models import Role

pytestmark = pytest.mark.django_db

ITEMS = (
    [f"v{i}" for i in range(1, 5)] + [f"r{i}" for i in range(1, 5)] + [f"n{i}" for i in range(1, 5)]
)


def _scan(client, url, value, year=2025, **extra):
    return client.post(url, {"year": year, **{f"item_{i}": value for i in ITEMS}, **extra})


def _colleague(world, name):
    user = UserFactory(username=name)
    MembershipFactory(
        user=user, organisation=world.org_a, role=Role.PROFESSIONAL, team=world.team_a
    )
    return user


def test_a_teams_context_scan_feeds_a_study_plan_as_a_context_moderator(world):
    url = reverse("context:team_scan", args=[world.team_a.pk])
    assert _scan(logged_in(world.alice, "en"), url, 4).status_code == 302
    assert _scan(logged_in(world.carol, "en"), url, 2).status_code == 302
    informants = dict(ContextResponse.objects.values_list("respondent__username", "informant"))
    assert informants == {"alice": "team_member", "carol": "manager"}
    # the catalogue (werkplaats plan variables) offers it at the context level
    variables = {v.name: v for v in catalogue(world.study_s)}
    assert variables["team_strengths_total"].level == "context"
    assert variables["team_strengths_total"].clients == 1  # Klaas, whose consent stands
    assert "organisation_strengths_room" in variables
    plan = parse_plan(
        {
            "format": "werkplaats.plan/1",
            "outcome": "gas_t",
            "moderators": {"context": ["team_strengths_total", "team_strengths_vision"]},
        }
    )
    entries = {v.name: v.entry() for v in catalogue(world.study_s)}
    problems, _warnings = check_against(plan, entries, {}, [], 1)
    assert problems == []
    data = study_data(world.study_s, plan).rows
    assert len(data) > 0
    # trajectory A started in 2025 in team A: the mean of Alice (4) and Carol (2)
    assert set(data["team_strengths_total"]) == {3.0}
    assert set(data["team_strengths_vision"]) == {3.0}


def test_the_value_that_held_during_the_trajectory():
    series = {2023: 1.0, 2024: 2.0, 2026: 5.0}
    assert held_during(series, dt.date(2025, 3, 1), None) == 2.0  # latest up to the start
    assert held_during(series, dt.date(2024, 1, 1), None) == 2.0
    assert held_during({2026: 5.0}, dt.date(2025, 3, 1), dt.date(2026, 6, 1)) == 5.0  # during
    assert held_during({2026: 5.0}, dt.date(2025, 3, 1), dt.date(2025, 9, 1)) is None  # after
    assert held_during({}, dt.date(2025, 3, 1), None) is None


def test_municipality_characteristics_per_year_feed_the_catalogue(world):
    paula = logged_in(world.paula, "en")
    url = reverse("context:municipality_year", args=[world.municipality_a.pk, 2024])
    assert (
        paula.post(url, {"budget_per_inhabitant": "412.50", "population": "52000"}).status_code
        == 302
    )
    url = reverse("context:municipality_year", args=[world.municipality_a.pk, 2026])
    assert paula.post(url, {"budget_per_inhabitant": "999"}).status_code == 302
    frame_plan = parse_plan(
        {
            "format": "werkplaats.plan/1",
            "outcome": "gas_t",
            "moderators": {"context": ["municipality_budget_per_inhabitant"]},
        }
    )
    data = study_data(world.study_s, frame_plan).rows
    assert set(data["municipality_budget_per_inhabitant"]) == {412.5}  # 2024 held in 2025
    # a stale save is refused; another municipality is out of reach
    record = MunicipalityYear.objects.get(year=2024)
    url = reverse("context:municipality_year", args=[world.municipality_a.pk, 2024])
    assert paula.post(url, {"population": "1", "version": record.version}).status_code == 302
    assert paula.post(url, {"population": "2", "version": record.version}).status_code == 409
    other = reverse("context:municipality_year", args=[world.municipality_b.pk, 2024])
    assert paula.get(other).status_code == 404


def test_bad_scan_answers_are_refused_in_both_languages(world):
    url = reverse("context:team_scan", args=[world.team_a.pk])
    for language, text in (("en", "Choose an answer"), ("nl", "Kies een antwoord")):
        response = logged_in(world.alice, language).post(url, {"year": 2025, "item_v1": "3"})
        assert response.status_code == 400
        assert text in response.content.decode()
    assert not ContextResponse.objects.exists()


def test_the_profile_shows_a_mean_only_when_enough_colleagues_answered(world):
    url = reverse("context:team_scan", args=[world.team_a.pk])
    _scan(logged_in(world.alice, "en"), url, 4)
    _scan(logged_in(world.carol, "en"), url, 4)
    page = logged_in(world.carol, "en").get(reverse("context:team", args=[world.team_a.pk]))
    assert "4.00" not in page.content.decode()  # two answers: hidden
    for name in ("piet", "fatma", "joost"):
        _scan(logged_in(_colleague(world, name), "en"), url, 4)
    page = logged_in(world.alice, "en").get(reverse("context:team", args=[world.team_a.pk]))
    assert "<strong>4.00</strong>" in page.content.decode()
    # the workplace mean would be the team's own: no other team answered, so it is hidden
    assert "workplace —" in page.content.decode()


def test_a_hidden_team_cannot_be_worked_out_from_the_workplace_mean(world):
    """Three teams in one organisation, whose admin sees all three profiles: team A has
    two respondents (hidden), B and C five each. The workplace mean is taken over B and C
    only, so (workplace x 12 - B x 5 - C x 5) / 2 no longer gives A's mean."""
    from tests.partnership.factories import TeamFactory
    from werkplaats.context.selectors import profile, unit_scores

    team_c = TeamFactory(organisation=world.org_a, name="Team C")
    team_b = TeamFactory(organisation=world.org_a, name="Team B2")
    for team, value, people in ((world.team_a, 1, 2), (team_b, 4, 5), (team_c, 2, 5)):
        for i in range(people):
            user = UserFactory(username=f"{team.name}-{i}")
            MembershipFactory(
                user=user, organisation=world.org_a, role=Role.PROFESSIONAL, team=team
            )
            _scan(logged_in(user, "en"), reverse("context:team_scan", args=[team.pk]), value)
    assert unit_scores("team", "strengths_total")[(world.team_a.pk, 2025)][1] == 2
    scales = [s for s, _label in profile("team", team_b.pk).scales]
    total = scales.index("strengths_total")
    cell_b = profile("team", team_b.pk).rows[0]["cells"][total]
    cell_a = profile("team", world.team_a.pk).rows[0]["cells"][total]
    assert cell_b["own"] == pytest.approx(4.0)
    assert cell_b["workplace"] == pytest.approx(3.0)  # (4 x 5 + 2 x 5) / 10, without A
    assert cell_a["own"] is None
    assert cell_a["workplace"] == pytest.approx(3.0)
