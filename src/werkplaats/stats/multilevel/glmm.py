"""``fit_glmm``: generalised linear mixed models in lme4's syntax and vocabulary.

Binomial (logit, probit, cloglog; 0/1, a two-level factor, proportions with
weights, or ``cbind(successes, failures)``) and Poisson (log) responses, with
offsets and prior weights.  The likelihood is approximated as lme4's
``glmer`` does: Laplace (``nAGQ=1``, any random-effects structure), adaptive
Gauss-Hermite quadrature (``nAGQ`` up to 25, a single scalar random effect)
or ``nAGQ=0`` (fixed effects estimated inside PIRLS).  The optimisation
follows glmer's two stages: theta with ``nAGQ=0``, then (theta, beta) on the
approximated likelihood from there.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.stats
from threadpoolctl import threadpool_limits

from .errors import FormulaError, MultilevelWarning
from .families import Family, make_family
from .fit import GRADIENT_TOL, singular_message, varcorr_frame
from .formula import parse_formula
from .frame import build_design, check_columns, complete_rows
from .glmm_optimize import _optimize, _vcov_rx
from .glmm_response import (
    _OFF,
    _TRIALS,
    _W,
    _Y,
    _check_response,
    _response,
    _rows_text,
    _separation,
    _vector,
)
from .pirls import GlmmProblem, PirlsState
from .results import GlmmResult

__all__ = ["fit_glmm"]

MAX_NAGQ = 25


def fit_glmm(
    formula: str,
    data: pd.DataFrame,
    family: str | Family = "binomial",
    *,
    link: str | None = None,
    weights: object = None,
    offset: object = None,
    nAGQ: int = 1,
    data_name: str = "data",
    maxfev: int = 10000,
) -> GlmmResult:
    """Fit a generalised linear mixed model, as ``lme4::glmer`` does.

    Parameters
    ----------
    formula : str
        lme4 formula; the left-hand side is a column or, for the binomial
        family, ``cbind(successes, failures)`` (each a column or
        ``column - column``, e.g. ``cbind(incidence, size - incidence)``).
        A binomial response may be 0/1, boolean, a factor (first level =
        failure), or a proportion with ``weights`` = the number of trials.
    data : pandas.DataFrame
        Rows with a missing value in a used column are dropped (``n_dropped``).
    family : "binomial" or "poisson"
    link : "logit" (default), "probit" or "cloglog" for binomial; "log" for Poisson.
    weights : column name or array, optional
        Prior weights (binomial with a proportion response: the trials).
    offset : column name or array, optional
        Added to the linear predictor (e.g. log exposure for Poisson rates).
    nAGQ : int
        1 Laplace (default); 2..25 adaptive Gauss-Hermite quadrature (only
        for a single scalar random effect); 0 fixed effects within PIRLS.

    Returns
    -------
    GlmmResult

    Examples
    --------
    >>> from werkplaats.stats.multilevel import fit_glmm
    >>> from werkplaats.stats.multilevel.simulate import simulate_binary_growth
    >>> d = simulate_binary_growth(1500, seed=4, clients_per_professional=10)
    >>> m = fit_glmm("attained ~ time + x + (1 | client) + (1 | professional)", d, family="binomial")
    >>> list(m.fixef.index), m.family, m.link
    (['(Intercept)', 'time', 'x'], 'binomial', 'logit')
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    fam = make_family(family, link)
    nagq = int(nAGQ)
    if not 0 <= nagq <= MAX_NAGQ:
        raise ValueError(f"nAGQ must lie between 0 and {MAX_NAGQ}")
    if not isinstance(formula, str) or "~" not in formula:
        raise FormulaError("the formula must be a string such as 'y ~ x + (1 | group)'")
    lhs, rhs = formula.split("~", 1)
    y_all, trials_all, yname = _response(data, lhs, fam)
    f = parse_formula(f"`{_Y}` ~ {rhs}")
    if not f.random:
        raise FormulaError(
            "the formula has no random-effects term such as (1 | group); "
            "use an ordinary GLM for a model without random effects"
        )
    rest = [v for v in f.variables if v != _Y]
    check_columns(
        parse_formula(f"y ~ {rhs}"), data.assign(y=0) if "y" not in data.columns else data
    )
    w_all = _vector(data, weights, "weights")
    off_all = _vector(data, offset, "offset")
    work = data.loc[:, rest].copy()
    work[_Y] = y_all
    extra = [_Y]
    if trials_all is not None:
        work[_TRIALS] = trials_all
        extra.append(_TRIALS)
    if w_all is not None:
        work[_W] = w_all
        extra.append(_W)
    if off_all is not None:
        work[_OFF] = off_all
        extra.append(_OFF)
    used = rest + extra
    frame, n_dropped = complete_rows(work[used], used)
    n = len(frame)
    y = frame[_Y].to_numpy(dtype=float)
    pw = frame[_W].to_numpy(dtype=float) if w_all is not None else np.ones(n)
    if np.any(pw < 0):
        bad = pw < 0
        raise ValueError(f"weights must not be negative (rows {_rows_text(frame.index, bad)})")
    if trials_all is not None:
        trials = frame[_TRIALS].to_numpy(dtype=float)
        _check_response(fam, y, trials, frame.index, yname, True)
        y = np.divide(y, trials, out=np.zeros(n), where=trials > 0)
    else:
        # lme4: without cbind the weights are the binomial trials (their -2 log-likelihood
        # counts round(weight * y) successes out of round(weight)).
        trials = pw if fam.name == "binomial" else np.ones(n)
        if fam.name == "binomial":
            pw = np.ones(n)
        _check_response(fam, y, trials, frame.index, yname, False)
    offs = frame[_OFF].to_numpy(dtype=float) if off_all is not None else np.zeros(n)
    messages: list[str] = []
    if n_dropped:
        messages.append(f"{n_dropped} row(s) with missing values were dropped")
    design = build_design(f, frame, residual_variance=False)
    messages.extend(design.messages)
    X, names, terms, blocks = design.X, design.names, design.terms, design.blocks
    p = X.shape[1]
    if nagq > 1 and not (len(blocks) == 1 and blocks[0].d == 1):
        raise ValueError(
            "nAGQ > 1 (adaptive Gauss-Hermite quadrature) needs a single scalar random effect "
            "such as (1 | g); use nAGQ = 1 (Laplace) for this model"
        )
    prob = GlmmProblem(fam, blocks, X, y, trials, pw, offs)

    # One BLAS thread for the fit and for the work after it (the Hessian's and the
    # conditional variances' factorisations): two threads spin against each other and
    # against other work on a loaded machine, as the linear models' did.
    with threadpool_limits(limits=1, user_api="blas"):
        theta, beta, st, info = _optimize(prob, nagq, maxfev)
        return _result(
            prob,
            fam,
            formula.strip(),
            nagq,
            theta,
            beta,
            st,
            info,
            design,
            frame,
            n_dropped,
            messages,
            w_all is not None,
            off_all is not None,
            data_name,
            names,
            terms,
            p,
            n,
            yname,
        )


def _result(
    prob: GlmmProblem,
    fam: Family,
    formula: str,
    nagq: int,
    theta: np.ndarray,
    beta: np.ndarray,
    st: PirlsState,
    info: dict[str, Any],
    design: Any,
    frame: pd.DataFrame,
    n_dropped: int,
    messages: list[str],
    has_w: bool,
    has_off: bool,
    data_name: str,
    names: list[str],
    terms: list[Any],
    p: int,
    n: int,
    yname: str,
) -> GlmmResult:
    lam = prob.lambdas(theta)
    nt = theta.size
    # Conditional variances of b = Lambda u (sigma = 1 for these families).
    cv: list[np.ndarray] | None
    if prob.scalar and st.diag is not None:
        cv = [(1.0 / st.diag)[:, None, None]]
    else:
        eng = prob.full if nagq == 0 else prob.reonly
        fct = prob.engine_factor(theta, st, nagq == 0)
        cv = eng.cond_var_u(fct) if (eng is not None and fct is not None) else None
    ranef_condvar = None
    if cv is None:
        messages.append(
            "conditional variances of the random effects were not computed: the design "
            "outside the largest grouping factor is too large for the dense inverse"
        )
    else:
        ranef_condvar = {
            t.label: np.einsum("ij,qjk,lk->qil", L, V, L) for t, L, V in zip(terms, lam, cv)
        }
    ranef = {
        t.label: pd.DataFrame(
            uk @ L.T, index=pd.Index(t.levels, name=t.group_label), columns=list(t.names)
        )
        for t, L, uk in zip(terms, lam, st.u)
    }
    V_rx = _vcov_rx(prob, theta, st)
    V = V_rx
    H = np.asarray(info["hessian"])
    g = np.asarray(info["gradient"])
    if nagq >= 1:
        ok = bool(np.all(np.isfinite(H)))
        if ok:
            try:
                Hi = np.linalg.inv(H)
                Vh = Hi[nt:, nt:] + Hi[nt:, nt:].T  # 2 H^-1, as lme4's vcov(use.hessian = TRUE)
                ok = bool(np.all(np.isfinite(Vh))) and float(np.min(np.linalg.eigvalsh(Vh))) > 0
            except np.linalg.LinAlgError:
                ok = False
        if ok:
            V = Vh
        else:
            msg = (
                "the covariance of the fixed effects from the finite-difference Hessian is not "
                "positive definite; falling back to the one from R_X"
            )
            warnings.warn(msg, MultilevelWarning, stacklevel=3)
            messages.append(msg)
    se = np.sqrt(np.diag(V))
    z = beta / se
    # Convergence as lme4's checkConv: gradient scaled by the Cholesky factor of the Hessian.
    try:
        R = np.linalg.cholesky(H).T
        scg = scipy.linalg.solve_triangular(R, g, lower=False)
        maxg = float(np.max(np.minimum(np.abs(scg), np.abs(g)))) if g.size else 0.0
    except np.linalg.LinAlgError:
        maxg = float(np.max(np.abs(g))) if g.size else 0.0
    converged = bool(info["success"]) and maxg < GRADIENT_TOL and st.converged
    convergence = (
        f"converged after {info['nfev']} evaluations; max|scaled gradient| = {maxg:.2g}"
        if converged
        else f"the optimiser did not converge ({info.get('message', '')}); max|scaled gradient| = "
        f"{maxg:.2g} after {info['nfev']} evaluations"
    )
    if not converged:
        warnings.warn("model failed to converge: " + convergence, MultilevelWarning, stacklevel=3)
        messages.append(convergence)
    smsg = singular_message(prob.full, terms, theta)
    if smsg is not None:
        warnings.warn(smsg, MultilevelWarning, stacklevel=3)
        messages.append(smsg)
    sep = _separation(fam, prob.X, names, prob.y, beta)
    if sep:
        msg = (
            "possible (quasi-)complete separation in the fixed effect(s) "
            + "; ".join(sep)
            + ": their estimates and standard errors are not reliable; merge sparse categories or "
            "drop the term"
        )
        warnings.warn(msg, MultilevelWarning, stacklevel=3)
        messages.append(msg)
    mu, eta = st.mu, st.eta
    devres = fam.dev_resids(prob.y, mu, prob.wt)
    objective = float(st.objective if nagq <= 1 else prob.agq(theta, st, nagq))
    df = p + nt
    idx = frame.index
    ngroups: dict[str, int] = {}
    for t in terms:
        ngroups.setdefault(t.group_label, len(t.levels))
    names_idx = pd.Index(names)
    return GlmmResult(
        formula=formula,
        family=fam.name,
        link=fam.link,
        nagq=nagq,
        nobs=n,
        n_dropped=n_dropped,
        fixef=pd.Series(beta, index=names_idx, name="Estimate"),
        se=pd.Series(se, index=names_idx, name="Std. Error"),
        zvalue=pd.Series(z, index=names_idx, name="z value"),
        pvalue=pd.Series(2 * scipy.stats.norm.sf(np.abs(z)), index=names_idx, name="Pr(>|z|)"),
        vcov=pd.DataFrame(V, index=names_idx, columns=names_idx),
        vcov_rx=pd.DataFrame(V_rx, index=names_idx, columns=names_idx),
        varcorr=varcorr_frame(terms, lam, 1.0, None),
        theta=theta,
        objective=objective,
        loglik=-objective / 2.0,
        aic=objective + 2 * df,
        bic=objective + df * math.log(n),
        deviance=float(np.sum(devres)),
        df=df,
        ranef=ranef,
        ranef_condvar=ranef_condvar,
        ngroups=ngroups,
        fitted=pd.Series(mu, index=idx, name="fitted"),
        linear_predictor=pd.Series(eta, index=idx, name="eta"),
        residuals=pd.Series(
            np.sign(prob.y - mu) * np.sqrt(np.maximum(devres, 0)), index=idx, name="deviance"
        ),
        pearson_residuals=pd.Series(
            (prob.y - mu) * np.sqrt(prob.wt / fam.variance(mu)), index=idx, name="pearson"
        ),
        converged=converged,
        convergence=convergence,
        singular=smsg is not None,
        dropped_columns=design.dropped,
        messages=messages,
        optimizer=info,
        has_weights=has_w,
        has_offset=has_off,
        _terms=terms,
        _fixed_spec=design.fixed_spec,
        _keep_columns=design.keep,
        _family=fam,
        _data_name=data_name,
    )
