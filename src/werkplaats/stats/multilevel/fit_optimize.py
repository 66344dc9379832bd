"""Finding theta for ``fit_lmm``: the optimiser (L-BFGS-B on the exact gradient where the
engine has one, COBYQA otherwise), the warm starts from a subsample, and the gradient and
curvature of the convergence check."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .engine import Engine, ReBlock

# Final trust-region radius of the optimiser in theta.  The quadratic model has
# converged well before the radius gets there: on InstEval and the growth design
# 1e-6 gives the same criterion (to 1e-13 relative) and theta (to 1e-6) as 1e-8,
# with a quarter to a third fewer evaluations (81 against 107, 107 against 153).
THETA_RADIUS_FINAL = 1e-6

# Warm start from a subsample when the largest factor has at least this many
# levels: the criterion of a large data set is steep, and most evaluations
# of a cold start are spent walking from theta = 1 to the optimum.
WARM_START_LEVELS = 20000
# The warm start only provides a start: with the exact gradient it stops at this
# relative change of the criterion (the fit on all data then needs ~3 more steps).
WARM_START_FTOL = 1e-9


def _subsample_blocks(engine: Engine, rows: np.ndarray) -> list[ReBlock] | None:
    """The random-effects terms on the chosen rows, levels renumbered; ``None`` when a
    term keeps fewer than two levels or as many effects as rows (no warm start then)."""
    sub = []
    for b in engine.blocks:
        levels, codes = np.unique(b.codes[rows], return_inverse=True)
        if levels.size < 2 or levels.size * b.d >= rows.sum():
            return None
        sub.append(ReBlock(codes.astype(np.int64), b.Z[rows], int(levels.size)))
    return sub


def _warm_start(
    engine: Engine, X: np.ndarray, y: np.ndarray, reml: bool
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Theta fitted on a random 5% of the levels of the largest factor.

    The relative covariance parameters are ratios of standard deviations,
    which a subsample of the top-level units estimates without bias; the
    fit on all data then starts close to its optimum.  Returns θ and, with the
    exact gradient, the quasi-Newton estimate of the diagonal of the inverse
    Hessian scaled to all data (or ``None``); ``None`` when the subsample cannot
    be fitted (too few levels, rank-deficient X).
    """
    from .optimize import minimize_bounded, minimize_gradient

    b0 = engine.blocks[0]
    rng = np.random.default_rng(12345)  # fixed: fits are reproducible
    frac = max(0.05, 5000 / b0.q)
    chosen = rng.random(b0.q) < frac
    rows = chosen[b0.codes]
    sub = _subsample_blocks(engine, rows)
    if sub is None:
        return None
    Xs = X[rows]
    if np.linalg.matrix_rank(Xs) < X.shape[1]:
        return None
    sub = sorted(sub, key=lambda b: -b.q)
    if [b.d for b in sub] != [b.d for b in engine.blocks]:
        return None  # the order of the terms changed; keep it simple
    eng = Engine(sub, Xs, y[rows])
    x0 = np.where(np.isfinite(eng.lower), 1.0, 0.0)
    if eng.has_gradient():
        res = minimize_gradient(
            lambda th: _value_grad(eng, th, reml),
            x0,
            eng.lower,
            ftol=WARM_START_FTOL,
            step_init=0.2,
        )
    else:
        res = minimize_bounded(
            lambda th: eng.objective(th, reml), x0, eng.lower, radius_init=0.2, radius_final=1e-4
        )
    if not np.isfinite(res.fun):
        return None
    hinv = res.hess_inv_diag
    if hinv is not None:
        # The criterion's curvature grows with the data: about the ratio of levels.
        hinv = hinv * (eng.blocks[0].q / b0.q)
        if not np.all(np.isfinite(hinv) & (hinv > 0)):
            hinv = None
    return res.x, hinv


def _value_grad(engine: Engine, theta: np.ndarray, reml: bool) -> tuple[float, np.ndarray]:
    out = engine.objective_gradient(theta, reml)
    if out is None:  # callers check has_gradient() first
        raise RuntimeError("no analytic gradient for this structure")
    return out


# Crossed path: warm start from a subsample of the crossed term's levels when the
# dense remainder has at least this many columns (each evaluation is a dense
# Cholesky factorisation of it, and the subsample's is far smaller).
CROSSED_WARM_START_COLUMNS = 500
# The fraction of the crossed term's levels kept (at least about 200 levels).
CROSSED_WARM_START_FRACTION = 0.2


def _warm_start_crossed(
    engine: Engine, X: np.ndarray, y: np.ndarray, reml: bool
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Theta and the inverse Hessian's diagonal fitted on a fifth of the crossed term's levels.

    InstEval: 220 of the 1,128 lecturers (14,725 of 73,421 ratings), whose
    remainder of about 250 columns factorises some 80 times faster.  The
    subsample's curvature is scaled to all data by the share of rows, and scales
    the first steps of the fit on all data (9 evaluations from there instead of
    25 from theta = 1).  ``None`` when the subsample cannot be fitted.
    """
    from .optimize import minimize_gradient

    b1 = engine.blocks[1]
    frac = max(CROSSED_WARM_START_FRACTION, 200 / b1.q)
    if frac >= 0.5:
        return None
    rng = np.random.default_rng(12345)  # fixed: fits are reproducible
    rows = (rng.random(b1.q) < frac)[b1.codes]
    sub = _subsample_blocks(engine, rows)
    if sub is None:
        return None
    if [b.q for b in sub] != sorted((b.q for b in sub), reverse=True):
        return None  # the order of the terms changed
    Xs = X[rows]
    if np.linalg.matrix_rank(Xs) < X.shape[1]:
        return None
    eng = Engine(sub, Xs, y[rows])
    if not eng.has_gradient():
        return None
    res = minimize_gradient(
        lambda th: _value_grad(eng, th, reml),
        np.where(np.isfinite(eng.lower), 1.0, 0.0),
        eng.lower,
        ftol=WARM_START_FTOL,
        step_init=0.2,
    )
    if not np.isfinite(res.fun):
        return None
    hinv = res.hess_inv_diag
    if hinv is not None:
        hinv = hinv * (float(rows.sum()) / y.size)
        if not np.all(np.isfinite(hinv) & (hinv > 0)):
            hinv = None
    return res.x, hinv


def optimize_theta(
    engine: Engine, reml: bool, maxfev: int, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, dict[str, object]]:
    """Minimise the profiled criterion over theta within its bounds.

    With the exact gradient (``Engine.has_gradient``) by L-BFGS-B, otherwise by
    COBYQA from the criterion alone; the convergence check uses the exact
    gradient where there is one.
    """
    from .optimize import minimize_bounded, minimize_gradient

    lower = engine.lower
    x0 = np.where(np.isfinite(lower), 1.0, 0.0)
    radius = 0.2
    warm = None
    step: float | np.ndarray = radius
    newton = False
    if engine.blocks[0].q >= WARM_START_LEVELS:
        warm = _warm_start(engine, X, y, reml)
        newton = warm is not None
        if warm is not None:
            x0, radius = np.maximum(warm[0], lower), 0.01
            # With the exact gradient: steps scaled by the standard errors.
            step = np.sqrt(warm[1]) if warm[1] is not None else radius
    elif (
        engine.crossed_gradient_plan() is not None
        and engine.dense_order >= CROSSED_WARM_START_COLUMNS
    ):
        warm = _warm_start_crossed(engine, X, y, reml)
        if warm is not None:
            x0 = np.maximum(warm[0], lower)
            step = np.sqrt(warm[1]) if warm[1] is not None else 0.01

    def fun(th: np.ndarray) -> float:
        return engine.objective(th, reml)

    if engine.has_gradient():

        def fun_grad(th: np.ndarray) -> tuple[float, np.ndarray]:
            return _value_grad(engine, th, reml)

        # The Newton start pays on the growth design's warm start; after the crossed
        # one (whose inverse-Hessian diagonal already scales the steps) it cost
        # InstEval 11 evaluations against 9.
        res = minimize_gradient(
            fun_grad, x0, lower, maxfev=maxfev, step_init=step, newton_start=newton
        )
        theta = res.x
        grad, hdiag = _gradient_exact(fun_grad, theta, lower, g0=res.grad)
        method = "L-BFGS-B (exact gradient)"
    else:
        res = minimize_bounded(
            fun, x0, lower, maxfev=maxfev, radius_init=radius, radius_final=THETA_RADIUS_FINAL
        )
        theta = res.x
        grad, hdiag = _gradient(fun, theta, lower, f0=res.fun)
        method = "COBYQA"
    scaled = np.where(
        hdiag > 0, np.abs(grad) / np.sqrt(np.where(hdiag > 0, hdiag, 1.0)), np.abs(grad)
    )
    return theta, {
        "success": res.success,
        "message": res.message,
        "nfev": res.nfev,
        "fun": res.fun,
        "max_grad": float(np.max(np.abs(grad))) if grad.size else 0.0,
        "max_scaled_grad": float(np.max(scaled)) if grad.size else 0.0,
        "gradient": grad,
        "warm_start": warm is not None,
        "method": method,
    }


def _gradient(
    fun: Callable[[np.ndarray], float],
    x: np.ndarray,
    lower: np.ndarray,
    h: float = 1e-4,
    f0: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Finite-difference gradient and diagonal of the Hessian.

    At an active bound the one-sided derivative counts only when it points
    into the feasible region (the KKT condition); there the curvature is
    not used (reported as 0).
    """
    g = np.zeros_like(x)
    hd = np.zeros_like(x)
    if f0 is None:  # the optimiser's value at x, when given, saves an evaluation
        f0 = fun(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        step = h * max(1.0, abs(x[i]))
        e[i] = step
        if np.isfinite(lower[i]) and x[i] - step < lower[i]:
            d = (fun(x + e) - f0) / step
            g[i] = min(d, 0.0)  # a positive slope at the bound is optimal
        else:
            fp, fm = fun(x + e), fun(x - e)
            g[i] = (fp - fm) / (2 * step)
            hd[i] = (fp - 2 * f0 + fm) / step**2
    return g, hd


def _gradient_exact(
    fun_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x: np.ndarray,
    lower: np.ndarray,
    h: float = 1e-4,
    g0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``_gradient`` from the exact gradient: the diagonal of the Hessian by forward
    differences of it (len(x) evaluations, one more without the optimiser's
    gradient ``g0`` at x), the same rule at an active bound."""
    if g0 is None or not np.all(np.isfinite(g0)):
        g0 = fun_grad(x)[1]
    g = np.array(g0, dtype=float)
    hd = np.zeros_like(x)
    for i in range(x.size):
        step = h * max(1.0, abs(x[i]))
        if np.isfinite(lower[i]) and x[i] - step < lower[i]:
            g[i] = min(g[i], 0.0)  # a positive slope at the bound is optimal
            continue
        e = np.zeros_like(x)
        e[i] = step
        hd[i] = (fun_grad(x + e)[1][i] - g0[i]) / step
    return g, hd
