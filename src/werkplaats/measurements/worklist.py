"""The professional's worklist: what needs doing now, grouped per trajectory and wave.

Open trajectories only, except the follow-up wave, which falls after closure by design.
A wave that the next one has superseded ("missed") is not work any more, so a year-old
intake never shows. The trajectories' plans, goals and assessments are read once for
the whole list (``Preloaded``), never once per trajectory.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from werkplaats.casework.models import Trajectory
from werkplaats.measurements.models import Assessment
from werkplaats.measurements.schedule import Wave
from werkplaats.measurements.selectors import (
    AssessmentState,
    Preloaded,
    WaveRow,
    plan_view,
    wave_rows,
)

QUESTIONNAIRES = "questionnaires"
GOALS = "goals"
FOLLOW_UP = "follow_up"
KINDS = (QUESTIONNAIRES, GOALS, FOLLOW_UP)
OVERDUE = "overdue"
THIS_WEEK = "week"
# Follow-up waves come at most this long after closure (the plan's longest follow-up).
FOLLOW_UP_HORIZON = dt.timedelta(days=25 * 31)
# A follow-up not done within three months is not asked for any more.
FOLLOW_UP_LATE = dt.timedelta(days=92)


@dataclass
class WorkItem:
    """One thing to do: a wave of one trajectory, with what it asks for."""

    trajectory: Trajectory
    wave: Wave
    kind: str
    state: str
    rows: list[WaveRow] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


def _load(trajectories: list[Trajectory], today: dt.date) -> dict[int, list[WaveRow]]:
    """The waves that are not superseded yet, per trajectory: the only ones that can be
    due, overdue or upcoming (the others are done or missed)."""
    assessments: dict[int, list[AssessmentState]] = defaultdict(list)
    # the fields a wave's state needs (the worklist and the caseload show no more)
    ids = [t.pk for t in trajectories]
    for trajectory_id, pk, instrument_id, informant, wave, status in Assessment.objects.filter(
        trajectory_id__in=ids
    ).values_list("trajectory_id", "pk", "instrument_id", "informant", "wave", "status"):
        assessments[trajectory_id].append(
            AssessmentState(pk, instrument_id, informant, wave, status)
        )
    preloaded = Preloaded.load(trajectories)
    return {
        t.pk: wave_rows(
            t, plan_view(t, preloaded), today, assessments[t.pk], preloaded, open_only=True
        )
        for t in trajectories
    }


def worklist(
    trajectories: QuerySet[Trajectory],
    today: dt.date,
    *,
    kind: str = "",
    lead_id: int | None = None,
    when: str = "",
) -> list[WorkItem]:
    """Due and overdue waves of open trajectories (and follow-ups), most urgent first.

    ``kind`` keeps one kind, ``lead_id`` one lead professional, ``when`` either the
    overdue ones or those due within a week.
    """
    candidates = trajectories.filter(
        Q(status=Trajectory.Status.OPEN)
        | Q(status=Trajectory.Status.CLOSED, end__gte=today - FOLLOW_UP_HORIZON)
    ).select_related("client", "lead_professional")
    if lead_id is not None:
        candidates = candidates.filter(lead_professional_id=lead_id)
    chosen = list(candidates)
    items: dict[tuple[int, str, str], WorkItem] = {}
    for trajectory_id, rows in _load(chosen, today).items():
        for row in rows:
            if row.state not in ("due", "overdue"):
                continue
            if row.wave.key == "follow_up":
                if row.wave.due < today - FOLLOW_UP_LATE:
                    continue
                item_kind = FOLLOW_UP
            elif row.trajectory.status != Trajectory.Status.OPEN:
                continue
            else:
                item_kind = GOALS if row.is_gas else QUESTIONNAIRES
            key = (trajectory_id, row.wave.key, item_kind)
            item = items.setdefault(key, WorkItem(row.trajectory, row.wave, item_kind, row.state))
            item.rows.append(row)
            if row.state == "overdue":
                item.state = "overdue"
    found = [
        i
        for i in items.values()
        if (not kind or i.kind == kind)
        and (
            not when
            or (when == OVERDUE and i.overdue)
            or (when == THIS_WEEK and not i.overdue and i.wave.due <= today + dt.timedelta(days=7))
        )
    ]
    found.sort(key=lambda i: (not i.overdue, i.wave.due, i.trajectory.client.pseudonym))
    return found


def next_waves(trajectories: list[Trajectory], today: dt.date) -> dict[int, WaveRow]:
    """Per trajectory, the first wave not yet done (due, overdue or upcoming)."""
    found: dict[int, WaveRow] = {}
    for trajectory_id, rows in _load(trajectories, today).items():
        open_rows = [r for r in rows if r.state in ("due", "overdue", "upcoming")]
        if open_rows:
            found[trajectory_id] = min(open_rows, key=lambda r: (r.wave.due, r.state))
    return found
