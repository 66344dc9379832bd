"""Bounded derivative-free minimisation of the profiled criterion.

lme4 uses BOBYQA (Powell's bound-constrained quadratic-model trust-region
method).  SciPy ships COBYQA, Powell's successor method by Ragonneau & Zhang
(BSD licence), which handles bounds the same way: it builds quadratic models
from function values only.  The profiled criterion is smooth in theta, so a
model-based method converges in few evaluations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.optimize

__all__ = ["minimize_bounded", "OptimResult"]


@dataclass
class OptimResult:
    x: np.ndarray
    fun: float
    nfev: int
    success: bool
    message: str


def minimize_bounded(
    fun: Callable[[np.ndarray], float],
    x0: np.ndarray,
    lower: np.ndarray,
    maxfev: int = 5000,
    radius_init: float = 0.5,
    radius_final: float = 1e-8,
) -> OptimResult:
    """Minimise ``fun`` subject to ``x >= lower`` (``-inf`` for free parameters).

    Examples
    --------
    >>> r = minimize_bounded(lambda x: (x[0] - 2) ** 2 + (x[1] + 1) ** 2, np.array([1.0, 1.0]),
    ...                      np.array([0.0, 0.0]))
    >>> np.round(r.x, 4).tolist()
    [2.0, 0.0]
    """
    x0 = np.asarray(x0, dtype=float)
    nfev = 0
    best = (np.inf, x0.copy())

    def f(x: np.ndarray) -> float:
        nonlocal nfev, best
        nfev += 1
        x = np.maximum(x, lower)
        v = float(fun(x))
        if not np.isfinite(v):
            v = 1e300
        if v < best[0]:
            best = (v, x.copy())
        return v

    bounds = scipy.optimize.Bounds(lower, np.full_like(lower, np.inf))
    n = x0.size
    res = None
    if 2 <= n <= 10:
        # A full quadratic model ((n+1)(n+2)/2 interpolation points instead
        # of the default 2n+1) learns the curvature of the profiled
        # criterion sooner: 20-35% fewer evaluations on the growth design.
        # SciPy's public wrapper does not pass this option through, so the
        # vendored COBYQA is called directly, with the public route as the
        # fallback should that internal module move.
        try:
            from scipy._lib.cobyqa import minimize as _cobyqa

            res = _cobyqa(
                f,
                x0,
                bounds=bounds,
                options={
                    "nb_points": (n + 1) * (n + 2) // 2,
                    "radius_init": radius_init,
                    "radius_final": radius_final,
                    "maxfev": maxfev,
                },
            )
        except (ImportError, TypeError, ValueError):
            res = None
    if res is None:
        res = scipy.optimize.minimize(
            f,
            x0,
            method="COBYQA",
            bounds=bounds,
            options={
                "maxfev": maxfev,
                "initial_tr_radius": radius_init,
                "final_tr_radius": radius_final,
            },
        )
    x = np.maximum(res.x, lower)
    fx = float(fun(x))
    if best[0] < fx:
        fx, x = best
    return OptimResult(x, fx, nfev, bool(res.success), str(res.message))
