"""glmer's two optimisation stages, lme4's finite-difference Hessian and the R_X covariance.

Part of :func:`werkplaats.stats.multilevel.fit_glmm` (glmm.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import scipy.linalg

from .blocks import ReBlock
from .laplace_gradient import has_gradient, laplace_gradient
from .optimize import minimize_bounded
from .pirls import GlmmProblem, PirlsState

# Stage 2 with the exact gradient stops when the predicted decrease of the
# deviance (the Newton decrement g'H^-1 g) is below this: in the scaled
# coordinates, where one unit is about one standard error, the estimates are
# then within about 1e-5 standard errors of the optimum.
NEWTON_TOL = 1e-11
STAGE1_RADIUS = 0.1
STAGE1_MAXFEV = 10000
# Step of the central differences of the gradient for the Hessian (lme4's deriv12 step).
HESS_STEP = 1e-4
# With the exact gradient, data whose largest factor has at least this many levels
# start stage 2 from a fit on a subsample of those levels (WARM_FRACTION of them, at
# least WARM_MIN_LEVELS) instead of running stage 1 on all the data.
WARM_LEVELS = 10000
WARM_FRACTION = 0.05
WARM_MIN_LEVELS = 2000


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
    prob: GlmmProblem, nagq: int, maxfev: int, final_hessian: bool = True
) -> tuple[np.ndarray, np.ndarray, PirlsState, dict[str, Any]]:
    lower_t = prob.lower
    x0 = np.where(np.isfinite(lower_t), 1.0, 0.0)

    # With the exact gradient in stage 2, stage 1 only provides its start.
    quick = nagq == 1 and has_gradient(prob)
    if quick and prob.blocks[0].q >= WARM_LEVELS:
        warm = _warm_start(prob, maxfev)
        if warm is not None:
            theta, beta, sub_nfev = warm
            st = prob.pirls(theta, beta)
            scale = np.sqrt(np.diag(_vcov_rx(prob, theta, st)))
            scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
            lower = np.concatenate([lower_t, np.full(beta.size, -np.inf)])
            info0: dict[str, Any] = {
                "stage1_nfev": 0,
                "stage1_success": True,
                "warm_start": True,
                "warm_start_nfev": sub_nfev,
            }
            return _stage2_gradient(prob, theta, beta, scale, lower, maxfev, info0)

    def dev0(th: np.ndarray) -> float:
        return prob.pirls(th, None, loose=quick).objective

    final1 = 1e-8 if nagq == 0 else STAGE1_RADIUS if quick else 1e-7
    r1 = minimize_bounded(
        dev0,
        x0,
        lower_t,
        maxfev=min(maxfev, STAGE1_MAXFEV) if quick else maxfev,
        radius_init=0.2,
        radius_final=final1,
    )
    theta = np.maximum(r1.x, lower_t)
    st = prob.pirls(theta, None)
    beta = st.beta.copy()
    nt = theta.size
    info: dict[str, object] = {
        "stage1_nfev": r1.nfev,
        "stage1_success": r1.success,
        "warm_start": False,
    }
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
    if nagq == 1 and has_gradient(prob):
        return _stage2_gradient(prob, theta, beta, scale, lower, maxfev, info, final_hessian)

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


def _warm_start(prob: GlmmProblem, maxfev: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(theta, beta) of the Laplace fit on a random subsample of the largest factor's levels.

    theta are ratios of standard deviations and beta the fixed effects, which a
    subsample of the top-level units estimates without bias; stage 2 on all the
    data then starts close to its optimum, and stage 1 (the nAGQ = 0 fit, most
    of the time of a large fit) runs on the subsample only.  ``None`` when the
    subsample does not give the same design (a term with too few levels, the
    terms in another order, rank-deficient X) or its fit fails.
    """
    b0 = prob.blocks[0]
    rng = np.random.default_rng(12345)  # fixed: fits are reproducible
    frac = max(WARM_FRACTION, WARM_MIN_LEVELS / b0.q)
    rows = (rng.random(b0.q) < frac)[b0.codes]
    blocks = []
    for b in prob.blocks:
        levels, codes = np.unique(b.codes[rows], return_inverse=True)
        if levels.size < 2 or levels.size * b.d >= rows.sum():
            return None
        blocks.append(ReBlock(codes.reshape(-1).astype(np.int64), b.Z[rows], int(levels.size)))
    # The engine orders terms by their number of levels: theta's order must stay.
    if any(blocks[k].q < blocks[k + 1].q for k in range(len(blocks) - 1)):
        return None
    Xs = prob.X[rows]
    if np.linalg.matrix_rank(Xs) < prob.p:
        return None
    sub = GlmmProblem(
        prob.family, blocks, Xs, prob.y[rows], prob.trials[rows], prob.pw[rows], prob.offset[rows]
    )
    if not has_gradient(sub):
        return None
    try:
        theta, beta, _, info = _optimize(sub, 1, maxfev, final_hessian=False)
    except np.linalg.LinAlgError:
        return None
    if not (np.all(np.isfinite(theta)) and np.all(np.isfinite(beta))):
        return None
    return theta, beta, int(info["nfev"])


def _value_grad(prob: GlmmProblem, x: np.ndarray, nt: int) -> tuple[float, np.ndarray]:
    st = prob.pirls(x[:nt], x[nt:])
    if not st.converged:  # no conditional mode found: a point the line search must avoid
        return np.inf, np.full(x.size, np.nan)
    return st.objective, laplace_gradient(prob, x[:nt], x[nt:], st)


def _fd_hessian(
    grad: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    g: np.ndarray,
    lower: np.ndarray,
    step: float,
    central: bool,
) -> np.ndarray:
    """Hessian by differences of the gradient (one-sided at a bound), symmetrised."""
    H = np.zeros((x.size, x.size))
    for j in range(x.size):
        up = x.copy()
        up[j] += step
        gu = grad(up)
        if not central or (np.isfinite(lower[j]) and x[j] - step < lower[j]):
            H[:, j] = (gu - g) / step
            continue
        dn = x.copy()
        dn[j] -= step
        H[:, j] = (gu - grad(dn)) / (2.0 * step)
    return (H + H.T) / 2.0


def _stage2_gradient(
    prob: GlmmProblem,
    theta: np.ndarray,
    beta: np.ndarray,
    scale: np.ndarray,
    lower: np.ndarray,
    maxfev: int,
    info: dict[str, Any],
    final_hessian: bool = True,
) -> tuple[np.ndarray, np.ndarray, PirlsState, dict[str, Any]]:
    """Stage 2 by a projected quasi-Newton method on the exact gradient.

    The start is stage 1's optimum; the first Hessian comes from forward
    differences of the gradient and is then updated by BFGS, so the method
    converges in a handful of steps even where the deviance is badly scaled.
    Bounds (theta's diagonal elements >= 0) are held by fixing a variable at
    its bound while the gradient pushes outward.  The Hessian reported for
    the standard errors is again by central differences of the gradient
    (step 1e-4, one-sided at a bound, as lme4's deriv12).
    """
    nt = theta.size
    mult = np.concatenate([np.ones(nt), scale])
    origin = np.concatenate([np.zeros(nt), beta])
    nfev = 0

    def fg(t: np.ndarray) -> tuple[float, np.ndarray]:
        nonlocal nfev
        nfev += 1
        try:
            f, g = _value_grad(prob, origin + mult * t, nt)
        except np.linalg.LinAlgError:
            return np.inf, np.full(t.size, np.nan)
        return f, g * mult

    def grad(t: np.ndarray) -> np.ndarray:
        return fg(t)[1]

    t = np.concatenate([np.maximum(theta, lower[:nt]), np.zeros(beta.size)])
    f, g = fg(t)
    H = _fd_hessian(grad, t, g, lower, HESS_STEP, central=False)
    success, message = False, "the iteration limit was reached"
    for _ in range(100):
        if nfev >= maxfev:
            break
        free = ~(np.isfinite(lower) & (t <= lower) & (g > 0))
        Hf = H[np.ix_(free, free)]
        w, V = np.linalg.eigh(Hf)
        w = np.maximum(w, 1e-8 * max(1.0, float(np.max(np.abs(w)))))
        p = np.zeros_like(t)
        p[free] = -(V @ ((V.T @ g[free]) / w))
        decrement = -float(g @ p)
        if decrement < NEWTON_TOL:
            success, message = True, "converged (Newton decrement below tolerance)"
            break
        alpha = 1.0
        while True:
            tn = np.maximum(t + alpha * p, lower)
            fn, gn = fg(tn)
            if np.isfinite(fn) and fn <= f - 1e-4 * alpha * decrement:
                break
            alpha /= 2.0
            if alpha < 1e-10:
                break
        if alpha < 1e-10:
            message = "the line search failed to decrease the deviance"
            success = decrement < 1e3 * NEWTON_TOL
            break
        s, y = tn - t, gn - g
        sy = float(s @ y)
        if sy > 1e-12 * float(np.linalg.norm(s) * np.linalg.norm(y)):
            Hs = H @ s
            H = H - np.outer(Hs, Hs) / float(s @ Hs) + np.outer(y, y) / sy
        t, f, g = tn, fn, gn
    x = origin + mult * t

    def grad_x(xx: np.ndarray) -> np.ndarray:
        return _value_grad(prob, xx, nt)[1]

    if final_hessian:
        gx = grad_x(x)
        Hx = _fd_hessian(grad_x, x, gx, lower, HESS_STEP, central=True)
    else:  # only a start is wanted: the quasi-Newton matrix, in the unscaled coordinates
        gx = g / mult
        Hx = H / np.outer(mult, mult)
    info.update(
        nfev=int(info["stage1_nfev"]) + nfev,
        success=success,
        message=message,
        gradient=gx,
        hessian=Hx,
        stage2="quasi-Newton on the exact Laplace gradient",
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
