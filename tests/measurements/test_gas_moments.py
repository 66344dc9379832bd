"""One GAS T-score per moment, the same in the trajectory header and in the chart; a
moment counts the goals that existed then."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.casework.factories import GoalFactory, GoalScoreFactory
from werkplaats.measurements import selectors

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 8, 1)


def _chart(trajectory: Any) -> dict[str, float]:
    gas = {s.instrument.slug: s for s in selectors.instrument_scores(trajectory, TODAY)}[
        "goal-attainment"
    ]
    return {p.wave: p.value for p in gas.series["professional"]}


def test_adding_a_goal_does_not_change_the_intake_t_score(world: Any) -> None:
    before = _chart(world.trajectory_a)
    GoalFactory(trajectory=world.trajectory_a, created=dt.date(2025, 7, 25), baseline=-2)
    after = _chart(world.trajectory_a)
    assert after["intake"] == pytest.approx(before["intake"]) == pytest.approx(40.0)
    assert after["m03"] == pytest.approx(before["m03"])
    # m06 (as of today) counts the new goal, at its starting level.
    assert after["m06"] < before["m06"]
    summary = selectors.gas_summary(world.trajectory_a, TODAY)
    assert summary.first is not None and summary.first.moment.goals == 1
    assert summary.last is not None and summary.last.moment.goals == 2


def test_the_header_shows_the_charts_numbers(world: Any) -> None:
    GoalScoreFactory(goal=world.goal_a, date=dt.date(2025, 7, 20), level=2)
    GoalFactory(trajectory=world.trajectory_a, created=dt.date(2025, 7, 25), baseline=-2)
    chart = _chart(world.trajectory_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.alice)
    with time_machine.travel(dt.datetime(2025, 8, 1, 12, tzinfo=dt.UTC), tick=False):
        body = client.get(reverse("casework:trajectory", args=[world.trajectory_a.pk]))
    html = body.content.decode()
    header = re.search(r'<p id="gas-summary">(.*?)</p>', html, re.S)
    assert header is not None, html
    numbers = [float(n) for n in re.findall(r"(\d+\.\d) at", header.group(1))]
    assert numbers == [round(chart["intake"], 1), round(chart["m06"], 1)]
    assert "A goal added later does not change an earlier T-score" in html


def test_a_score_after_intake_shows_as_now_while_only_the_intake_is_open(world: Any) -> None:
    goal = GoalFactory(created=dt.date(2025, 1, 20), baseline=-1)
    trajectory = goal.trajectory
    trajectory.start = dt.date(2025, 1, 15)
    trajectory.save()
    GoalScoreFactory(goal=goal, date=dt.date(2025, 2, 10), level=1)
    points = selectors.gas_summary(trajectory, dt.date(2025, 2, 15)).points
    assert [(p.wave, round(p.moment.t_score, 1)) for p in points] == [
        ("intake", 40.0),
        ("now", 60.0),
    ]
