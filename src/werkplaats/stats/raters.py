"""Multi-actor agreement: intraclass correlations and Bland–Altman limits of agreement.

Client, professional and network member rate the same construct for the same client.
The ICCs follow Shrout & Fleiss (1979) from a two-way ANOVA of complete targets × raters;
the intervals follow McGraw & Wong (1996). Bland & Altman (1986, 1999) give the mean
difference between two informants and the range that holds 95% of the differences.

Examples
--------
Shrout & Fleiss (1979), Table 2: six targets, four judges.

>>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
>>> r = icc(sf)
>>> round(r.icc1, 2), round(r.icc2, 2), round(r.icc3, 2)
(0.17, 0.29, 0.71)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class IccResult:
    """ICC(1,1) one-way, ICC(2,1) absolute agreement, ICC(3,1) consistency; n targets, k raters."""

    icc1: float
    icc2: float
    icc3: float
    icc3_low: float
    icc3_high: float
    n: int
    k: int


def icc(ratings: Sequence[Sequence[float]] | np.ndarray, level: float = 0.95) -> IccResult:
    """ICCs from a targets × raters matrix; rows with a missing rating are dropped."""
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("Ratings must be a table: one row per target, one column per rater.")
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 3 or k < 2:
        raise ValueError(f"An ICC needs at least 3 complete targets and 2 raters (got {n}, {k}).")
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    icc1 = (msr - msw) / (msr + (k - 1) * msw)
    icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = (msr - mse) / (msr + (k - 1) * mse)
    alpha = 1 - level
    f = msr / mse if mse > 0 else math.inf
    df1, df2 = n - 1, (n - 1) * (k - 1)
    fl = f / stats.f.ppf(1 - alpha / 2, df1, df2)
    fu = f * stats.f.ppf(1 - alpha / 2, df2, df1)
    return IccResult(
        float(icc1),
        float(icc2),
        float(icc3),
        float((fl - 1) / (fl + k - 1)),
        float((fu - 1) / (fu + k - 1)),
        n,
        k,
    )


@dataclass(frozen=True)
class BlandAltman:
    """Mean difference (a − b), its SD, the 95% limits and the intervals around them."""

    bias: float
    sd: float
    lower: float
    upper: float
    lower_low: float
    upper_high: float
    bias_low: float
    bias_high: float
    n: int


def bland_altman(a: Sequence[float], b: Sequence[float], z: float = 1.96) -> BlandAltman:
    """Limits of agreement between two informants' scores of the same targets.

    >>> ba = bland_altman([10, 12, 14, 11], [9, 12, 12, 12])
    >>> round(ba.bias, 2), round(ba.lower, 2), round(ba.upper, 2)
    (0.5, -2.03, 3.03)
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("Both informants need a score for the same targets.")
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    n = int(d.size)
    if n < 3:
        raise ValueError(f"Limits of agreement need at least 3 paired scores, not {n}.")
    bias = float(d.mean())
    sd = float(d.std(ddof=1))
    t = float(stats.t.ppf(0.975, n - 1))
    se_bias = sd / math.sqrt(n)
    se_limit = sd * math.sqrt(1 / n + z**2 / (2 * (n - 1)))
    return BlandAltman(
        bias,
        sd,
        bias - z * sd,
        bias + z * sd,
        bias - z * sd - t * se_limit,
        bias + z * sd + t * se_limit,
        bias - t * se_bias,
        bias + t * se_bias,
        n,
    )


def discrepancy_by_group(
    frame: pd.DataFrame, a: str, b: str, group: str, min_n: int = 10
) -> pd.DataFrame:
    """Mean difference ``a − b`` per group with a 95% t interval; groups under ``min_n`` out.

    A systematic discrepancy (the professional rates frail elderly lower than they rate
    themselves, say) shows as an interval that excludes 0 in one group and not in others.
    """
    rows = []
    for value, sub in frame.dropna(subset=[a, b]).groupby(group, observed=True):
        d = (sub[a] - sub[b]).to_numpy(dtype=float)
        n = d.size
        if n < min_n:
            continue
        mean = float(d.mean())
        se = float(d.std(ddof=1) / math.sqrt(n))
        t = float(stats.t.ppf(0.975, n - 1))
        rows.append(
            {
                group: value,
                "n": n,
                "mean_difference": mean,
                "low": mean - t * se,
                "high": mean + t * se,
            }
        )
    return pd.DataFrame(rows, columns=[group, "n", "mean_difference", "low", "high"])
