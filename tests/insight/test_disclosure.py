"""Disclosure control of the feedback pages: distinct clients, means only from 10 or more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.measurements.factories import answered_over_waves
from werkplaats.casework.models import TargetGroup
from werkplaats.insight.feedback import unit_outcomes
from werkplaats.insight.municipality import municipality_table
from werkplaats.insight.selectors import unit_feedback

pytestmark = pytest.mark.django_db

ANSWERS = {"m1": 2, "m2": 2, "m3": 3, "m4": 3, "m5": 2, "m6": 3, "m7": 2}
BETTER = {**ANSWERS, "m4": 4, "m6": 4, "m1": 1}


def _measure(trajectory, twice: bool) -> None:
    answered_over_waves(trajectory, ANSWERS, *([BETTER] if twice else []))


def _clients(world, n: int, *, measured_twice: int, hood=None, group="debt"):
    group = TargetGroup.objects.get(code=group)
    out = []
    for k in range(n):
        client = ClientFactory(neighbourhood=hood or world.hood_a)
        t = TrajectoryFactory(client=client, lead_professional=world.alice, team=world.team_a)
        t.target_groups.set([group])
        _measure(t, twice=k < measured_twice)
        out.append(t)
    return out


def _cell(table, row: str, column: str):
    names = list(table.columns)
    for name, counts, means in table.rows:
        if name == row:
            return counts[names.index(column)], means[names.index(column)]
    raise KeyError(row)


def _two_by_two(world, centrum_debt_twice: int):
    """Centrum and Oost x debt and frail elderly, 12-15 clients a cell (Klaas moves away)."""
    from tests.partnership.factories import NeighbourhoodFactory

    world.client_a.neighbourhood = world.hood_b
    world.client_a.save()
    oost = NeighbourhoodFactory(municipality=world.municipality_a, name="Oost")
    _clients(world, 12, measured_twice=centrum_debt_twice)
    _clients(world, 15, measured_twice=15, group="frail-elderly")
    _clients(world, 15, measured_twice=15, hood=oost)
    _clients(world, 15, measured_twice=15, hood=oost, group="frail-elderly")
    return municipality_table(world.municipality_a)


def test_a_mean_resting_on_one_client_is_not_shown(world):
    """Twelve clients in a cell, one of them measured twice: the count may be shown, the
    mean (that one client's exact change) may not, nor a mean it could be worked out from."""
    table = _two_by_two(world, centrum_debt_twice=1)
    debt = str(TargetGroup.objects.get(code="debt"))
    frail = str(TargetGroup.objects.get(code="frail-elderly"))
    count, mean = _cell(table, "Centrum", debt)
    assert count == 10
    assert mean is None
    # complementary: the row and the column each hide a second mean
    assert None in (_cell(table, "Centrum", frail)[1], _cell(table, "totaal", debt)[1])
    row_means = [_cell(table, "Centrum", c)[1] for c in (debt, frail, "totaal")]
    column_means = [_cell(table, r, debt)[1] for r in ("Centrum", "Oost", "totaal")]
    assert row_means.count(None) >= 2 and column_means.count(None) >= 2


def test_a_mean_of_ten_clients_is_shown(world):
    table = _two_by_two(world, centrum_debt_twice=11)
    debt = str(TargetGroup.objects.get(code="debt"))
    _count, mean = _cell(table, "Centrum", debt)
    assert mean is not None


def test_counts_are_of_distinct_clients_not_trajectories(world):
    """One client with twelve trajectories is one client: hidden, not a published 10."""
    group = TargetGroup.objects.get(code="debt")
    client = ClientFactory(neighbourhood=world.hood_a)
    for k in range(12):
        t = TrajectoryFactory(
            client=client,
            lead_professional=world.alice,
            team=world.team_a,
            start=dt.date(2024, 1, 1) + dt.timedelta(days=k),
        )
        t.target_groups.set([group])
        _measure(t, twice=True)
    table = municipality_table(world.municipality_a)
    count, mean = _cell(table, "Centrum", str(group))
    assert count is None and mean is None


def test_team_feedback_hides_figures_of_fewer_than_ten_clients(world):
    unit, _whole = unit_feedback(world.team_a.trajectories.all())
    # the persona world's team has one client: every figure rests on fewer than 10
    assert unit["trajectories"] is None
    assert unit["contacts_per_trajectory"] is None
    assert unit["measured_share"] is None
    assert unit["principles"] == {}
    _measure(world.trajectory_a, twice=True)
    [change] = unit_outcomes(world.team_a.trajectories.all(), world.org_a)
    assert change.mean_change is None and change.n is None


def test_team_feedback_shows_figures_of_ten_clients_or_more(world):
    _clients(world, 11, measured_twice=11)
    unit, _whole = unit_feedback(world.team_a.trajectories.all())
    assert unit["trajectories"] is not None and unit["trajectories"] % 5 == 0
    assert unit["measured_share"] is not None
    [change] = unit_outcomes(world.team_a.trajectories.all(), world.org_a)
    assert change.mean_change is not None and change.n is not None and change.n >= 10


def test_the_organisation_page_hides_small_figures(world):
    _measure(world.trajectory_a, twice=True)
    c = Client()
    c.force_login(world.erin)
    page = c.get(f"/insight/organisations/{world.org_a.pk}/feedback/").content.decode()
    assert "minder dan 10" in page
