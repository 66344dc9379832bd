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
(``insight.on_track_references``). What is kept is the reference reduced to what a
signal needs (``stats.progress.reference_table``: per target group and time band the 25th
percentile and the number of clients), a few dozen numbers a page reads at once. A page
uses a reference up to a day old; only when there is none, or an older one (no worker
running), does the page compute it itself.

The page's own clients are read as plain rows (their stored scores, in one query per
measure), not as a data frame: a page of the caseload has at most fifty.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

import pandas as pd
from django.core.cache import caches
from django.db.models import F

from werkplaats.casework.models import Trajectory
from werkplaats.insight.feedback import main_groups
from werkplaats.insight.measure_feedback import MeasureInfo, organisation_measures
from werkplaats.insight.models import StoredScore
from werkplaats.insight.outcomes import scores_for, store_scores
from werkplaats.measurements.models import Assessment
from werkplaats.partnership.models import Organisation
from werkplaats.stats.progress import ReferenceTable, reference_table, signal

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
        f"insight:on-track-table:{organisation_id}:{info.instrument}:{info.scale}:{info.informant}"
    )


def _measures(organisation_id: int) -> list[MeasureInfo]:
    """The organisation's measures that the client answers (the signal is the client's)."""
    organisation = Organisation.objects.get(pk=organisation_id)
    return [m for m in organisation_measures(organisation) if m.informant == "client"]


def refresh_reference(organisation_id: int, info: MeasureInfo) -> ReferenceTable:
    """Compute the organisation's reference on ``info`` now and keep it in the shared
    cache."""
    found = reference_table(
        _changes(Trajectory.objects.filter(team__organisation_id=organisation_id), info)
    )
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


def _reference(organisation_id: int, info: MeasureInfo) -> ReferenceTable:
    kept = caches["shared"].get(_key(organisation_id, info))
    if kept is not None and time.time() - kept[0] < STALE_SECONDS:
        table: ReferenceTable = kept[1]
        return table
    return refresh_reference(organisation_id, info)


def _own_changes(
    trajectories: list[Trajectory], info: MeasureInfo, groups: dict[int, str]
) -> dict[int, tuple[str, float, float]]:
    """Per trajectory with at least two scores on ``info``: (group, months since the
    start at the last score, change from the first score to the last, positive is
    better) — the last row of :func:`_changes` for each trajectory, as plain values."""
    assessments = Assessment.objects.filter(
        trajectory__in=trajectories,
        instrument__slug=info.instrument,
        status=Assessment.Status.COMPLETE,
        informant=info.informant,
    )
    store_scores(assessments, info.scale)  # what is not stored yet is scored first
    scores: dict[int, list[tuple[dt.date, int, float]]] = {}
    for trajectory_id, day, assessment_id, value in StoredScore.objects.filter(
        scale=info.scale,
        value__isnull=False,
        assessment__in=assessments,
        completed_at=F("assessment__completed_at"),
    ).values_list("assessment__trajectory_id", "assessment__wave_date", "assessment_id", "value"):
        if value is not None:  # never, by the filter; it tells the type checker
            scores.setdefault(trajectory_id, []).append((day, assessment_id, value))
    starts = {t.pk: t.start for t in trajectories}
    found = {}
    for trajectory_id, rows in scores.items():
        if len(rows) < 2:
            continue
        rows.sort(key=lambda row: (row[0], row[1]))  # by wave date, then as recorded
        (_first_day, _a, first), (last_day, _b, last) = rows[0], rows[-1]
        months = (last_day - starts[trajectory_id]).days / DAYS_PER_MONTH
        found[trajectory_id] = (
            groups.get(trajectory_id, "?"),
            months,
            (last - first) * info.sign,
        )
    return found


def not_on_track(trajectories: list[Trajectory]) -> dict[int, bool | None]:
    """For each trajectory: True on track, False not on track, None cannot say (fewer
    than two measurements, or fewer than 20 comparable clients, on every measure)."""
    result: dict[int, bool | None] = {t.pk: None for t in trajectories}
    by_org: dict[int, list[Trajectory]] = {}
    for t in trajectories:
        by_org.setdefault(t.team.organisation_id, []).append(t)
    groups: dict[int, str] | None = None
    for organisation_id, own in by_org.items():
        for info in _measures(organisation_id):
            if groups is None:
                groups = main_groups(Trajectory.objects.filter(pk__in=list(result)))
            changes = _own_changes(own, info, groups)
            if not changes:
                continue
            table = _reference(organisation_id, info)
            for tid, (group, months, change) in changes.items():
                found = signal(table, group, months, change)
                if found is None:
                    continue
                # behind on one measure is behind; on track needs no measure behind
                result[tid] = False if result[tid] is False else found
    return result
