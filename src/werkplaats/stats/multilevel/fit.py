"""``fit_lmm``: linear mixed models in lme4's syntax and vocabulary.

The fitting (this module) is kept apart from the result object
(:mod:`.results`) and the summary text (:mod:`.summary`), as statsmodels keeps
``MixedLM.fit``, ``MixedLMResults`` and ``summary2`` apart.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import scipy.linalg
from threadpoolctl import threadpool_limits

from .design import ModelMatrixSpec, _term_names
from .engine import Engine, ReBlock
from .errors import (
    ConstantResponseError,
    FormulaError,
    MultilevelWarning,
    NonNumericResponseError,
)
from .formula import parse_formula
from .frame import TermInfo, build_design, check_columns, complete_rows
from .results import LmmResult

__all__ = ["fit_lmm", "varcorr_frame", "singular_message", "SINGULAR_TOL", "GRADIENT_TOL"]

# lme4's isSingular() tolerance on the diagonal of the relative covariance factor.
SINGULAR_TOL = 1e-4
# lme4's default gradient tolerance for its convergence check.
GRADIENT_TOL = 2e-3


# A fixed effect whose predictor varies only between the levels of a grouping
# factor rests on that many clusters; below this the Wald interval is too narrow.
FEW_CLUSTERS = 20


def cluster_counts(
    spec: ModelMatrixSpec, frame: pd.DataFrame, terms: list[TermInfo], names: list[str]
) -> pd.DataFrame:
    """For each fixed-effect column, the coarsest grouping factor within which it is constant.

    A term such as ``time:policy`` with ``policy`` an organisation-level variable
    is informed by the organisations, however many rows there are.  Returns
    columns ``term, grouping, clusters`` (``clusters`` NaN for terms that vary
    within the finest groups).
    """
    groups = sorted({t.group: len(t.levels) for t in terms}.items(), key=lambda kv: kv[1])
    # Level codes of each grouping factor (an interaction a:b by its pairs of
    # codes): vectorised, since a row-wise string join took seconds at 70,000 rows.
    codes: dict[tuple[str, ...], np.ndarray] = {}
    for g, _q in groups:
        key = np.zeros(len(frame), dtype=np.int64)
        for v in g:
            c = pd.factorize(frame[v])[0].astype(np.int64)
            key = pd.factorize(key * (int(c.max()) + 1) + c)[0].astype(np.int64)
        codes[g] = key
    constant: dict[tuple[str, tuple[str, ...]], bool] = {}
    first_row: dict[tuple[str, ...], np.ndarray] = {}

    def is_constant(v: str, g: tuple[str, ...]) -> bool:
        if (v, g) not in constant:
            vals = pd.factorize(frame[v])[0]
            # Constant within every level: the first value seen of each level everywhere.
            if g not in first_row:
                first_row[g] = np.unique(codes[g], return_index=True)[1]
            constant[(v, g)] = bool(np.array_equal(vals, vals[first_row[g]][codes[g]]))
        return constant[(v, g)]

    rows = []
    term_vars = {}
    for tc in spec.codings:
        for nm in _term_names(tc.term, tc.coding, spec.variables):
            term_vars[nm] = tc.term
    for nm in names:
        t = term_vars.get(nm)
        if nm == "(Intercept)" or t is None:
            continue
        best = None
        for v in t:
            for g, q in groups:  # coarsest first
                if is_constant(v, g):
                    if best is None or q < best[1]:
                        best = (":".join(g), q)
                    break
        rows.append((nm, best[0] if best else "", float(best[1]) if best else np.nan))
    return pd.DataFrame(rows, columns=["term", "grouping", "clusters"])


def varcorr_frame(
    terms: list[TermInfo], lam: list[np.ndarray], scale2: float, sigma: float | None
) -> pd.DataFrame:
    """VarCorr as in ``as.data.frame(VarCorr(m))``; no Residual row when ``sigma`` is None."""
    vc_rows = []
    for t, L in zip(terms, lam):
        S = scale2 * (L @ L.T)
        sd = np.sqrt(np.diag(S))
        for i, nm in enumerate(t.names):
            vc_rows.append((t.label, nm, "", S[i, i], sd[i]))
        d = len(t.names)
        for j in range(d):
            for i in range(j + 1, d):
                corr = S[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                vc_rows.append((t.label, t.names[j], t.names[i], S[i, j], corr))
    if sigma is not None:
        vc_rows.append(("Residual", "", "", sigma**2, sigma))
    return pd.DataFrame(vc_rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])


def singular_message(engine: Engine, terms: list[TermInfo], theta: np.ndarray) -> str | None:
    """lme4's isSingular(): a diagonal entry of Lambda below 1e-4; the message names the terms."""
    at = []
    for t, sl, (r, cidx) in zip(terms, engine.theta_slices, engine._tri):
        for val, i, j in zip(theta[sl], r, cidx):
            if i == j and val < SINGULAR_TOL:
                at.append(f"{t.label} {t.names[i]}")
    if not at:
        return None
    return (
        "boundary (singular) fit: the variance of " + ", ".join(at) + " is estimated at (or "
        "very near) zero, or a correlation at +/-1; consider simplifying the random effects"
    )


def fit_lmm(
    formula: str,
    data: pd.DataFrame,
    reml: bool = True,
    *,
    data_name: str = "data",
    maxfev: int = 5000,
) -> LmmResult:
    """Fit a linear mixed model, as ``lme4::lmer`` does.

    Parameters
    ----------
    formula : str
        lme4 formula, e.g. ``"y ~ time * x + (time | client) + (1 | team)"``.
        Random-effects terms ``(1|g)``, ``(x|g)``, ``(0+x|g)``, ``(x||g)``,
        ``(1|a/b)``, ``(1|a:b)``; any number of crossed or nested factors.
    data : pandas.DataFrame
        Rows with a missing value in any variable of the formula are dropped
        (the count is in ``n_dropped``).
    reml : bool
        REML (default, as lme4) or maximum likelihood.
    data_name : str
        Name shown in the summary.
    maxfev : int
        Maximum number of objective evaluations of the optimiser.

    Returns
    -------
    LmmResult

    Raises
    ------
    FormulaError, MissingColumnError, NonNumericResponseError, EmptyDataError,
    TooFewLevelsError, TooManyParametersError
        All subclasses of ``ValueError``, with a message saying what to fix.

    Examples
    --------
    >>> from werkplaats.stats.multilevel import fit_lmm
    >>> from werkplaats.stats.multilevel.simulate import simulate_growth
    >>> d = simulate_growth(2000, seed=7, clients_per_professional=20)
    >>> m = fit_lmm("y ~ time * x + (time | client) + (1 | professional)", d)
    >>> list(m.fixef.index)
    ['(Intercept)', 'time', 'x', 'time:x']
    >>> list(m.varcorr.columns)
    ['grp', 'var1', 'var2', 'vcov', 'sdcor']
    >>> m.converged
    True
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    f = parse_formula(formula)
    if not f.random:
        raise FormulaError(
            "the formula has no random-effects term such as (1 | group); "
            "use ordinary least squares for a model without random effects"
        )
    check_columns(f, data)
    used = list(f.variables)
    frame = data.loc[:, used]
    resp = frame[f.response]
    if not pd.api.types.is_numeric_dtype(resp.dtype) or pd.api.types.is_bool_dtype(resp.dtype):
        raise NonNumericResponseError(
            f"the response {f.response!r} must be numeric but has type {resp.dtype}; "
            "convert it (e.g. with pandas.to_numeric) or choose a numeric column"
        )
    frame, n_dropped = complete_rows(frame, used)
    y = frame[f.response].to_numpy(dtype=float)
    if np.ptp(y) == 0:
        raise ConstantResponseError(
            f"y has no variance: the response {f.response!r} is {y[0]:g} in all {y.size} complete "
            "row(s); a mixed model needs a response that varies"
        )
    n = y.size
    messages: list[str] = []
    if n_dropped:
        messages.append(f"{n_dropped} row(s) with missing values were dropped")
    design = build_design(f, frame)
    messages.extend(design.messages)
    X, names, keep, dropped = design.X, design.names, design.keep, design.dropped
    fixed_spec, terms, blocks = design.fixed_spec, design.terms, design.blocks
    p = X.shape[1]
    # One BLAS thread: each evaluation does many small or mid-sized dense operations,
    # where a second thread gains little and, on a loaded machine, oversubscription
    # made InstEval six times slower (42.7 s against 7.4 s, measured).  The final
    # solution and the conditional variances too: outside the limit their LAPACK
    # calls (dpotrf, dpotri of InstEval's 1,159-column remainder) ran on two threads
    # that spun waiting under load (InstEval at load 10: 4.9 s of CPU time for them
    # against 0.35 s on one thread).
    with threadpool_limits(limits=1, user_api="blas"):
        engine = Engine(blocks, X, y)
        theta, opt_info = _optimize(engine, reml, maxfev, X, y)
        fct, beta, u = engine.solve(theta)
        cv = engine.cond_var_u(fct)
    objective = engine.criterion(fct, reml)
    sigma2 = fct.pwrss / (n - p if reml else n)
    sigma = math.sqrt(sigma2)
    lam = engine.lambdas(theta)

    # Fixed-effect covariance: sigma^2 (R_X' R_X)^-1.
    RXt = fct.rx
    if RXt is None:  # every factorisation records it
        raise RuntimeError("factorisation kept no R_X")
    RXinv = scipy.linalg.solve_triangular(RXt, np.eye(p), lower=True)
    vcov = sigma2 * (RXinv.T @ RXinv)
    se = np.sqrt(np.diag(vcov))

    # Random effects b = Lambda u per level, and fitted values.
    fitted = X @ beta
    ranef: dict[str, pd.DataFrame] = {}
    for t, blk, L, uk in zip(terms, blocks, lam, u):
        b = uk @ L.T
        ranef[t.label] = pd.DataFrame(
            b, index=pd.Index(t.levels, name=t.group_label), columns=list(t.names)
        )
        fitted = fitted + np.sum(blk.Z * b[blk.codes], axis=1)
    ranef_condvar: dict[str, np.ndarray] | None = None
    if cv is None:
        messages.append(
            "conditional variances of the random effects were not computed: the design "
            "outside the largest grouping factor is too large for the dense inverse"
        )
    else:
        ranef_condvar = {
            t.label: sigma2 * np.einsum("ij,qjk,lk->qil", L, V, L)
            for t, L, V in zip(terms, lam, cv)
        }

    varcorr = varcorr_frame(terms, lam, sigma2, sigma)

    n_par = p + engine.n_theta + 1
    loglik = -objective / 2.0
    aic = objective + 2 * n_par
    bic = objective + n_par * math.log(n)

    # Diagnostics.
    msg = singular_message(engine, terms, theta)
    singular = msg is not None
    if msg is not None:
        warnings.warn(msg, MultilevelWarning, stacklevel=2)
        messages.append(msg)
    # lme4 checks the gradient scaled by the Hessian (tolerance 0.002); the
    # scaling makes the check independent of the size of the data.
    converged = bool(opt_info["success"]) and float(opt_info["max_scaled_grad"]) < GRADIENT_TOL  # type: ignore[arg-type]
    convergence = (
        f"converged after {opt_info['nfev']} evaluations; max|scaled gradient| = "
        f"{opt_info['max_scaled_grad']:.2g}"
        if converged
        else f"the optimiser did not converge ({opt_info['message']}); max|scaled gradient| = "
        f"{opt_info['max_scaled_grad']:.2g} after {opt_info['nfev']} evaluations"
    )
    if not converged:
        warnings.warn("model failed to converge: " + convergence, MultilevelWarning, stacklevel=2)
        messages.append(convergence)

    clusters = cluster_counts(fixed_spec, frame, terms, names)
    few = clusters[clusters["clusters"] < FEW_CLUSTERS]
    if len(few):
        msg = (
            "few clusters: "
            + "; ".join(
                f"{r.term} rests on {int(r.clusters)} levels of {r.grouping}"
                for r in few.itertuples()
            )
            + f" (fewer than {FEW_CLUSTERS}); Wald intervals are too narrow there, use the "
            "Satterthwaite degrees of freedom (result.satterthwaite())"
        )
        warnings.warn(msg, MultilevelWarning, stacklevel=2)
        messages.append(msg)

    ngroups: dict[str, int] = {}
    for t in terms:
        ngroups.setdefault(t.group_label, len(t.levels))

    idx = frame.index
    return LmmResult(
        formula=f.text,
        reml=reml,
        nobs=n,
        n_dropped=n_dropped,
        fixef=pd.Series(beta, index=names, name="Estimate"),
        se=pd.Series(se, index=names, name="Std. Error"),
        tvalue=pd.Series(beta / se, index=names, name="t value"),
        vcov=pd.DataFrame(vcov, index=names, columns=names),
        varcorr=varcorr,
        sigma=sigma,
        theta=theta,
        objective=objective,
        loglik=loglik,
        aic=aic,
        bic=bic,
        df=n_par,
        ranef=ranef,
        ranef_condvar=ranef_condvar,
        ngroups=ngroups,
        fitted=pd.Series(fitted, index=idx, name="fitted"),
        residuals=pd.Series(y - fitted, index=idx, name="residuals"),
        converged=converged,
        convergence=convergence,
        singular=singular,
        dropped_columns=dropped,
        messages=messages,
        optimizer=opt_info,
        _terms=terms,
        _fixed_spec=fixed_spec,
        _keep_columns=keep,
        _data_name=data_name,
        _engine=engine,
        clusters=clusters,
    )


# ----------------------------------------------------------------------
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
    sub = []
    for b in engine.blocks:
        levels, codes = np.unique(b.codes[rows], return_inverse=True)
        if levels.size < 2 or levels.size * b.d >= rows.sum():
            return None
        sub.append(ReBlock(codes.astype(np.int64), b.Z[rows], int(levels.size)))
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
    sub = []
    for b in engine.blocks:
        levels, codes = np.unique(b.codes[rows], return_inverse=True)
        if levels.size < 2 or levels.size * b.d >= rows.sum():
            return None
        sub.append(ReBlock(codes.astype(np.int64), b.Z[rows], int(levels.size)))
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


def _optimize(
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
