"""Effect sizes with confidence intervals, for pre-post change and group contrasts.

Intervals for a standardised mean difference use the noncentral t distribution
(Steiger & Fouladi, 1997; Cumming & Finch, 2001): the interval for the noncentrality
parameter is found by inverting the noncentral t cdf, then rescaled. This is exact under
normality, unlike the common large-sample approximation.

Examples
--------
>>> d = paired_effect([10, 12, 9, 14, 11, 13, 10, 12], [12, 15, 9, 17, 13, 15, 12, 14])
>>> round(d.estimate, 3), round(d.low, 3), round(d.high, 3)
(2.16, 0.836, 3.447)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class Effect:
    """An effect size with its interval and what it measures."""

    name: str
    estimate: float
    low: float
    high: float
    n: int
    mean_difference: float
    level: float = 0.95


def _ncp_interval(t: float, df: float, level: float) -> tuple[float, float]:
    """The interval for the noncentrality parameter of a t statistic ``t`` with ``df``."""
    alpha = 1 - level

    def solve(target: float) -> float:
        def f(ncp: float) -> float:
            return float(stats.nct.cdf(t, df, ncp)) - target

        span = max(10.0, 2 * abs(t) + 10)
        return float(optimize.brentq(f, t - span, t + span, xtol=1e-10))

    return solve(1 - alpha / 2), solve(alpha / 2)


def paired_effect(before: Sequence[float], after: Sequence[float], level: float = 0.95) -> Effect:
    """Standardised mean change d_z = mean(after - before) / sd(after - before).

    Rows with a missing value on either side are dropped. Needs at least three pairs
    and some variation in the differences.
    """
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    if b.shape != a.shape:
        raise ValueError("before and after must have the same length.")
    keep = ~(np.isnan(a) | np.isnan(b))
    diff = a[keep] - b[keep]
    n = int(diff.size)
    if n < 3:
        raise ValueError(f"An effect size needs at least 3 complete pairs, not {n}.")
    sd = float(diff.std(ddof=1))
    if sd == 0:
        raise ValueError("All differences are equal; a standardised effect is undefined.")
    mean = float(diff.mean())
    d = mean / sd
    t = d * math.sqrt(n)
    lo, hi = _ncp_interval(t, n - 1, level)
    return Effect("d_z", d, lo / math.sqrt(n), hi / math.sqrt(n), n, mean, level)


def group_effect(treated: Sequence[float], control: Sequence[float], level: float = 0.95) -> Effect:
    """Hedges' g for two independent groups (pooled SD, small-sample correction J).

    The interval is the noncentral t interval for Cohen's d, multiplied by J.
    """
    x = np.asarray(treated, dtype=float)
    y = np.asarray(control, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    n1, n2 = int(x.size), int(y.size)
    if n1 < 2 or n2 < 2:
        raise ValueError(f"Each group needs at least 2 values (got {n1} and {n2}).")
    df = n1 + n2 - 2
    pooled = math.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / df)
    if pooled == 0:
        raise ValueError("No variation within the groups; a standardised effect is undefined.")
    mean = float(x.mean() - y.mean())
    d = mean / pooled
    j = math.exp(math.lgamma(df / 2) - math.log(math.sqrt(df / 2)) - math.lgamma((df - 1) / 2))
    scale = math.sqrt(1 / n1 + 1 / n2)
    lo, hi = _ncp_interval(d / scale, df, level)
    return Effect("g", j * d, j * lo * scale, j * hi * scale, n1 + n2, mean, level)
