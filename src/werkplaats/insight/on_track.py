"""The not-on-track signal for many trajectories at once (the caseload).

The same rule as the professional's progress page (``feedback.professional_progress``):
the client's change on the outcome measure since their first measurement, against the
25th percentile of comparable clients' change (same organisation, same main target
group, same time band). The organisation's reference is computed with one query per
table and kept for an hour, so a page of the caseload costs a few queries whatever the
number of clients.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from django.core.cache import cache

from werkplaats.casework.models import Trajectory
from werkplaats.insight.feedback import OUTCOME, main_groups
from werkplaats.insight.outcomes import scores_for
from werkplaats.stats.progress import on_track_table

CACHE_SECONDS = 3600
DAYS_PER_MONTH = 30.44


def _changes(trajectories: Iterable[Trajectory] | object) -> pd.DataFrame:
    """Per score: trajectory, group, months since the start, change since the first."""
    s = scores_for(trajectories, *OUTCOME)
    s = s[(s["informant"] == "client") & s["score"].notna()] if len(s) else s
    if s.empty:
        return pd.DataFrame(columns=["trajectory_id", "group", "months", "change"])
    ids = list(set(s["trajectory_id"]))
    starts = dict(Trajectory.objects.filter(pk__in=ids).values_list("pk", "start"))
    groups = main_groups(Trajectory.objects.filter(pk__in=ids))
    s = s.sort_values(["trajectory_id", "wave_date"])
    first = s.groupby("trajectory_id")["score"].transform("first")
    return pd.DataFrame(
        {
            "trajectory_id": s["trajectory_id"],
            "group": s["trajectory_id"].map(lambda t: groups.get(t, "?")),
            "months": [
                (d - starts[t]).days / DAYS_PER_MONTH
                for t, d in zip(s["trajectory_id"], s["wave_date"], strict=True)
            ],
            "change": s["score"] - first,
        }
    )


def _reference(organisation_id: int) -> pd.DataFrame:
    key = f"insight:on-track-reference:{organisation_id}"
    found = cache.get(key)
    if found is None:
        found = _changes(Trajectory.objects.filter(team__organisation_id=organisation_id))
        cache.set(key, found, CACHE_SECONDS)
    return found


def not_on_track(trajectories: list[Trajectory]) -> dict[int, bool | None]:
    """For each trajectory: True on track, False not on track, None cannot say (fewer
    than two measurements, or fewer than 20 comparable clients)."""
    result: dict[int, bool | None] = {t.pk: None for t in trajectories}
    by_org: dict[int, list[int]] = {}
    for t in trajectories:
        by_org.setdefault(t.team.organisation_id, []).append(t.pk)
    for organisation_id, ids in by_org.items():
        own = _changes(Trajectory.objects.filter(pk__in=ids))
        if own.empty:
            continue
        last = own.groupby("trajectory_id").agg(
            n=("change", "size"),
            group=("group", "last"),
            months=("months", "last"),
            change=("change", "last"),
        )
        last = last[last["n"] >= 2]
        reference = _reference(organisation_id)
        for tid, signal in on_track_table(reference, last).items():
            result[int(tid)] = signal
    return result
