"""What keeps two studies' data apart, so that a client in both cannot be found again by
joining the two exports (docs/security.md, "No linkage between studies").

Every key is already a keyed hash per study (``core.pseudonyms``), and an export holds
only its plan's columns. What is left to join on are the values themselves. So when
another study with an analysis plan (and so with exports) shares clients with this one,
before this study's analysis runs (its export is exactly what the analysis ran on, and
so stays reproducible from it):

* **time** is counted in whole months since the trajectory started, never days: the
  days between visits are a fingerprint, the month of the wave is not;
* **per-client values that are not whole numbers** (shares, means of the alliance
  check, contacts per month) are rounded to a step (shares to 0.1, others to 0.25), and
  **age** to 5 years: an exact fraction such as 7/13 of contacts by video is unique.
  Counts (network sizes) stay whole numbers; a professional's shares (the same for all
  their clients) and context values (a team's, an organisation's) are not per client;
* **a client's outcome series is in one study's data only**: when an earlier study
  (by start date, then number) whose current plan has the same outcome (instrument
  and scale, or goal attainment) holds the client too, their series of that outcome is
  left out of this study's data and the report says how many. A sequence of scores of
  the same measure on the same dates is as good as a name: no rounding or noise small
  enough to keep the analysis useful stops it from matching (see the docs).

Coarsening one side is enough: whoever joins can round the finer export, but no more
than the coarser one allows. A study that shares no clients with another planned study
keeps exact values (nothing to join them with).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from werkplaats.insight.models import AnalysisPlan
from werkplaats.insight.plan import Plan
from werkplaats.programme.models import Study

DAYS_PER_MONTH = 365.25 / 12
SHARE_STEP = 0.1
OTHER_STEP = 0.25
AGE_STEP = 5
PER_CLIENT_LEVELS = ("client", "process")


def months_since_start(wave_date: pd.Series, start: pd.Series) -> pd.Series:
    """Years since the start in whole months (a month is 1/12 year)."""
    days = (pd.to_datetime(wave_date) - pd.to_datetime(start)).dt.days
    return (days / DAYS_PER_MONTH).round() / 12


def step_for(name: str) -> float:
    if name == "age_at_start":
        return AGE_STEP
    return SHARE_STEP if "share" in name else OTHER_STEP


def coarsen(frame: pd.DataFrame, variables: dict[str, Any]) -> pd.DataFrame:
    """The frame with each per-client number of the catalogue rounded to its step (age
    always; other whole numbers, such as network sizes, are left as they are)."""
    out = frame.copy()
    for name in out.columns:
        v = variables.get(name)
        if v is None or v.kind != "number" or v.level not in PER_CLIENT_LEVELS:
            continue
        if name.startswith("professional_"):  # the professional's, the same for all their clients
            continue
        values = pd.to_numeric(out[name], errors="coerce").astype(float)
        known = values.dropna()
        if name != "age_at_start" and bool((known == known.round()).all()):
            continue
        step = step_for(name)
        out[name] = np.round(np.round(values / step) * step, 10)
    return out


def _outcome_key(content: dict[str, Any]) -> tuple[str, str]:
    outcome = content.get("outcome")
    if isinstance(outcome, str):
        return (outcome, "")
    if isinstance(outcome, dict):
        return (str(outcome.get("instrument", "")), str(outcome.get("scale", "")))
    return ("", "")


@dataclass(frozen=True)
class Protection:
    """What a study's data need so that they cannot be joined with another study's."""

    coarsen: bool = False  # another study with an analysis plan shares clients with it
    withheld: frozenset[int] = frozenset()  # trajectories whose series an earlier study holds
    withheld_for: tuple[Study, ...] = ()


def years_since_start(wave_date: pd.Series, start: pd.Series) -> pd.Series:
    return (pd.to_datetime(wave_date) - pd.to_datetime(start)).dt.days / 365.25


def protection(study: Study, plan: Plan, consenting: Any) -> Protection:
    """How this study's data are protected: coarsened when another study with an analysis
    plan (so with exports) shares consenting clients with it; and without the series of
    its outcome that an earlier such study (by start date, then number) with the same
    outcome holds. ``consenting(study)``: the trajectories of clients whose consent for
    that study stands."""
    latest: dict[int, AnalysisPlan] = {}
    for row in (
        AnalysisPlan.objects.exclude(study=study)
        .select_related("study")
        .order_by("study_id", "-version")
    ):
        latest.setdefault(row.study_id, row)
    if not latest:
        return Protection()
    ours = consenting(study).values("pk")
    key = (plan.outcome.instrument, "" if plan.outcome.is_gas else plan.outcome.scale)
    coarse = False
    withheld: set[int] = set()
    holding = []
    for row in sorted(latest.values(), key=lambda r: (r.study.start, r.study_id)):
        other = row.study
        shared = consenting(other).filter(pk__in=ours)
        if not shared.exists():
            continue
        coarse = True
        earlier = (other.start, other.pk) < (study.start, study.pk)
        if earlier and _outcome_key(row.content) == key:
            holding.append(other)
            withheld |= set(shared.values_list("pk", flat=True))
    return Protection(coarse, frozenset(withheld), tuple(holding))
