"""The not-on-track signal for many trajectories at once (the caseload).

The same rule as the professional's progress page (``feedback.professional_progress``):
the client's change on the outcome measure since their first measurement, against the
25th percentile of comparable clients' change (same organisation, same main target
group, same time band). The organisation's reference is computed with one query per
table, so a page of the caseload costs a few queries whatever the number of clients.

Computing the reference means scoring every measurement of the organisation (seconds for
a thousand clients), so no page waits for it: it lives in the shared cache (a folder all
web servers and the worker read) and the worker renews every organisation's each hour
(``insight.on_track_references``). A page uses a reference up to a day old; only when
there is none, or an older one (no worker running), does the page compute it itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import pandas as pd
from django.core.cache import caches

from werkplaats.casework.models import Trajectory
from werkplaats.insight.feedback import OUTCOME, main_groups
from werkplaats.insight.outcomes import scores_for
from werkplaats.stats.progress import on_track_table

FRESH_SECONDS = 3600  # the worker renews each reference this often
STALE_SECONDS = 24 * 3600  # a page uses a reference at most this old
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


def _key(organisation_id: int) -> str:
    return f"insight:on-track-reference:{organisation_id}"


def refresh_reference(organisation_id: int) -> pd.DataFrame:
    """Compute the organisation's reference now and keep it in the shared cache."""
    found = _changes(Trajectory.objects.filter(team__organisation_id=organisation_id))
    caches["shared"].set(_key(organisation_id), (time.time(), found), None)
    return found


def refresh_references() -> int:
    """Renew the reference of every organisation with trajectories (the worker's hourly
    work); return how many."""
    ids = sorted(set(Trajectory.objects.values_list("team__organisation_id", flat=True)))
    for organisation_id in ids:
        refresh_reference(organisation_id)
    return len(ids)


def _reference(organisation_id: int) -> pd.DataFrame:
    kept = caches["shared"].get(_key(organisation_id))
    if kept is not None and time.time() - kept[0] < STALE_SECONDS:
        return kept[1]
    return refresh_reference(organisation_id)


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
