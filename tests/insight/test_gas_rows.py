"""The analysis data's GAS T-scores follow the trajectory page's rule (``stats.gas.gas_at``):
goals set by a date, each at its latest level by then (an unscored one at its starting
level); a goal added later never changes an earlier T-score."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.programme.factories import ConsentFactory
from werkplaats.casework.models import Goal, GoalScore
from werkplaats.insight.outcomes import gas_last_per_trajectory, measurements
from werkplaats.insight.plan import Outcome
from werkplaats.measurements.gas import gas_points
from werkplaats.stats.gas import gas_t_score

pytestmark = pytest.mark.django_db
START = dt.date(2024, 1, 8)


def _goal(trajectory, created: dt.date, baseline: int, weight: int = 1) -> Goal:
    return Goal.objects.create(
        trajectory=trajectory,
        text="doel",
        level_minus2="-2",
        level_minus1="-1",
        level_0="0",
        level_plus1="+1",
        level_plus2="+2",
        baseline=baseline,
        weight=weight,
        created=created,
    )


def test_the_analysis_counts_the_goals_set_by_each_date_as_the_trajectory_page_does(
    world,
) -> None:
    client = ClientFactory(neighbourhood=world.hood_a)
    t = TrajectoryFactory(client=client, lead_professional=world.alice, team=world.team_a)
    ConsentFactory(client=client, study=world.study_s, recorded_by=world.alice)
    first = _goal(t, START, -1, weight=2)
    _goal(t, START, -2)  # never scored: counts at its starting level
    later = _goal(t, START + dt.timedelta(days=120), 0)
    day1, day2 = START + dt.timedelta(days=90), START + dt.timedelta(days=180)
    GoalScore.objects.create(goal=first, date=day1, level=1, recorded_by=world.alice)
    GoalScore.objects.create(goal=later, date=day2, level=2, recorded_by=world.alice)

    rows = measurements(world.study_s, Outcome("gas_t")).sort_values("wave_date")
    got = rows[rows["trajectory_id"] == t.pk]
    assert list(got["wave_date"]) == [day1, day2]
    # day 90: the two goals set by then (the later goal does not exist yet), the unscored
    # one at -2; before, only the scored goal counted (60.0)
    assert got["score"].iloc[0] == pytest.approx(gas_t_score([1, -2], [2, 1]))
    assert got["score"].iloc[1] == pytest.approx(gas_t_score([1, -2, 2], [2, 1, 1]))
    # the same number as the trajectory page's "now" on that day
    page = gas_points(
        t, day2, {"intake": 1, "interval_months": 3, "closure": 1, "follow_up_months": 6}
    )
    assert page[-1].moment.t_score == pytest.approx(got["score"].iloc[1])
    assert gas_last_per_trajectory(world.study_s)[t.pk] == pytest.approx(got["score"].iloc[1])
