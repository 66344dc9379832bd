"""Working factors as mediators: the product-of-coefficients indirect effect.

Two regressions by ordinary least squares (Baron & Kenny's paths; MacKinnon, 2008):

* path *a*: ``mediator ~ exposure + covariates``
* paths *b* and *c'*: ``outcome ~ mediator + exposure + covariates``

The indirect effect is ``a·b``, the direct effect ``c'``, the total ``a·b + c'``. The
interval for ``a·b`` comes from a (cluster) bootstrap with percentiles (Preacher & Hayes,
2008); the Sobel (delta-method) standard error is reported beside it.

What this can and cannot show: with observational data, ``a·b`` is the part of the
association between exposure and outcome that runs *statistically* through the mediator.
It is a causal indirect effect only if there is no unmeasured confounding of exposure–
outcome, exposure–mediator and mediator–outcome, and no confounder of the mediator–outcome
relation is itself affected by the exposure (VanderWeele, 2015). Professionals choose
methods and clients with good alliances may differ from the start; a mediation estimate
points to a mechanism worth testing, not to proof of one.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> x = rng.integers(0, 2, 400).astype(float)
>>> m = 0.5 * x + rng.normal(size=400)
>>> y = 0.4 * m + 0.1 * x + rng.normal(size=400)
>>> r = mediation(pd.DataFrame({"x": x, "m": m, "y": y}), "x", "m", "y", n_boot=200, seed=1)
>>> round(r.a, 2), round(r.b, 2), r.boot_low < r.indirect < r.boot_high
(0.3, 0.45, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class MediationResult:
    exposure: str
    mediator: str
    outcome: str
    n: int
    a: float
    a_se: float
    b: float
    b_se: float
    direct: float
    direct_se: float
    indirect: float
    sobel_se: float
    boot_low: float
    boot_high: float
    n_boot: int
    clusters: int | None

    @property
    def total(self) -> float:
        return self.indirect + self.direct

    @property
    def sobel_low(self) -> float:
        return self.indirect - 1.959964 * self.sobel_se

    @property
    def sobel_high(self) -> float:
        return self.indirect + 1.959964 * self.sobel_se

    @property
    def sobel_p(self) -> float:
        z = self.indirect / self.sobel_se if self.sobel_se > 0 else math.inf
        return float(2 * stats.norm.sf(abs(z)))


def _ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    df = X.shape[0] - X.shape[1]
    sigma2 = float(resid @ resid) / df
    cov = sigma2 * np.linalg.pinv(X.T @ X)
    return beta, np.sqrt(np.diag(cov))


def mediation(
    data: pd.DataFrame,
    exposure: str,
    mediator: str,
    outcome: str,
    covariates: Sequence[str] = (),
    *,
    cluster: str | None = None,
    n_boot: int = 1000,
    seed: int = 1,
) -> MediationResult:
    """Indirect effect of ``exposure`` on ``outcome`` through ``mediator``.

    With ``cluster`` the bootstrap resamples whole clusters (professionals, say), so the
    interval respects that clients of one professional are alike.
    """
    cols = [exposure, mediator, outcome, *covariates] + ([cluster] if cluster else [])
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ValueError(f"Columns not in the data: {missing}")
    d = data[cols].dropna()
    n = len(d)
    k = 3 + len(covariates)
    if n < max(20, 5 * k):
        raise ValueError(
            f"A mediation analysis needs at least {max(20, 5 * k)} complete rows, not {n}."
        )
    ones = np.ones(n)
    x = d[exposure].to_numpy(float)
    m = d[mediator].to_numpy(float)
    y = d[outcome].to_numpy(float)
    cov = d[list(covariates)].to_numpy(float) if covariates else np.empty((n, 0))
    Xa = np.column_stack([ones, x, cov])
    Xb = np.column_stack([ones, m, x, cov])
    if np.linalg.matrix_rank(Xa) < Xa.shape[1] or np.linalg.matrix_rank(Xb) < Xb.shape[1]:
        raise ValueError("The exposure, mediator and covariates are collinear (or constant).")
    ba, sa = _ols(Xa, m)
    bb, sb = _ols(Xb, y)
    a, b, direct = float(ba[1]), float(bb[1]), float(bb[2])
    sobel = math.sqrt(b**2 * sa[1] ** 2 + a**2 * sb[1] ** 2)

    rng = np.random.default_rng(seed)
    if cluster:
        codes, uniques = pd.factorize(d[cluster])
        members = [np.flatnonzero(codes == g) for g in range(len(uniques))]
        n_clusters: int | None = len(uniques)
    else:
        n_clusters = None
    draws = np.empty(n_boot)
    for r in range(n_boot):
        if cluster:
            picked = rng.integers(0, len(members), len(members))
            idx = np.concatenate([members[g] for g in picked])
        else:
            idx = rng.integers(0, n, n)
        ra, *_ = np.linalg.lstsq(Xa[idx], m[idx], rcond=None)
        rb, *_ = np.linalg.lstsq(Xb[idx], y[idx], rcond=None)
        draws[r] = ra[1] * rb[1]
    low, high = np.quantile(draws, [0.025, 0.975])
    return MediationResult(
        exposure,
        mediator,
        outcome,
        n,
        a,
        float(sa[1]),
        b,
        float(sb[1]),
        direct,
        float(sb[2]),
        a * b,
        sobel,
        float(low),
        float(high),
        n_boot,
        n_clusters,
    )
