"""The not-on-track signal for many trajectories at once (the caseload).

The same rule as the professional's progress page (``feedback.professional_progress``):
on each of the organisation's outcome measures answered by the client
(:func:`~werkplaats.insight.measure_feedback.organisation_measures`), the client's change
since their first measurement, signed by the scale's direction so that positive is better
(on a loneliness scale a fall is an improvement), against the 25th percentile of
comparable clients' change (same organisation, same main target group, same time band).
A trajectory is not on track when it is behind on any of those measures, on track when it
is on track on at least one and behind on none. The organisation's reference is computed
with one query per table, so a page of the caseload costs a few queries whatever the
number of clients.

Computing a reference means reading every measurement of the organisation, so no page
waits for it: it lives in the shared cache (a folder all web servers and the worker read)
and the worker renews every organisation's, per measure, each hour
(``insight.on_track_references``). A page uses a reference up to a day old; only when
there is none, or an older one (no worker running), does the page compute it itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import pandas as pd
from django.core.cache import caches

from werkplaats.casework.models import Trajectory
from werkplaats.insight.feedback import main_groups
from werkplaats.insight.measure_feedback import MeasureInfo, organisation_measures
from werkplaats.insight.outcomes import scores_for
from werkplaats.partnership.models import Organisation
from werkplaats.stats.progress import on_track_table

FRESH_SECONDS = 3600  # the worker renews each reference this often
STALE_SECONDS = 24 * 3600  # a page uses a reference at most this old
DAYS_PER_MONTH = 30.44


def _changes(trajectories: Iterable[Trajectory] | object, info: MeasureInfo) -> pd.DataFrame:
    """Per score on ``info``: trajectory, group, months since the start, change since the
    first score (positive is better, whatever the scale's direction)."""
    s = scores_for(trajectories, info.instrument, info.scale, info.informant)
    s = s[(s["informant"] == info.informant) & s["score"].notna()] if len(s) else s
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
            "change": (s["score"] - first) * info.sign,
        }
    )


def _key(organisation_id: int, info: MeasureInfo) -> str:
    return (
        f"insight:on-track-reference:{organisation_id}:"
        f"{info.instrument}:{info.scale}:{info.informant}"
    )


def _measures(organisation_id: int) -> list[MeasureInfo]:
    """The organisation's measures that the client answers (the signal is the client's)."""
    organisation = Organisation.objects.get(pk=organisation_id)
    return [m for m in organisation_measures(organisation) if m.informant == "client"]


def refresh_reference(organisation_id: int, info: MeasureInfo) -> pd.DataFrame:
    """Compute the organisation's reference on ``info`` now and keep it in the shared
    cache."""
    found = _changes(Trajectory.objects.filter(team__organisation_id=organisation_id), info)
    caches["shared"].set(_key(organisation_id, info), (time.time(), found), None)
    return found


def refresh_references() -> int:
    """Renew the reference of every organisation with trajectories, on each of its
    measures (the worker's hourly work); return how many organisations."""
    ids = sorted(set(Trajectory.objects.values_list("team__organisation_id", flat=True)))
    for organisation_id in ids:
        for info in _measures(organisation_id):
            refresh_reference(organisation_id, info)
    return len(ids)


def _reference(organisation_id: int, info: MeasureInfo) -> pd.DataFrame:
    kept = caches["shared"].get(_key(organisation_id, info))
    if kept is not None and time.time() - kept[0] < STALE_SECONDS:
        return kept[1]
    return refresh_reference(organisation_id, info)


def not_on_track(trajectories: list[Trajectory]) -> dict[int, bool | None]:
    """For each trajectory: True on track, False not on track, None cannot say (fewer
    than two measurements, or fewer than 20 comparable clients, on every measure)."""
    result: dict[int, bool | None] = {t.pk: None for t in trajectories}
    by_org: dict[int, list[int]] = {}
    for t in trajectories:
        by_org.setdefault(t.team.organisation_id, []).append(t.pk)
    for organisation_id, ids in by_org.items():
        for info in _measures(organisation_id):
            own = _changes(Trajectory.objects.filter(pk__in=ids), info)
            if own.empty:
                continue
            last = own.groupby("trajectory_id").agg(
                n=("change", "size"),
                group=("group", "last"),
                months=("months", "last"),
                change=("change", "last"),
            )
            last = last[last["n"] >= 2]
            reference = _reference(organisation_id, info)
            for tid, signal in on_track_table(reference, last).items():
                if signal is None:
                    continue
                before = result[int(tid)]
                # behind on one measure is behind; on track needs no measure behind
                result[int(tid)] = False if before is False else bool(signal)
    return result
