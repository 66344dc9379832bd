"""Reads of case content, shaped for the pages. Access is checked before these are called."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Max, Prefetch, QuerySet

from werkplaats.casework.models import (
    Contact,
    Goal,
    GoalScore,
    NetworkMember,
    NetworkSnapshot,
    Trajectory,
)


def caseload(trajectories: QuerySet[Trajectory]) -> QuerySet[Trajectory]:
    return (
        trajectories.select_related("client", "team", "lead_professional")
        .prefetch_related("target_groups")
        .annotate(n_contacts=Count("contacts", distinct=True), last_contact=Max("contacts__date"))
        .order_by("status", "-start")
    )


@dataclass
class NetworkWave:
    snapshot: NetworkSnapshot
    members: list[NetworkMember]

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def informal_share(self) -> float | None:
        if not self.members:
            return None
        return sum(1 for m in self.members if not m.formal) / len(self.members)

    @property
    def reciprocal(self) -> int:
        return sum(1 for m in self.members if m.reciprocal)


def network_waves(trajectory: Trajectory) -> list[NetworkWave]:
    snapshots = trajectory.network_snapshots.prefetch_related("members").order_by("date")
    return [NetworkWave(s, list(s.members.all())) for s in snapshots]


@dataclass
class NetworkChange:
    """Who came and who went between the last two drawings of the network."""

    since: NetworkWave
    joined: list[str]
    left: list[str]


def network_change(waves: list[NetworkWave]) -> NetworkChange | None:
    if len(waves) < 2:
        return None
    before = {m.label for m in waves[-2].members}
    now = {m.label for m in waves[-1].members}
    return NetworkChange(waves[-2], sorted(now - before), sorted(before - now))


@dataclass
class GoalRow:
    goal: Goal
    scores: list[GoalScore]

    @property
    def latest(self) -> GoalScore | None:
        return self.scores[-1] if self.scores else None


def goal_rows(trajectory: Trajectory) -> list[GoalRow]:
    goals = trajectory.goals.prefetch_related(
        Prefetch("scores", queryset=GoalScore.objects.order_by("date", "pk"))
    )
    return [GoalRow(g, list(g.scores.all())) for g in goals]


def recent_contacts(trajectory: Trajectory, limit: int = 20) -> list[Contact]:
    return list(
        trajectory.contacts.prefetch_related("actors", "principles").order_by("-date", "-pk")[
            :limit
        ]
    )
