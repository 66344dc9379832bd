"""glmer's two optimisation stages, lme4's finite-difference Hessian and the R_X covariance.

Part of :func:`werkplaats.stats.multilevel.fit_glmm` (glmm.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.linalg

from .optimize import minimize_bounded
from .pirls import GlmmProblem, PirlsState


def _deriv12(
    fun: Callable[[np.ndarray], float], x: np.ndarray, lower: np.ndarray, delta: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian by central differences, as lme4's ``deriv12`` (same steps)."""
    nx = x.size
    f0 = fun(x)
    ud = np.full(nx, delta)
    ld = np.where(np.isfinite(lower) & (x - delta < lower), x - lower, delta)
    H = np.zeros((nx, nx))
    g = np.zeros(nx)

    def at(*mods: tuple[int, float]) -> float:
        xx = x.copy()
        for i, v in mods:
            xx[i] = v
        return fun(xx)

    for j in range(nx):
        fa = at((j, x[j] + ud[j]))
        fs = at((j, x[j] - ld[j]))
        with np.errstate(divide="ignore", invalid="ignore"):
            H[j, j] = fa / ud[j] ** 2 - 2 * f0 / (ud[j] * ld[j]) + fs / ld[j] ** 2
        g[j] = (fa - fs) / (ud[j] + ld[j])
        for i in range(j):
            faa = at((i, x[i] + ud[i]), (j, x[j] + ud[j]))
            fas = at((i, x[i] + ud[i]), (j, x[j] - ld[j]))
            fsa = at((i, x[i] - ld[i]), (j, x[j] + ud[j]))
            fss = at((i, x[i] - ld[i]), (j, x[j] - ld[j]))
            with np.errstate(divide="ignore", invalid="ignore"):
                H[i, j] = H[j, i] = (faa - fas - fsa + fss) / ((ud[i] + ld[i]) * (ud[j] + ld[j]))
    return g, H


def _optimize(
    prob: GlmmProblem, nagq: int, maxfev: int
) -> tuple[np.ndarray, np.ndarray, PirlsState, dict[str, Any]]:
    lower_t = prob.lower
    x0 = np.where(np.isfinite(lower_t), 1.0, 0.0)

    def dev0(th: np.ndarray) -> float:
        return prob.pirls(th, None).objective

    r1 = minimize_bounded(
        dev0, x0, lower_t, maxfev=maxfev, radius_init=0.2, radius_final=1e-7 if nagq else 1e-8
    )
    theta = np.maximum(r1.x, lower_t)
    st = prob.pirls(theta, None)
    beta = st.beta.copy()
    nt = theta.size
    info: dict[str, object] = {"stage1_nfev": r1.nfev, "stage1_success": r1.success}
    if nagq == 0:
        g, H = _deriv12(dev0, theta, lower_t)
        info.update(nfev=r1.nfev, success=r1.success, message=r1.message, gradient=g, hessian=H)
        st = prob.pirls(theta, None)
        return theta, beta, st, info
    # Stage 2: (theta, beta) on the Laplace / AGQ deviance, beta scaled by its
    # R_X standard errors so that one trust-region radius suits all parameters.
    scale = np.sqrt(np.diag(_vcov_rx(prob, theta, st)))
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    lower = np.concatenate([lower_t, np.full(beta.size, -np.inf)])

    def dev(x: np.ndarray) -> float:
        return prob.deviance(x[:nt], x[nt:], nagq)

    def dev_scaled(t: np.ndarray) -> float:
        return prob.deviance(t[:nt], beta + scale * t[nt:], nagq)

    r2 = minimize_bounded(
        dev_scaled,
        np.concatenate([theta, np.zeros(beta.size)]),
        lower,
        maxfev=maxfev,
        radius_init=0.1,
        radius_final=1e-8,
    )
    xs = r2.x
    x = np.concatenate([np.maximum(xs[:nt], lower_t), beta + scale * xs[nt:]])
    g, H = _deriv12(dev, x, lower)
    info.update(
        nfev=r1.nfev + r2.nfev, success=r2.success, message=r2.message, gradient=g, hessian=H
    )
    theta, beta = x[:nt], x[nt:]
    st = prob.pirls(theta, beta)
    return theta, beta, st, info


def _vcov_rx(prob: GlmmProblem, theta: np.ndarray, st: PirlsState) -> np.ndarray:
    """(R_X' R_X)^-1 with the working weights at the conditional modes (lme4's ``unsc()``)."""
    fam = prob.family
    me = fam.mu_eta(st.eta)
    w = prob.wt * me * me / fam.variance(st.mu)
    sw = np.sqrt(w)
    z = st.eta - prob.offset + (prob.y - st.mu) / me
    prob.full.reweight(sw, np.column_stack([prob.X * sw[:, None], sw * z]))
    fct = prob.full.factor(theta, keep=True)
    if fct is None or fct.rx is None:
        return np.full((prob.p, prob.p), np.nan)
    p = prob.p
    RXt = fct.rx
    RXinv = scipy.linalg.solve_triangular(RXt, np.eye(p), lower=True)
    return cast("np.ndarray", RXinv.T @ RXinv)
