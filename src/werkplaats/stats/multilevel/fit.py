"""``fit_lmm``: linear mixed models in lme4's syntax and vocabulary.

The fitting (this module) is kept apart from the result object
(:mod:`.results`) and the summary text (:mod:`.summary`), as statsmodels keeps
``MixedLM.fit``, ``MixedLMResults`` and ``summary2`` apart.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import scipy.linalg
from threadpoolctl import threadpool_limits

from .design import ModelMatrixSpec, _term_names
from .engine import Engine
from .errors import (
    ConstantResponseError,
    FormulaError,
    MultilevelWarning,
    NonNumericResponseError,
)
from .fit_optimize import optimize_theta
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
        theta, opt_info = optimize_theta(engine, reml, maxfev, X, y)
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
