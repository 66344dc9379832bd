"""Internal consistency of a scale: Cronbach's alpha and McDonald's omega, with intervals.

Input is one row per respondent and one column per item (item scores after reversal, as
:func:`werkplaats.stats.scoring.score` computes them). Respondents with a missing item are
left out (listwise); the result says how many were used.

* **Cronbach's alpha** (raw, from covariances): k/(k-1) (1 - sum of item variances /
  variance of the sum). Interval of Feldt (1965; Feldt, Woodruff & Salih 1987): (1 - alpha)
  times an F quantile with n - 1 and (n - 1)(k - 1) degrees of freedom, as
  ``psych::alpha`` prints it ("95% confidence boundaries (Feldt)").
* **McDonald's omega total** from a one-factor model of the item correlations, fitted by
  minimum residuals (unweighted least squares: the iterated principal-axis solution), as
  ``psych::omega(x, nfactors = 1)``: omega = 1 - sum(uniquenesses) / sum(R), with R the
  correlation matrix. psych gives no interval; this module gives a percentile bootstrap
  interval (respondents resampled, a fixed seed so the result is reproducible), which
  Kelley & Pornprasertmanit (2016, *Psychological Methods* 21(1)) found to cover well.

``tests/stats/reference/reliability.R`` (psych 2.2.9) produced the reference values in
``tests/stats/reference/reliability.csv`` for the simulated items beside it.

Examples
--------
>>> items = [[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [5, 4, 4], [2, 3, 2]]
>>> a = cronbach_alpha(items)
>>> round(a.estimate, 4), a.n, a.k
(0.9062, 6, 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["Reliability", "cronbach_alpha", "mcdonald_omega"]


@dataclass(frozen=True)
class Reliability:
    """A reliability coefficient with its interval and how both were computed."""

    name: str
    estimate: float
    low: float
    high: float
    n: int
    k: int
    interval: str
    level: float = 0.95


def _items(items: Sequence[Sequence[float | None]] | np.ndarray) -> np.ndarray:
    x = np.asarray(
        [[np.nan if v is None else float(v) for v in row] for row in items]
        if not isinstance(items, np.ndarray)
        else items,
        dtype=float,
    )
    if x.ndim != 2:
        raise ValueError("Items must be a table: one row per respondent, one column per item.")
    if not np.all(np.isfinite(x) | np.isnan(x)):
        raise ValueError("Item scores must be finite numbers.")
    x = np.asarray(x[~np.isnan(x).any(axis=1)])
    n, k = x.shape
    if k < 2:
        raise ValueError(f"A reliability coefficient needs at least 2 items, not {k}.")
    if n < 3:
        raise ValueError(
            f"A reliability coefficient needs at least 3 respondents who answered every item, not {n}."
        )
    constant = [j + 1 for j in range(k) if np.ptp(x[:, j]) == 0]
    if constant:
        raise ValueError(
            "Items without variation (every respondent gave the same score): "
            + ", ".join(f"item {j}" for j in constant)
            + "; leave them out of the reliability analysis."
        )
    return x


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    cov = np.cov(x, rowvar=False)
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def cronbach_alpha(
    items: Sequence[Sequence[float | None]] | np.ndarray, level: float = 0.95
) -> Reliability:
    """Cronbach's alpha (raw) with Feldt's interval."""
    x = _items(items)
    n, k = x.shape
    alpha = _alpha(x)
    tail = (1 - level) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * float(stats.f.ppf(1 - tail, df1, df2))
    high = 1 - (1 - alpha) * float(stats.f.ppf(tail, df1, df2))
    return Reliability("alpha", alpha, low, high, n, k, "Feldt", level)


def _one_factor_uniquenesses(r: np.ndarray) -> np.ndarray:
    """Uniquenesses of the one-factor minimum-residual (ULS) solution for correlations r.

    The loadings minimise the sum of squared off-diagonal residuals r_ij - l_i l_j
    (psych's ``fm = "minres"``), solved by Gauss-Newton (scipy's least squares, exact
    Jacobian) from the principal-axis start.
    """
    k = r.shape[0]
    rows, cols = np.triu_indices(k, 1)
    target = r[rows, cols]
    values, vectors = np.linalg.eigh(r)
    start = vectors[:, -1] * np.sqrt(values[-1])
    if start.sum() < 0:
        start = -start

    def residuals(loadings: np.ndarray) -> np.ndarray:
        return np.asarray(loadings[rows] * loadings[cols] - target)

    def jacobian(loadings: np.ndarray) -> np.ndarray:
        jac = np.zeros((rows.size, k))
        pairs = np.arange(rows.size)
        jac[pairs, rows] = loadings[cols]
        jac[pairs, cols] = loadings[rows]
        return jac

    fit = optimize.least_squares(
        residuals, start, jac=jacobian, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15
    )
    return np.asarray(1 - fit.x**2)


def _omega(x: np.ndarray) -> float:
    r = np.corrcoef(x, rowvar=False)
    return float(1 - _one_factor_uniquenesses(r).sum() / r.sum())


def mcdonald_omega(
    items: Sequence[Sequence[float | None]] | np.ndarray,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 20261207,
) -> Reliability:
    """McDonald's omega total from a one-factor model, with a percentile bootstrap interval.

    Bootstrap samples in which an item happens to be constant are skipped (and drawn
    anew), so every interval rests on ``n_boot`` estimates.
    """
    x = _items(items)
    n, k = x.shape
    omega = _omega(x)
    rng = np.random.default_rng(seed)
    draws: list[float] = []
    attempts = 0
    while len(draws) < n_boot and attempts < 10 * n_boot:
        attempts += 1
        sample = x[rng.integers(0, n, n)]
        if np.any(np.ptp(sample, axis=0) == 0):
            continue
        draws.append(_omega(sample))
    if len(draws) < n_boot:
        raise ValueError("Too few distinct respondents for a bootstrap interval of omega.")
    tail = (1 - level) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Reliability("omega", omega, float(low), float(high), n, k, "percentile bootstrap", level)
