"""The GAS T-scores of a trajectory over time: one computation (``stats.gas.gas_at``) for
the trajectory header, the chart and the analysis data (``insight.outcomes``).

A T-score at a moment counts the goals set by then, each at its latest score by then; at
intake, the goals set during the intake (until the next wave opens) at their starting
level. Adding a goal later never changes an earlier T-score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from werkplaats.casework.models import Goal, GoalScore, Trajectory
from werkplaats.measurements.schedule import LEAD_DAYS, plan_waves
from werkplaats.stats.gas import GasMoment, GoalRecord, gas_at

NOW = "now"


@dataclass(frozen=True)
class GasPoint:
    """A moment on the chart: the wave (or "now") and the date it is drawn at."""

    wave: str
    date: dt.date
    moment: GasMoment


def _record(goal: Goal) -> GoalRecord:
    return GoalRecord(
        goal.created,
        goal.baseline,
        float(goal.weight),
        tuple((s.date, s.level) for s in goal.scores.all()),
    )


def _scored_goals(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    return goals.prefetch_related(
        Prefetch("scores", queryset=GoalScore.objects.order_by("date", "pk"))
    )


def goal_records(trajectory: Trajectory) -> list[GoalRecord]:
    return [_record(g) for g in _scored_goals(trajectory.goals.all())]


def records_of(goals: Iterable[Goal]) -> list[GoalRecord]:
    """The records of goals read with their scores in date order (as
    ``casework.selectors.goal_rows`` reads them), without reading them again."""
    return [_record(g) for g in goals]


def goal_records_by_trajectory(trajectories: QuerySet[Trajectory]) -> dict[int, list[GoalRecord]]:
    """The goals of many trajectories at once (two queries, each joined to the
    trajectories in the database), for the analysis data.

    Not a prefetch: that passes every goal's id as a parameter, more than SQLite takes
    at 200,000 clients ("too many SQL variables"), and makes a model object per row.
    """
    scores: dict[int, list[tuple[dt.date, int]]] = {}
    for goal_id, day, level in (
        GoalScore.objects.filter(goal__trajectory__in=trajectories)
        .order_by("date", "pk")
        .values_list("goal_id", "date", "level")
        .iterator(chunk_size=20000)
    ):
        scores.setdefault(goal_id, []).append((day, level))
    out: dict[int, list[GoalRecord]] = {}
    for goal_id, trajectory_id, created, baseline, weight in (
        Goal.objects.filter(trajectory__in=trajectories)
        .order_by("trajectory_id", "created", "pk")
        .values_list("pk", "trajectory_id", "created", "baseline", "weight")
        .iterator(chunk_size=20000)
    ):
        out.setdefault(trajectory_id, []).append(
            GoalRecord(created, baseline, float(weight), tuple(scores.get(goal_id, ())))
        )
    return out


def gas_points(
    trajectory: Trajectory,
    today: dt.date,
    fields: dict[str, int],
    goals: list[GoalRecord] | None = None,
) -> list[GasPoint]:
    """The T-score at every wave whose window has opened, and now when that differs.

    A wave's T-score is as of the last day of its window (the day before the next wave
    opens, or today); the intake's uses the starting levels. ``goals``: the trajectory's
    goal records when the caller has them (``records_of``).
    """
    if goals is None:
        goals = goal_records(trajectory)
    if not goals:
        return []
    waves = plan_waves(
        start=trajectory.start,
        end=trajectory.end,
        today=today,
        intake=bool(fields["intake"]),
        interval_months=fields["interval_months"],
        closure=bool(fields["closure"]),
        follow_up_months=fields["follow_up_months"],
    )
    lead = dt.timedelta(days=LEAD_DAYS)
    points: list[GasPoint] = []
    for index, wave in enumerate(waves):
        if wave.due - lead > today:
            break
        later = waves[index + 1] if index + 1 < len(waves) else None
        as_of = today if later is None else min(today, later.due - lead - dt.timedelta(days=1))
        moment = gas_at(goals, as_of, label=wave.key, baselines=wave.key == "intake")
        if moment is not None:
            points.append(GasPoint(wave.key, wave.due, moment))
    now = gas_at(goals, today, label=NOW)
    last = points[-1].moment if points else None
    if now is not None and (
        last is None
        or (last.as_of, last.t_score, last.goals) != (now.as_of, now.t_score, now.goals)
    ):
        points.append(GasPoint(NOW, today, now))
    return points


@dataclass(frozen=True)
class GasSummary:
    """The T-scores the trajectory header shows: the first and the last of the chart's."""

    points: list[GasPoint]

    @property
    def first(self) -> GasPoint | None:
        return self.points[0] if self.points else None

    @property
    def last(self) -> GasPoint | None:
        return self.points[-1] if len(self.points) > 1 else None

    @property
    def baseline(self) -> float | None:
        return self.points[0].moment.t_score if self.points else None

    @property
    def latest(self) -> float | None:
        return self.points[-1].moment.t_score if self.points else None
