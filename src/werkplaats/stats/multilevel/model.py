"""``fit_lmm``: linear mixed models in lme4's syntax and vocabulary."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.optimize
import scipy.stats

from .design import ModelMatrixSpec, build_matrix, group_codes, variable_info
from .engine import Engine, ReBlock
from .errors import (
    EmptyDataError,
    FormulaError,
    MissingColumnError,
    MultilevelWarning,
    NonNumericResponseError,
    TooFewLevelsError,
    TooManyParametersError,
)
from .formula import Formula, RandomTerm, parse_formula

__all__ = ["fit_lmm", "LmmResult"]

# lme4's isSingular() tolerance on the diagonal of the relative covariance factor.
SINGULAR_TOL = 1e-4
# lme4's default gradient tolerance for its convergence check.
GRADIENT_TOL = 2e-3


@dataclass
class _TermInfo:
    """A fitted random-effects term (in lme4's order: most levels first)."""

    label: str  # unique label as in VarCorr (e.g. "Subject.1")
    group_label: str  # grouping factor name as lme4 prints it (e.g. "cask:batch")
    group: tuple[str, ...]
    spec: ModelMatrixSpec
    names: tuple[str, ...]
    levels: list[str]
    level_index: dict[str, int]


@dataclass
class LmmResult:
    """A fitted linear mixed model.

    Attributes follow lme4's names: ``fixef``, ``se``, ``tvalue``, ``vcov``,
    ``varcorr`` (like ``as.data.frame(VarCorr(m))``), ``sigma``, ``theta``,
    ``objective`` (REML criterion, or deviance = -2 log-likelihood for ML),
    ``loglik``, ``aic``, ``bic``, ``ranef`` (conditional modes per grouping
    term, a DataFrame per term) and ``ranef_condvar`` (their conditional
    covariance matrices, an array of shape (levels, d, d) per term).
    """

    formula: str
    reml: bool
    nobs: int
    n_dropped: int
    fixef: pd.Series
    se: pd.Series
    tvalue: pd.Series
    vcov: pd.DataFrame
    varcorr: pd.DataFrame
    sigma: float
    theta: np.ndarray
    objective: float
    loglik: float
    aic: float
    bic: float
    df: int
    ranef: dict[str, pd.DataFrame]
    ranef_condvar: dict[str, np.ndarray] | None
    ngroups: dict[str, int]
    fitted: pd.Series
    residuals: pd.Series
    converged: bool
    convergence: str
    singular: bool
    dropped_columns: list[str]
    messages: list[str]
    optimizer: dict[str, object]
    _terms: list[_TermInfo] = field(repr=False)
    _fixed_spec: ModelMatrixSpec = field(repr=False)
    _keep_columns: np.ndarray = field(repr=False)
    _data_name: str = field(repr=False, default="data")

    # ------------------------------------------------------------------
    @property
    def icc(self) -> pd.DataFrame:
        """Intraclass correlations per grouping level.

        For each grouping term, the share of the total variance (intercept
        variances of all terms plus the residual variance) that lies at that
        level.  With random slopes this is the share at covariate value 0
        (the intercept), as is usual.  ``icc_cumulative`` adds the shares of
        all levels from the top down to that level in the order lme4 lists
        them reversed (for nested designs: the correlation of two
        observations that share that level and every level above it).

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_lmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_growth
        >>> m = fit_lmm("y ~ time + (1 | client)", simulate_growth(500, seed=3))
        >>> list(m.icc["grp"]), round(float(m.icc["icc"].sum()), 6)
        (['client', 'Residual'], 1.0)
        """
        vc = self.varcorr
        rows = vc[(vc["var2"] == "") & ((vc["var1"] == "(Intercept)") | (vc["grp"] == "Residual"))]
        total = float(rows["vcov"].sum())
        out = rows[["grp", "vcov"]].rename(columns={"vcov": "variance"}).reset_index(drop=True)
        out["icc"] = out["variance"] / total
        levels = out[out["grp"] != "Residual"]
        cum = levels["icc"][::-1].cumsum()[::-1]
        out["icc_cumulative"] = np.nan
        out.loc[levels.index, "icc_cumulative"] = cum.to_numpy()
        return out

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """Wald confidence intervals of the fixed effects (lme4's ``confint(method = "Wald")``).

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_lmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_growth
        >>> m = fit_lmm("y ~ time + (1 | client)", simulate_growth(500, seed=3))
        >>> list(m.confint().columns)
        ['2.5 %', '97.5 %']
        """
        if not 0 < level < 1:
            raise ValueError("level must lie between 0 and 1")
        z = scipy.stats.norm.ppf(0.5 + level / 2)
        lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        return pd.DataFrame(
            {f"{lo:g} %": self.fixef - z * self.se, f"{hi:g} %": self.fixef + z * self.se}
        )

    def ranef_frame(self) -> pd.DataFrame:
        """Conditional modes in long form, like ``as.data.frame(ranef(m, condVar = TRUE))``.

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_lmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_growth
        >>> m = fit_lmm("y ~ time + (time | client)", simulate_growth(500, seed=3))
        >>> f = m.ranef_frame()
        >>> list(f.columns), sorted(set(f["term"]))
        (['grpvar', 'term', 'grp', 'condval', 'condsd'], ['(Intercept)', 'time'])
        """
        parts = []
        for t in self._terms:
            re = self.ranef[t.label]
            cv = None if self.ranef_condvar is None else self.ranef_condvar[t.label]
            for i, name in enumerate(t.names):
                parts.append(
                    pd.DataFrame(
                        {
                            "grpvar": t.group_label,
                            "term": name,
                            "grp": re.index.astype(str),
                            "condval": re[name].to_numpy(),
                            "condsd": np.sqrt(cv[:, i, i]) if cv is not None else np.nan,
                        }
                    )
                )
        return pd.concat(parts, ignore_index=True)

    # ------------------------------------------------------------------
    def predict(self, newdata: pd.DataFrame | None = None, re_form: object = None) -> np.ndarray:
        """Predictions, population-level or conditional on the random effects.

        Parameters
        ----------
        newdata : DataFrame, optional
            Data to predict for; the fitted values when omitted.
        re_form : None, "~0", "NA" or a formula of random-effects terms
            ``None`` (default) uses all random effects, ``"~0"`` (or ``"NA"``
            or ``numpy.nan``) none (population level), and e.g.
            ``"~(1 | team)"`` only the terms whose grouping factor is named.
            Levels that were not in the fitted data contribute 0 (lme4's
            ``allow.new.levels = TRUE``).

        Returns
        -------
        numpy.ndarray
            One prediction per row of ``newdata``; rows with missing
            predictors give NaN.

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_lmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_growth
        >>> d = simulate_growth(500, seed=3)
        >>> m = fit_lmm("y ~ time + (1 | client)", d)
        >>> new = pd.DataFrame({"time": [0.0, 1.0], "client": [d.client[0], -1]})
        >>> p = m.predict(new)
        >>> bool(p[1] == m.predict(new, re_form="~0")[1])  # unseen client: population level
        True
        """
        if newdata is None:
            if re_form is None:
                return self.fitted.to_numpy().copy()
            raise ValueError("give newdata when asking for re_form other than None")
        if not isinstance(newdata, pd.DataFrame):
            raise TypeError("newdata must be a pandas DataFrame")
        use = self._terms_for(re_form)
        needed = list(self._fixed_spec.variables)
        for t in use:
            needed += list(t.spec.variables) + list(t.group)
        missing = [c for c in dict.fromkeys(needed) if c not in newdata.columns]
        if missing:
            raise MissingColumnError(f"newdata lacks the column(s) {missing} used by the model")
        X = build_matrix(self._fixed_spec, newdata)[:, self._keep_columns]
        pred = X @ self.fixef.to_numpy()
        for t in use:
            Z = build_matrix(t.spec, newdata)
            keys = _group_labels(newdata, t.group)
            idx = np.array([t.level_index.get(k, -1) for k in keys], dtype=np.int64)
            b = self.ranef[t.label].to_numpy()
            contrib = np.zeros(len(newdata))
            seen = idx >= 0
            contrib[seen] = np.sum(Z[seen] * b[idx[seen]], axis=1)
            contrib[~seen & np.isnan(Z).any(axis=1)] = np.nan
            pred = pred + contrib
        return pred

    def _terms_for(self, re_form: object) -> list[_TermInfo]:
        if re_form is None:
            return list(self._terms)
        if isinstance(re_form, float) and math.isnan(re_form):
            return []
        if not isinstance(re_form, str):
            raise ValueError("re_form must be None, '~0', 'NA' or a formula such as '~(1 | g)'")
        text = re_form.strip()
        if text in ("NA", "~0", "~ 0", "0", "~-1", "~ -1"):
            return []
        f = parse_formula("y " + (text if text.startswith("~") else "~" + text))
        wanted = {r.group_label for r in f.random} | {":".join(r.group) for r in f.random}
        if f.terms:
            raise ValueError("re_form may only contain random-effects terms such as (1 | g)")
        out = [t for t in self._terms if t.group_label in wanted or ":".join(t.group) in wanted]
        if not out:
            raise ValueError(
                f"re_form {re_form!r} names no grouping factor of the model; "
                f"the model has {sorted({t.group_label for t in self._terms})}"
            )
        return out

    # ------------------------------------------------------------------
    def summary(self) -> str:
        """A text summary laid out like lme4's ``summary(m)``.

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_lmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_growth
        >>> m = fit_lmm("y ~ time + (1 | client)", simulate_growth(500, seed=3), data_name="demo")
        >>> print(m.summary().splitlines()[0])
        Linear mixed model fit by REML ['lmerMod']
        """
        lines: list[str] = []
        crit = "REML" if self.reml else "maximum likelihood "
        lines.append(f"Linear mixed model fit by {crit} ['lmerMod']")
        lines.append(f"Formula: {self.formula}")
        lines.append(f"   Data: {self._data_name}")
        lines.append("")
        if self.reml:
            lines.append(f"REML criterion at convergence: {self.objective:.1f}")
        else:
            hdr = ["AIC", "BIC", "logLik", "deviance", "df.resid"]
            vals = [
                f"{self.aic:.1f}",
                f"{self.bic:.1f}",
                f"{self.loglik:.1f}",
                f"{-2 * self.loglik:.1f}",
                f"{self.nobs - self.df:d}",
            ]
            w = [max(len(h), len(v)) + 1 for h, v in zip(hdr, vals)]
            lines.append(" ".join(h.rjust(x) for h, x in zip(hdr, w)))
            lines.append(" ".join(v.rjust(x) for v, x in zip(vals, w)))
        lines.append("")
        lines.append("Scaled residuals: ")
        q = np.quantile(self.residuals.to_numpy() / self.sigma, [0, 0.25, 0.5, 0.75, 1])
        names = ["Min", "1Q", "Median", "3Q", "Max"]
        cells = [f"{v:.4f}" for v in q]
        w = max(len(c) for c in cells + names)
        lines.append(" ".join(n.rjust(w) for n in names))
        lines.append(" ".join(c.rjust(w) for c in cells))
        lines.append("")
        lines.append("Random effects:")
        lines.extend(self._varcorr_lines())
        grp = "; ".join(f"{k}, {v}" for k, v in self.ngroups.items())
        lines.append(f"Number of obs: {self.nobs}, groups:  {grp}")
        lines.append("")
        lines.append("Fixed effects:")
        tab = pd.DataFrame({"Estimate": self.fixef, "Std. Error": self.se, "t value": self.tvalue})
        lines.append(_format_table(tab))
        if len(self.fixef) > 1:
            lines.append("")
            lines.append("Correlation of Fixed Effects:")
            sd = np.sqrt(np.diag(self.vcov.to_numpy()))
            corr = self.vcov.to_numpy() / np.outer(sd, sd)
            short = [_abbreviate(n) for n in self.fixef.index]
            rows = []
            width = max(6, max(len(s) for s in short))
            for i in range(1, len(short)):
                cells = [f"{corr[i, j]:.3f}".replace("0.", ".", 1) if abs(corr[i, j]) < 1 else f"{corr[i, j]:.3f}"
                         for j in range(i)]
                rows.append(short[i].ljust(width) + " " + " ".join(c.rjust(6) for c in cells))
            lines.append(" " * (width + 1) + " ".join(s.rjust(6)[:6] for s in short[:-1]))
            lines.extend(rows)
        if self.dropped_columns:
            lines.append(
                f"fit warnings:\nfixed-effect model matrix is rank deficient so dropping "
                f"{len(self.dropped_columns)} column(s) / coefficient(s): {', '.join(self.dropped_columns)}"
            )
        if self.singular:
            lines.append("boundary (singular) fit: see the 'singular' diagnostics")
        if not self.converged:
            lines.append(f"convergence: {self.convergence}")
        if self.n_dropped:
            lines.append(f"{self.n_dropped} row(s) with missing values were dropped")
        return "\n".join(lines)

    def _varcorr_lines(self) -> list[str]:
        groups: list[str] = []
        names: list[str] = []
        variances: list[float] = []
        corrs: list[list[float]] = []
        for t in self._terms:
            vc = self.varcorr[self.varcorr["grp"] == t.label]
            var = vc[vc["var2"] == ""]
            cov = vc[vc["var2"] != ""]
            d = len(var)
            corr = np.eye(d)
            for _, r in cov.iterrows():
                i, j = t.names.index(r["var1"]), t.names.index(r["var2"])
                corr[i, j] = corr[j, i] = r["sdcor"]
            for i, (_, r) in enumerate(var.iterrows()):
                groups.append(t.label if i == 0 else "")
                names.append(r["var1"])
                variances.append(float(r["vcov"]))
                corrs.append([float(corr[i, j]) for j in range(i)])
        groups.append("Residual")
        names.append("")
        variances.append(self.sigma**2)
        corrs.append([])
        # As R's format(x, digits = 4): one number of decimals per column.
        var_s = _format_column(variances, 4)
        sd_s = _format_column([math.sqrt(v) for v in variances], 4)
        has_corr = any(corrs)
        gw = max(len("Groups"), *(len(g) for g in groups))
        nw = max(len("Name"), *(len(n) for n in names))
        vw = max(len("Variance"), len(var_s[0]))
        sw = max(len("Std.Dev."), len(sd_s[0]))
        header = f" {'Groups'.ljust(gw)} {'Name'.ljust(nw)} {'Variance'.ljust(vw)} {'Std.Dev.'.ljust(sw)}"
        out = [header + (" Corr" if has_corr else "")]
        for g, n, v, sd, cr in zip(groups, names, var_s, sd_s, corrs):
            line = f" {g.ljust(gw)} {n.ljust(nw)} {v.ljust(vw)} {sd.ljust(sw)}"
            if cr:
                line += " " + " ".join(f"{c:.2f}".rjust(5) for c in cr)
            out.append(line.rstrip())
        return out

    def __repr__(self) -> str:
        crit = "REML criterion" if self.reml else "deviance"
        return (
            f"<LmmResult {self.formula!r}: {crit} {self.objective:.4f}, nobs {self.nobs}, "
            f"{'converged' if self.converged else 'NOT converged'}{', singular' if self.singular else ''}>"
        )


def _format_column(values: list[float], digits: int) -> list[str]:
    """Format numbers with one shared number of decimals, as R's format(x, digits=)."""
    dec = 0
    for v in values:
        if v != 0 and np.isfinite(v):
            dec = max(dec, digits - 1 - int(math.floor(math.log10(abs(v)))))
    dec = min(dec, 10)
    cells = [f"{v:.{dec}f}" for v in values]
    w = max(len(c) for c in cells)
    return [c.rjust(w) for c in cells]


def _abbreviate(name: str) -> str:
    if name == "(Intercept)":
        return "(Intr)"
    return name[:6]


def _format_table(tab: pd.DataFrame) -> str:
    cols = list(tab.columns)
    body = {
        c: _format_column(list(tab[c]), 4) if c != "t value" else [f"{v:.3f}" for v in tab[c]] for c in cols
    }
    namew = max(len(str(i)) for i in tab.index)
    widths = {c: max(len(c), max(len(s) for s in body[c])) for c in cols}
    out = [" " * namew + " " + " ".join(c.rjust(widths[c]) for c in cols)]
    for k, idx in enumerate(tab.index):
        out.append(str(idx).ljust(namew) + " " + " ".join(body[c][k].rjust(widths[c]) for c in cols))
    return "\n".join(out)


def _group_labels(data: pd.DataFrame, group: tuple[str, ...]) -> list[str]:
    from .design import _label

    if len(group) == 1:
        return [_label(v) for v in data[group[0]]]
    cols = [data[g] for g in group]
    return [":".join(_label(v) for v in vals) for vals in zip(*cols)]


# ----------------------------------------------------------------------
def _independent_columns(X: np.ndarray, tol: float = 1e-7) -> np.ndarray:
    """Indices of columns to keep: a column is dropped when it is (numerically)
    a linear combination of the columns before it, like lme4's pivoted QR
    that sends dependent columns to the end."""
    n, p = X.shape
    keep: list[int] = []
    Q = np.zeros((n, 0))
    norms = np.sqrt(np.sum(X**2, axis=0))
    for j in range(p):
        v = X[:, j].copy()
        if norms[j] == 0:
            continue
        for _ in range(2):  # re-orthogonalise once for stability
            v -= Q @ (Q.T @ v)
        r = np.linalg.norm(v)
        if r > tol * norms[j]:
            keep.append(j)
            Q = np.column_stack([Q, v / r])
    return np.array(keep, dtype=np.int64)


def _check_columns(f: Formula, data: pd.DataFrame) -> None:
    missing = [v for v in f.variables if v not in data.columns]
    if missing:
        avail = ", ".join(map(str, list(data.columns)[:20]))
        raise MissingColumnError(
            f"the formula uses column(s) {missing} that are not in the data; "
            f"available columns: {avail}"
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
    _check_columns(f, data)
    used = list(f.variables)
    frame = data.loc[:, used]
    resp = frame[f.response]
    if not pd.api.types.is_numeric_dtype(resp.dtype) or pd.api.types.is_bool_dtype(resp.dtype):
        raise NonNumericResponseError(
            f"the response {f.response!r} must be numeric but has type {resp.dtype}; "
            "convert it (e.g. with pandas.to_numeric) or choose a numeric column"
        )
    complete = frame.notna().all(axis=1).to_numpy()
    n_total = len(frame)
    n_dropped = int(n_total - complete.sum())
    if not complete.all():
        frame = frame.loc[complete]
    if len(frame) == 0:
        raise EmptyDataError(
            f"no complete rows: all {n_total} row(s) have a missing value in at least one of "
            f"the columns {used} ({n_dropped} row(s) dropped)"
        )
    y = frame[f.response].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        raise NonNumericResponseError(f"the response {f.response!r} contains infinite values")
    n = y.size
    messages: list[str] = []
    if n_dropped:
        messages.append(f"{n_dropped} row(s) with missing values were dropped")

    variables = {v: variable_info(v, frame[v]) for v in used if v != f.response}
    fixed_spec = ModelMatrixSpec.create(f.terms, f.intercept, {v: variables[v] for v in f.fixed_variables})
    X_full = build_matrix(fixed_spec, frame)
    keep = _independent_columns(X_full)
    dropped = [fixed_spec.names[j] for j in range(X_full.shape[1]) if j not in set(keep.tolist())]
    if dropped:
        msg = (
            f"fixed-effect model matrix is rank deficient so dropping {len(dropped)} "
            f"column(s) / coefficient(s): {', '.join(dropped)}"
        )
        warnings.warn(msg, MultilevelWarning, stacklevel=2)
        messages.append(msg)
    X = X_full[:, keep]
    names = [fixed_spec.names[j] for j in keep]
    p = X.shape[1]

    # Random-effects terms.
    raw_terms: list[tuple[RandomTerm, ModelMatrixSpec, np.ndarray, np.ndarray, list[str]]] = []
    for rt in f.random:
        spec = ModelMatrixSpec.create(rt.terms, rt.intercept, {v: variables[v] for t in rt.terms for v in t})
        Z = build_matrix(spec, frame)
        codes, levels = group_codes(frame, rt.group)
        q = len(levels)
        if q < 2:
            raise TooFewLevelsError(
                f"the grouping factor {rt.group_label!r} has {q} level in the complete data; "
                "a random effect needs at least two groups (drop the term or use a fixed effect)"
            )
        d = Z.shape[1]
        n_par = d * (d + 1) // 2
        if q * d >= n:
            raise TooManyParametersError(
                f"the term ({' + '.join(spec.names)} | {rt.group_label}) has {q * d} random effects "
                f"for {n} observations; the random-effects and residual variances cannot both be "
                "estimated (use fewer effects per group or a grouping factor with fewer levels)"
            )
        if n_par > q:
            raise TooManyParametersError(
                f"the term ({' + '.join(spec.names)} | {rt.group_label}) has {n_par} variance and "
                f"covariance parameters but {rt.group_label!r} has only {q} levels; "
                "use fewer random slopes, (x || g) for uncorrelated effects, or more groups"
            )
        raw_terms.append((rt, spec, Z, codes, levels))
    # lme4 orders terms by number of levels, largest first (stable).
    order = sorted(range(len(raw_terms)), key=lambda i: -len(raw_terms[i][4]))
    raw_terms = [raw_terms[i] for i in order]
    labels: list[str] = []
    for rt, *_ in raw_terms:
        base = rt.group_label
        lab, k = base, 0
        while lab in labels:
            k += 1
            lab = f"{base}.{k}"
        labels.append(lab)
    terms = [
        _TermInfo(lab, rt.group_label, rt.group, spec, spec.names, levels, {l: i for i, l in enumerate(levels)})
        for lab, (rt, spec, Z, codes, levels) in zip(labels, raw_terms)
    ]
    blocks = [ReBlock(codes, Z, len(levels)) for (rt, spec, Z, codes, levels) in raw_terms]
    engine = Engine(blocks, X, y)

    theta, opt_info = _optimize(engine, reml, maxfev, X, y)
    fct, beta, u = engine.solve(theta)
    objective = engine.criterion(fct, reml)
    sigma2 = fct.pwrss / (n - p if reml else n)
    sigma = math.sqrt(sigma2)
    lam = engine.lambdas(theta)

    # Fixed-effect covariance: sigma^2 (R_X' R_X)^-1.
    c = fct.dense_factor
    if c is None:  # solve() always keeps the dense factor
        raise RuntimeError("factorisation kept no dense factor")
    n_re = fct.n_dense_re
    RXt = c[n_re : n_re + p, n_re : n_re + p]
    RXinv = scipy.linalg.solve_triangular(RXt, np.eye(p), lower=True)
    vcov = sigma2 * (RXinv.T @ RXinv)
    se = np.sqrt(np.diag(vcov))

    # Random effects b = Lambda u per level, and fitted values.
    fitted = X @ beta
    ranef: dict[str, pd.DataFrame] = {}
    for t, blk, L, uk in zip(terms, blocks, lam, u):
        b = uk @ L.T
        ranef[t.label] = pd.DataFrame(b, index=pd.Index(t.levels, name=t.group_label), columns=list(t.names))
        fitted = fitted + np.sum(blk.Z * b[blk.codes], axis=1)
    cv = engine.cond_var_u(fct)
    ranef_condvar: dict[str, np.ndarray] | None = None
    if cv is None:
        messages.append(
            "conditional variances of the random effects were not computed: the design "
            "outside the largest grouping factor is too large for the dense inverse"
        )
    else:
        ranef_condvar = {
            t.label: sigma2 * np.einsum("ij,qjk,lk->qil", L, V, L) for t, L, V in zip(terms, lam, cv)
        }

    # VarCorr as in as.data.frame(VarCorr(m)).
    vc_rows = []
    for t, L in zip(terms, lam):
        S = sigma2 * (L @ L.T)
        sd = np.sqrt(np.diag(S))
        for i, nm in enumerate(t.names):
            vc_rows.append((t.label, nm, "", S[i, i], sd[i]))
        d = len(t.names)
        for j in range(d):
            for i in range(j + 1, d):
                corr = S[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                vc_rows.append((t.label, t.names[j], t.names[i], S[i, j], corr))
    vc_rows.append(("Residual", "", "", sigma2, sigma))
    varcorr = pd.DataFrame(vc_rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])

    n_par = p + engine.n_theta + 1
    loglik = -objective / 2.0
    aic = objective + 2 * n_par
    bic = objective + n_par * math.log(n)

    # Diagnostics.
    diag_idx = np.isfinite(engine.lower) & (engine.lower == 0)
    singular = bool(np.any(theta[diag_idx] < SINGULAR_TOL))
    if singular:
        at = []
        for t, sl, (r, cidx) in zip(terms, engine.theta_slices, engine._tri):
            for val, i, j in zip(theta[sl], r, cidx):
                if i == j and val < SINGULAR_TOL:
                    at.append(f"{t.label} {t.names[i]}")
        msg = (
            "boundary (singular) fit: the variance of " + ", ".join(at) + " is estimated at (or "
            "very near) zero, or a correlation at +/-1; consider simplifying the random effects"
        )
        warnings.warn(msg, MultilevelWarning, stacklevel=2)
        messages.append(msg)
    # lme4 checks the gradient with tolerance 0.002; the criterion grows with
    # n, so the tolerance is scaled for very large objectives.
    # lme4 checks the gradient scaled by the Hessian (tolerance 0.002); the
    # scaling makes the check independent of the size of the data.
    converged = bool(opt_info["success"]) and float(opt_info["max_scaled_grad"]) < GRADIENT_TOL
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
    )


# ----------------------------------------------------------------------
# Warm start from a subsample when the largest factor has at least this many
# levels: the criterion of a large data set is steep, and most evaluations
# of a cold start are spent walking from theta = 1 to the optimum.
WARM_START_LEVELS = 20000


def _warm_start(engine: Engine, X: np.ndarray, y: np.ndarray, reml: bool) -> np.ndarray | None:
    """Theta fitted on a random 5% of the levels of the largest factor.

    The relative covariance parameters are ratios of standard deviations,
    which a subsample of the top-level units estimates without bias; the
    fit on all data then starts close to its optimum.  Returns ``None``
    when the subsample cannot be fitted (too few levels, rank-deficient X).
    """
    from .optimize import minimize_bounded

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
    res = minimize_bounded(lambda th: eng.objective(th, reml), x0, eng.lower, radius_init=0.2, radius_final=1e-4)
    return res.x if np.isfinite(res.fun) else None


def _optimize(
    engine: Engine, reml: bool, maxfev: int, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, dict[str, object]]:
    """Minimise the profiled criterion over theta within its bounds."""
    from .optimize import minimize_bounded

    lower = engine.lower
    x0 = np.where(np.isfinite(lower), 1.0, 0.0)
    radius = 0.2
    warm = None
    if engine.blocks[0].q >= WARM_START_LEVELS:
        warm = _warm_start(engine, X, y, reml)
        if warm is not None:
            x0, radius = np.maximum(warm, lower), 0.01

    def fun(th: np.ndarray) -> float:
        return engine.objective(th, reml)

    res = minimize_bounded(fun, x0, lower, maxfev=maxfev, radius_init=radius)
    theta = res.x
    grad, hdiag = _gradient(fun, theta, lower)
    scaled = np.where(hdiag > 0, np.abs(grad) / np.sqrt(np.where(hdiag > 0, hdiag, 1.0)), np.abs(grad))
    return theta, {
        "success": res.success,
        "message": res.message,
        "nfev": res.nfev,
        "fun": res.fun,
        "max_grad": float(np.max(np.abs(grad))) if grad.size else 0.0,
        "max_scaled_grad": float(np.max(scaled)) if grad.size else 0.0,
        "gradient": grad,
        "warm_start": warm is not None,
    }


def _gradient(fun, x: np.ndarray, lower: np.ndarray, h: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Finite-difference gradient and diagonal of the Hessian.

    At an active bound the one-sided derivative counts only when it points
    into the feasible region (the KKT condition); there the curvature is
    not used (reported as 0).
    """
    g = np.zeros_like(x)
    hd = np.zeros_like(x)
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
