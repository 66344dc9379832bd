"""Writes to case content. Each function validates, writes in one transaction, and logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from werkplaats.casework.models import (
    ActorKind,
    Contact,
    Dilemma,
    Goal,
    GoalScore,
    NetworkMember,
    NetworkSnapshot,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership.models import User


@transaction.atomic
def contact_create(
    *,
    trajectory: Trajectory,
    user: User,
    actors: Iterable[ActorKind] = (),
    principles: Iterable[WorkingPrinciple] = (),
    **fields: Any,
) -> Contact:
    contact = Contact(trajectory=trajectory, recorded_by=user, **fields)
    contact.full_clean()
    contact.save()
    contact.actors.set(actors)
    contact.principles.set(principles)
    log_access(user, "create", contact)
    return contact


@transaction.atomic
def trajectory_update(
    *,
    trajectory: Trajectory,
    user: User,
    expected_version: int,
    fields: dict[str, Any],
    target_groups: Iterable[Any] | None = None,
) -> Trajectory:
    """Save changed fields, refusing if someone else saved since ``expected_version``."""
    for name, value in fields.items():
        setattr(trajectory, name, value)
    trajectory.full_clean(exclude=["client", "lead_professional", "team"])
    save_versioned(trajectory, expected_version, list(fields))
    if target_groups is not None:
        trajectory.target_groups.set(target_groups)
    log_access(user, "change", trajectory)
    return trajectory


@transaction.atomic
def goal_create(*, trajectory: Trajectory, user: User, **fields: Any) -> Goal:
    goal = Goal(trajectory=trajectory, **fields)
    if goal.created is None:
        goal.created = dt.date.today()
    goal.full_clean()
    goal.save()
    log_access(user, "create", goal)
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, user: User, expected_version: int, fields: dict[str, Any]) -> Goal:
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.full_clean(exclude=["trajectory"])
    save_versioned(goal, expected_version, list(fields))
    log_access(user, "change", goal)
    return goal


@transaction.atomic
def goal_score_add(*, goal: Goal, user: User, date: dt.date, level: int) -> GoalScore:
    """Score a goal on a date; a second score on the same date corrects the first."""
    score = GoalScore.objects.filter(goal=goal, date=date).order_by("pk").first()
    action = "change" if score else "create"
    if score is None:
        score = GoalScore(goal=goal, date=date)
    score.level, score.recorded_by = level, user
    score.full_clean()
    score.save()
    log_access(user, action, score)
    return score


@transaction.atomic
def dilemma_create(*, trajectory: Trajectory, user: User, **fields: Any) -> Dilemma:
    dilemma = Dilemma(trajectory=trajectory, recorded_by=user, **fields)
    dilemma.full_clean()
    dilemma.save()
    log_access(user, "create", dilemma)
    return dilemma


@transaction.atomic
def network_member_add(
    *, trajectory: Trajectory, user: User, date: dt.date, **fields: Any
) -> NetworkMember:
    """Add a person to the network as it stands on ``date``.

    A new wave starts as a copy of the latest earlier snapshot, so a professional only
    records what changed.
    """
    snapshot = network_snapshot_for(trajectory=trajectory, date=date)
    member = NetworkMember(snapshot=snapshot, **fields)
    member.full_clean()
    member.save()
    log_access(user, "create", member)
    return member


def network_snapshot_for(*, trajectory: Trajectory, date: dt.date) -> NetworkSnapshot:
    snapshot, created = NetworkSnapshot.objects.get_or_create(trajectory=trajectory, date=date)
    if created:
        previous = (
            NetworkSnapshot.objects.filter(trajectory=trajectory, date__lt=date)
            .order_by("-date")
            .first()
        )
        if previous is not None:
            NetworkMember.objects.bulk_create(
                NetworkMember(
                    snapshot=snapshot,
                    label=m.label,
                    relation=m.relation,
                    formal=m.formal,
                    closeness=m.closeness,
                    support_given=m.support_given,
                    support_received=m.support_received,
                )
                for m in previous.members.all()
            )
    return snapshot
