"""A study's outcomes: which trajectories are in it, what they answered, their scores.

* :func:`consenting_trajectories`: trajectories of clients whose consent stands now.
* :func:`outcome_options` lists what a study's data hold as outcomes (instrument, scale,
  informant) with the number of clients.
* :func:`scores_for` scores completed assessments on one scale (the feedback pages use
  it too); :func:`first_and_last` gives each client's first and last score, computed by
  the database; :func:`outcome_info` gives the scale's label, range, direction and norms.
* :func:`measurements` gives the outcome's scores, one row per completed measurement by
  any informant (the agreement analysis needs them all), or the GAS T-score at every date
  a goal was scored.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from django.db import models
from django.db.models import Count, Exists, F, OuterRef
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from werkplaats.casework.models import (
    GoalScore,
    Trajectory,
)
from werkplaats.core.bulk import optimize
from werkplaats.insight.models import StoredScore
from werkplaats.insight.plan import Outcome, OutcomeInfo, OutcomeOption
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.gas import goal_records_by_trajectory
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.programme.models import Consent, Study
from werkplaats.stats.definition import Scale, instance_key
from werkplaats.stats.gas import gas_at
from werkplaats.stats.scoring import score


def consenting_trajectories(study: Study) -> Any:
    """Trajectories of clients whose consent for ``study`` stands now.

    A plain (uncorrelated) subquery: SQLite evaluates it once, where a correlated EXISTS
    was evaluated per row and made the data set quadratic in size.
    """
    active = Consent.objects.filter(study=study, withdrawn_at__isnull=True).values("client_id")
    return Trajectory.objects.filter(client_id__in=active)


def outcome_options(study: Study) -> list[OutcomeOption]:
    """Instrument × scale × informant that the study's consenting clients answered."""
    counts = (
        Assessment.objects.filter(
            trajectory__in=consenting_trajectories(study), status=Assessment.Status.COMPLETE
        )
        .values_list("instrument__slug", "informant", "version_id")
        .annotate(n=Count("trajectory__client_id", distinct=True))
        .order_by()
    )
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    versions: dict[int, Any] = {}
    rows = list(counts)
    for v in InstrumentVersion.objects.filter(pk__in={r[2] for r in rows}):
        versions[v.pk] = v.parsed
    for slug, informant, vid, n in rows:
        for s in versions[vid].scales:
            if s.method != "gas":
                key = (slug, s.id, informant)
                seen[key] = max(seen[key], n)
    return [OutcomeOption(i, s, inf, n) for (i, s, inf), n in sorted(seen.items())]


def gas_clients(study: Study) -> int:
    return (
        GoalScore.objects.filter(goal__trajectory__in=consenting_trajectories(study))
        .values("goal__trajectory__client_id")
        .distinct()
        .count()
    )


SCORE_CHUNK = 5000  # assessments scored and stored per round (bounded memory at any size)
ANALYZE_AFTER = 10_000  # a fill this large refreshes the table's planner statistics


def store_scores(assessments: Any, scale: str) -> int:
    """Score and store every completed assessment of ``assessments`` that has no stored
    score on ``scale`` from its latest completion; returns how many were scored.

    Every scale of the assessment's version is stored in the same pass (a page asks for
    the other scales of the same instrument next), and ``scale`` also where the version
    has no such scale (empty value), so it is not looked for again. Each version's
    definition is parsed once and each distinct answer pattern is scored once.
    """
    current = StoredScore.objects.filter(
        assessment=OuterRef("pk"), scale=scale, completed_at=OuterRef("completed_at")
    )
    missing = list(
        assessments.filter(status=Assessment.Status.COMPLETE)
        .filter(~Exists(current))
        .values_list("pk", "version_id", "completed_at")
        .order_by("pk")
    )
    if not missing:
        return 0
    versions = InstrumentVersion.objects.filter(pk__in={vid for _a, vid, _c in missing})
    definitions = {v.pk: v.parsed for v in versions}
    cache: dict[tuple[int, str], dict[str, float | None]] = {}
    for k in range(0, len(missing), SCORE_CHUNK):
        chunk = missing[k : k + SCORE_CHUNK]
        answers: dict[int, dict[str, Any]] = defaultdict(dict)
        # The stored JSON text of each answer, decoded once per distinct text (answers
        # repeat a handful of option codes) instead of once per row by the JSONField.
        decoded: dict[str, Any] = {}
        for aid, item, instance, text in (
            Answer.objects.filter(assessment_id__in=[a for a, _v, _c in chunk])
            .annotate(text=Cast("value", models.TextField()))
            .values_list("assessment_id", "item_id", "instance", "text")
            .iterator(chunk_size=20000)
        ):
            if text not in decoded:
                decoded[text] = json.loads(text)
            answers[aid][instance_key(item, instance)] = decoded[text]
        rows = []
        for aid, vid, completed in chunk:
            given = answers.get(aid, {})
            # answers are JSON (a list for a checkbox item): the pattern's key is its text
            key = (vid, json.dumps(given, sort_keys=True, default=str))
            if key not in cache:
                cache[key] = {
                    name: result.value for name, result in score(definitions[vid], given).items()
                }
            values = {scale: None, **cache[key]}
            rows += [
                StoredScore(assessment_id=aid, scale=name, value=value, completed_at=completed)
                for name, value in values.items()
            ]
        StoredScore.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["assessment", "scale"],
            update_fields=["value", "completed_at"],
        )
    if len(missing) >= ANALYZE_AFTER:
        # the planner must know the table grew, or it joins a large table as if small
        optimize([StoredScore])
    return len(missing)


def scores_for(
    trajectories: Any, instrument: str, scale: str, informant: str | None = None
) -> pd.DataFrame:
    """Completed assessments of ``trajectories`` with their scale score, one row each
    (``informant``: only that informant's, selected by the database).

    Scores are read from :class:`~werkplaats.insight.models.StoredScore`; what is not
    stored yet is scored first (:func:`store_scores`), so the result is always that of
    scoring the answers.
    """
    assessments = Assessment.objects.filter(
        trajectory__in=trajectories,
        instrument__slug=instrument,
        status=Assessment.Status.COMPLETE,
    )
    if informant is not None:
        assessments = assessments.filter(informant=informant)
    store_scores(assessments, scale)
    rows = list(
        StoredScore.objects.filter(
            scale=scale,
            assessment__in=assessments,
            completed_at=F("assessment__completed_at"),
        ).values_list(
            "assessment_id",
            "assessment__trajectory_id",
            "assessment__wave",
            "assessment__wave_date",
            "assessment__informant",
            "assessment__version_id",
            "value",
        )
    )
    a = pd.DataFrame(
        rows,
        columns=[
            "assessment_id",
            "trajectory_id",
            "wave",
            "wave_date",
            "informant",
            "version_id",
            "score",
        ],
    )
    if a.empty:
        return a.assign(score=pd.Series(dtype=float), version="", instrument=instrument)
    a = a.sort_values("assessment_id", ignore_index=True)
    a["score"] = a["score"].astype(float)
    versions = InstrumentVersion.objects.filter(pk__in=set(a["version_id"]))
    labels = {v.pk: f"{v.label} ({v.short_hash})" for v in versions}
    a["version"] = a["version_id"].map(labels)
    a["instrument"] = instrument
    return a


def first_and_last(trajectories: Any, instrument: str, scale: str, informant: str) -> pd.DataFrame:
    """Per client of ``trajectories``: the first and last score on ``scale`` by
    ``informant`` (by wave date, then assessment), their number and the lowest and highest
    score; one row per client, computed by the database (window functions over the stored
    scores, all over one window so that the rows are sorted once), so a page that needs
    only each client's change reads one row per client instead of every score. What is
    not stored yet is scored first, as in :func:`scores_for`, whose rows this summarises
    exactly.
    """
    from django.db.models import Max, Min, Window
    from django.db.models.expressions import RowRange
    from django.db.models.functions import FirstValue, LastValue, RowNumber

    assessments = Assessment.objects.filter(
        trajectory__in=trajectories,
        instrument__slug=instrument,
        status=Assessment.Status.COMPLETE,
        informant=informant,
    )
    store_scores(assessments, scale)
    client = F("assessment__trajectory__client_id")

    def over(expression: Any) -> Window:
        return Window(
            expression,
            partition_by=[client],
            order_by=[F("assessment__wave_date").asc(), F("assessment_id").asc()],
            frame=RowRange(start=None, end=None),
        )

    rows = list(
        StoredScore.objects.filter(
            scale=scale,
            value__isnull=False,
            assessment__trajectory__in=trajectories,
            assessment__instrument__slug=instrument,
            assessment__status=Assessment.Status.COMPLETE,
            assessment__informant=informant,
            completed_at=F("assessment__completed_at"),
        )
        .annotate(
            client_id=client,
            row=over(RowNumber()),
            first=over(FirstValue("value")),
            last=over(LastValue("value")),
            n=over(Count("pk")),
            low=over(Min("value")),
            high=over(Max("value")),
        )
        .filter(row=1)
        .values_list("client_id", "first", "last", "n", "low", "high")
    )
    frame = pd.DataFrame(rows, columns=["client_id", "first", "last", "n", "low", "high"])
    return frame.astype(
        {"first": float, "last": float, "n": int, "low": float, "high": float}
    ).set_index("client_id")


def outcome_info(study: Study, outcome: Outcome, version_ids: list[int]) -> OutcomeInfo:
    """Label, range, direction and norms of the outcome scale (of its most used version)."""
    if outcome.is_gas:
        return OutcomeInfo(
            _("goal attainment (GAS T-score)"), 20.0, 80.0, "better", None, ["professional"]
        )
    ids = pd.Series(version_ids).value_counts().index.tolist() if version_ids else []
    version = InstrumentVersion.objects.filter(pk__in=ids[:1]).first() or (
        InstrumentVersion.objects.filter(instrument__slug=outcome.instrument)
        .order_by("-pk")
        .first()
    )
    if version is None:
        return OutcomeInfo(outcome.scale)
    d = version.parsed
    try:
        s: Scale = d.scale(outcome.scale)
    except KeyError:
        return OutcomeInfo(outcome.scale)
    from werkplaats.core.i18n import current_language
    from werkplaats.stats.definition import pick_text

    low, high = d.scale_range(s)
    norms = None
    if s.norms is not None:
        norms = {"sd": s.norms.sd, "reliability": s.norms.reliability, "mean": s.norms.mean}
    label = pick_text(s.label, current_language()) or s.id
    title = str(version.instrument)
    return OutcomeInfo(
        f"{title}: {label}" if label.lower() not in title.lower() else title,
        low,
        high,
        s.higher_is,
        norms,
        list(d.informants),
        sorted({f"{version.label} ({version.short_hash})"}),
    )


def _gas_rows(study: Study) -> pd.DataFrame:
    return gas_rows(consenting_trajectories(study))


def gas_rows(trajectories: Any) -> pd.DataFrame:
    """The GAS T-score of every trajectory at every date a goal was scored, by the rule
    the trajectory page shows (``stats.gas.gas_at``): the goals set by that date, each at
    its latest level on or before it (a goal not scored yet at its starting level); a
    goal added later does not change an earlier T-score."""
    out = []
    records = goal_records_by_trajectory(trajectories)
    for tid, goals in records.items():
        for day in sorted({d for g in goals for d, _level in g.scores}):
            moment = gas_at(goals, day)
            if moment is not None:
                out.append((tid, day.isoformat(), day, "professional", moment.t_score))
    return pd.DataFrame(out, columns=["trajectory_id", "wave", "wave_date", "informant", "score"])


def measurements(study: Study, outcome: Outcome) -> pd.DataFrame:
    """The outcome's scores of consenting clients, every informant, one row each."""
    if outcome.is_gas:
        m = _gas_rows(study)
        m["version_id"] = np.nan
        m["version"] = ""
        return m
    m = scores_for(consenting_trajectories(study), outcome.instrument, outcome.scale)
    return m[["trajectory_id", "wave", "wave_date", "informant", "score", "version_id", "version"]]


def gas_last_per_trajectory(study: Study) -> pd.Series:
    """The GAS T-score at each trajectory's last scoring date, for the GAS summary."""
    g = _gas_rows(study)
    if g.empty:
        return pd.Series(dtype=float)
    return g.sort_values(["trajectory_id", "wave_date"]).groupby("trajectory_id")["score"].last()
