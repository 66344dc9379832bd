"""A plan with outcome ``gas_t`` builds a report whose growth model recovers planted GAS
effects (end to end: goals and scores in the database, the plan, the report's estimates).

Planted: 72 consenting clients, three goals each (weight 1), scored at the start, after
half a year and after a year. Clients who are not frail elderly go from level -1 to 0 to
+1 on every goal; frail elderly from -1 to -1 to 0. The third goal carries noise of -1, 0
or +1 at each score (mean 0). With equal weights the GAS T-score is linear in the sum of
the levels, so the expected T-score is linear in the planted levels and the truth of each
fixed effect is the least-squares fit of the noise-free T-scores on the model's design
(computed here with ``stats.gas.gas_t_score``, which is itself checked against R).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.programme.factories import ConsentFactory
from werkplaats.casework.models import Goal, GoalScore, TargetGroup
from werkplaats.insight.plan import parse_plan
from werkplaats.insight.report import write_report
from werkplaats.insight.services import plan_set
from werkplaats.stats.gas import gas_t_score

pytestmark = pytest.mark.django_db

DAYS = (0, 183, 365)
LEVELS = {False: (-1, 0, 1), True: (-1, -1, 0)}  # frail elderly: slower
PLAN = {
    "format": "werkplaats.plan/1",
    "outcome": "gas_t",
    "moderators": {"client": ["is_frail_elderly"], "process": [], "context": []},
    "random": [],
    "centring": "grand_mean",
}


def _plant(world, clients: int = 72, seed: int = 5) -> list[tuple[bool, float, float]]:
    """Write the goals and scores; return (frail, years, noise-free T) per scored date."""
    rng = np.random.default_rng(seed)
    frail_group = TargetGroup.objects.get(code="frail-elderly")
    debt = TargetGroup.objects.get(code="debt")
    truth = []
    start = dt.date(2024, 1, 8)
    scores = []
    for k in range(clients):
        frail = k % 2 == 0
        client = ClientFactory(neighbourhood=world.hood_a)
        t = TrajectoryFactory(
            client=client, lead_professional=world.alice, team=world.team_a, start=start
        )
        t.target_groups.set([frail_group if frail else debt])
        ConsentFactory(client=client, study=world.study_s, recorded_by=world.alice)
        goals = [
            Goal.objects.create(
                trajectory=t,
                text=f"doel {g}",
                level_minus2="-2",
                level_minus1="-1",
                level_0="0",
                level_plus1="+1",
                level_plus2="+2",
                baseline=-1,
                created=start,
            )
            for g in range(3)
        ]
        for day, level in zip(DAYS, LEVELS[frail], strict=True):
            date = start + dt.timedelta(days=day)
            noise = int(rng.integers(-1, 2))
            for g, goal in enumerate(goals):
                scores.append(
                    GoalScore(
                        goal=goal,
                        date=date,
                        level=level + (noise if g == 2 else 0),
                        recorded_by=world.alice,
                    )
                )
            truth.append((frail, day / 365.25, gas_t_score([level] * 3, [1, 1, 1])))
    GoalScore.objects.bulk_create(scores)
    return truth


def test_a_gas_t_plan_recovers_the_planted_goal_attainment(world, tmp_path: Path) -> None:
    truth_rows = _plant(world)
    plan_set(study=world.study_s, plan=parse_plan(PLAN), user=world.rita)
    folder = write_report(world.study_s, tmp_path, pdf=False, n_boot=10)
    with open(folder / "estimates.csv", encoding="utf-8") as fh:
        rows = {r["term"]: r for r in csv.DictReader(fh) if r["model"] == "growth"}
    # the planted truth: least squares of the noise-free T-scores on the model's design
    frail = np.array([r[0] for r in truth_rows], dtype=float)
    years = np.array([r[1] for r in truth_rows])
    design = np.column_stack([np.ones_like(years), years, frail, years * frail])
    beta = np.linalg.lstsq(design, np.array([r[2] for r in truth_rows]), rcond=None)[0]
    planted = {
        "(Intercept)": beta[0],
        "time": beta[1],
        "is_frail_elderly": beta[2],
        "time:is_frail_elderly": beta[3],
    }
    assert planted["time"] == pytest.approx(27.4, abs=0.1)  # -1 -> +1 on three goals a year
    for term, value in planted.items():
        row = rows[term]
        assert float(row["ci_low"]) <= value <= float(row["ci_high"]), (term, value, row)
    # the slower frail elderly are clearly slower; the interval excludes 0
    assert float(rows["time:is_frail_elderly"]["ci_high"]) < 0
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "GAS" in html
