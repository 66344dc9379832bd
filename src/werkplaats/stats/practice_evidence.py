"""Practice-based evidence for a method: outcome change with and without it, per target
group, with fidelity as a moderator — descriptive and disclosure-controlled.

This is an *observational* comparison of the workplace's own data: who gets a method is
not random, so a difference here is a signal to study, not an effect. The study report
(a multilevel model with the plan's covariates) is where it is estimated properly.

Each client counts once (the caller passes one row per client). The arms are disjoint,
so the table's margins add up and :mod:`werkplaats.stats.sdc` can protect it:

* ``high``: the method, fidelity recorded, mean share of checklist items done at least
  ``high_fidelity`` (0.8);
* ``low``: the method, fidelity recorded, below that;
* ``unrecorded``: the method, no fidelity recorded;
* ``without``: a comparable trajectory without the method (the caller chooses which:
  the same target groups).

Examples
--------
>>> import pandas as pd
>>> rows = pd.DataFrame({
...     "client": [f"c{i}" for i in range(40)],
...     "group": ["elderly"] * 40,
...     "arm": ["method"] * 20 + ["without"] * 20,
...     "fidelity": [0.9] * 10 + [0.5] * 10 + [None] * 20,
...     "change": [4.0] * 10 + [2.0] * 10 + [1.0] * 20,
... })
>>> e = practice_evidence(rows)
>>> e.means.loc["elderly", "high"], e.means.loc["elderly", "low"], e.means.loc["elderly", "without"]
(4.0, 2.0, 1.0)
>>> e.difference.loc["elderly", "method"]
2.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from werkplaats.stats.sdc import TOTAL, ProtectedTable, protect_means, protect_table

ARMS = ["high", "low", "unrecorded", "without"]
HIGH_FIDELITY = 0.8


@dataclass(frozen=True)
class PracticeEvidence:
    """The protected table: counts (rounded, None where suppressed) and mean change (None
    where hidden), rows per target group plus ``total``, columns the ``ARMS`` that hold
    clients plus ``total``;
    ``difference``: mean change with the method (all its arms) minus without, per group,
    shown only where both means may be shown."""

    counts: ProtectedTable
    means: pd.DataFrame
    difference: pd.DataFrame
    clients: int


def arm_of(arm: str, fidelity: float | None, high_fidelity: float = HIGH_FIDELITY) -> str:
    """The column a trajectory falls in.

    >>> arm_of("method", 0.85), arm_of("method", 0.5), arm_of("method", None)
    ('high', 'low', 'unrecorded')
    >>> arm_of("without", None)
    'without'
    """
    if arm != "method":
        return "without"
    if fidelity is None or (isinstance(fidelity, float) and np.isnan(fidelity)):
        return "unrecorded"
    return "high" if fidelity >= high_fidelity else "low"


def practice_evidence(
    rows: pd.DataFrame,
    *,
    threshold: int = 10,
    high_fidelity: float = HIGH_FIDELITY,
    value_range: tuple[float, float] | None = None,
) -> PracticeEvidence:
    """Mean outcome change per target group and arm, protected.

    ``rows``: one per client, with ``client``, ``group`` (target group), ``arm``
    (``method`` or ``without``), ``fidelity`` (mean share of items done, or missing) and
    ``change`` (last minus first score). ``value_range``: the lowest and highest change
    possible, for the audit of hidden means.
    """
    if rows["client"].duplicated().any():
        raise ValueError("Each client counts once: pass one row per client.")
    r = rows.copy()
    r["column"] = [
        arm_of(a, f, high_fidelity)
        for a, f in zip(r["arm"], r["fidelity"].astype(float), strict=True)
    ]
    groups = sorted(r["group"].unique())
    # an arm nobody is in (e.g. no fidelity recorded anywhere) is left out: its zeros are
    # structural, and as small cells they would only hide the arms that hold clients
    arms = [a for a in ARMS if (r["column"] == a).any()]
    counts = (
        r.pivot_table(index="group", columns="column", values="client", aggfunc="count")
        .reindex(index=groups, columns=arms)
        .fillna(0)
    )
    table = protect_table(counts, threshold=threshold)
    sums = (
        r.pivot_table(index="group", columns="column", values="change", aggfunc="sum")
        .reindex(index=groups, columns=arms)
        .fillna(0.0)
    )
    full_sums = sums.copy()
    full_sums[TOTAL] = full_sums.sum(axis=1)
    full_sums.loc[TOTAL] = full_sums.sum(axis=0)
    full_n = counts.copy()
    full_n[TOTAL] = full_n.sum(axis=1)
    full_n.loc[TOTAL] = full_n.sum(axis=0)
    means = full_sums / full_n.replace(0, np.nan)
    shown = protect_means(means, table, full_n, digits=2, value_range=value_range)
    method_arms = [a for a in ("high", "low", "unrecorded") if a in arms]
    difference = pd.DataFrame(index=[*groups, TOTAL], columns=["method", "high", "low"])
    with_n = full_n[method_arms].sum(axis=1)
    with_mean = full_sums[method_arms].sum(axis=1) / with_n.replace(0, np.nan)
    for g in difference.index:
        without = shown.loc[g, "without"] if "without" in arms else None
        # the method's mean over its arms, shown only where each of its arms is shown
        # (or empty), so no hidden arm's mean follows from it
        arms_ok = all(shown.loc[g, a] is not None or full_n.loc[g, a] == 0 for a in method_arms)
        difference.loc[g, "method"] = (
            round(float(with_mean[g]) - float(without), 2)
            if without is not None and arms_ok and with_n[g] >= threshold
            else None
        )
        for a in ("high", "low"):
            value = shown.loc[g, a] if a in arms else None
            difference.loc[g, a] = (
                round(float(value) - float(without), 2)
                if value is not None and without is not None
                else None
            )
    return PracticeEvidence(table, shown, difference, int(len(r)))
