"""Result objects of the multilevel engine (as statsmodels keeps MixedLMResults apart).

``LmmResult`` (from :func:`fit_lmm`) and ``GlmmResult`` (from :func:`fit_glmm`)
share the methods of :class:`MixedResultMethods`: Wald intervals, conditional
modes in long form and the linear predictor for new data.  The text of
``summary()`` is built in :mod:`.summary`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd
import scipy.stats

from .design import ModelMatrixSpec, build_matrix
from .errors import MissingColumnError
from .formula import parse_formula
from .frame import TermInfo, group_labels

__all__ = ["MixedResultMethods", "LmmResult", "GlmmResult"]


class MixedResultMethods:
    """Methods shared by the linear and the generalised mixed-model results."""

    fixef: pd.Series
    se: pd.Series
    ranef: dict[str, pd.DataFrame]
    ranef_condvar: dict[str, np.ndarray] | None
    _terms: list[TermInfo]
    _fixed_spec: ModelMatrixSpec
    _keep_columns: np.ndarray

    def _wald(self, level: float, dist: object = None) -> pd.DataFrame:
        if not 0 < level < 1:
            raise ValueError("level must lie between 0 and 1")
        z = scipy.stats.norm.ppf(0.5 + level / 2)
        lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        return pd.DataFrame(
            {f"{lo:g} %": self.fixef - z * self.se, f"{hi:g} %": self.fixef + z * self.se}
        )

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
        return self._wald(level)

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

    def _linear_predictor(self, newdata: pd.DataFrame, re_form: object) -> np.ndarray:
        """X beta (+ Z b for the terms ``re_form`` selects) for new data; unseen levels give 0."""
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
            keys = group_labels(newdata, t.group)
            idx = np.array([t.level_index.get(k, -1) for k in keys], dtype=np.int64)
            b = self.ranef[t.label].to_numpy()
            contrib = np.zeros(len(newdata))
            seen = idx >= 0
            contrib[seen] = np.sum(Z[seen] * b[idx[seen]], axis=1)
            contrib[~seen & np.isnan(Z).any(axis=1)] = np.nan
            pred = pred + contrib
        return cast("np.ndarray", pred)

    def _terms_for(self, re_form: object) -> list[TermInfo]:
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


@dataclass
class LmmResult(MixedResultMethods):
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
    _terms: list[TermInfo] = field(repr=False)
    _fixed_spec: ModelMatrixSpec = field(repr=False)
    _keep_columns: np.ndarray = field(repr=False)
    _data_name: str = field(repr=False, default="data")
    _engine: object = field(repr=False, default=None)
    clusters: pd.DataFrame | None = None
    _satt: pd.DataFrame | None = field(repr=False, default=None)

    def satterthwaite(self, level: float = 0.95) -> pd.DataFrame:
        """Fixed effects with Satterthwaite degrees of freedom, t intervals and p-values (as lmerTest).

        Columns ``Estimate, Std. Error, df, t value, Pr(>|t|)`` and the interval
        bounds at ``level``.  Computed on first use (numerical derivatives of
        the deviance in the variance parameters) and kept.

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_lmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_growth
        >>> m = fit_lmm("y ~ time + (1 | client)", simulate_growth(500, seed=3))
        >>> list(m.satterthwaite().columns)
        ['Estimate', 'Std. Error', 'df', 't value', 'Pr(>|t|)', '2.5 %', '97.5 %']
        """
        if not 0 < level < 1:
            raise ValueError("level must lie between 0 and 1")
        if self._satt is None:
            from .satterthwaite import satterthwaite_df

            if self._engine is None:
                raise ValueError(
                    "this result keeps no engine to compute Satterthwaite degrees of freedom"
                )
            df, _ = satterthwaite_df(self._engine, self.theta, self.sigma, self.reml)  # type: ignore[arg-type]
            t = self.fixef / self.se
            self._satt = pd.DataFrame(
                {
                    "Estimate": self.fixef,
                    "Std. Error": self.se,
                    "df": df,
                    "t value": t,
                    "Pr(>|t|)": 2 * scipy.stats.t.sf(np.abs(t.to_numpy()), df),
                }
            )
        out = self._satt.copy()
        q = scipy.stats.t.ppf(0.5 + level / 2, out["df"].to_numpy())
        lo, hi = (1 - level) / 2 * 100, (1 + level) / 2 * 100
        out[f"{lo:g} %"] = out["Estimate"] - q * out["Std. Error"]
        out[f"{hi:g} %"] = out["Estimate"] + q * out["Std. Error"]
        return out

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
                return cast("np.ndarray", self.fitted.to_numpy().copy())
            raise ValueError("give newdata when asking for re_form other than None")
        return self._linear_predictor(newdata, re_form)

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
        from .summary import lmm_summary

        return lmm_summary(self)

    def __repr__(self) -> str:
        crit = "REML criterion" if self.reml else "deviance"
        return (
            f"<LmmResult {self.formula!r}: {crit} {self.objective:.4f}, nobs {self.nobs}, "
            f"{'converged' if self.converged else 'NOT converged'}{', singular' if self.singular else ''}>"
        )


@dataclass
class GlmmResult(MixedResultMethods):
    """A fitted generalised linear mixed model (from :func:`fit_glmm`).

    Attributes follow lme4's names as :class:`LmmResult`; ``objective`` is
    -2 log-likelihood (lme4's ``deviance`` line in the summary, ``devCrit``),
    ``deviance`` the sum of squared deviance residuals (R's ``deviance(m)``),
    ``fitted`` the fitted means (response scale), ``linear_predictor`` the
    fitted linear predictor, ``vcov`` the covariance of the fixed effects
    (from the finite-difference Hessian as glmer, or from R_X for
    ``nAGQ = 0`` and when that Hessian is not positive definite), ``vcov_rx``
    the one from R_X.
    """

    formula: str
    family: str
    link: str
    nagq: int
    nobs: int
    n_dropped: int
    fixef: pd.Series
    se: pd.Series
    zvalue: pd.Series
    pvalue: pd.Series
    vcov: pd.DataFrame
    vcov_rx: pd.DataFrame
    varcorr: pd.DataFrame
    theta: np.ndarray
    objective: float
    loglik: float
    aic: float
    bic: float
    deviance: float
    df: int
    ranef: dict[str, pd.DataFrame]
    ranef_condvar: dict[str, np.ndarray] | None
    ngroups: dict[str, int]
    fitted: pd.Series
    linear_predictor: pd.Series
    residuals: pd.Series
    pearson_residuals: pd.Series
    converged: bool
    convergence: str
    singular: bool
    dropped_columns: list[str]
    messages: list[str]
    optimizer: dict[str, object]
    has_weights: bool
    has_offset: bool
    _terms: list[TermInfo] = field(repr=False)
    _fixed_spec: ModelMatrixSpec = field(repr=False)
    _keep_columns: np.ndarray = field(repr=False)
    _family: object = field(repr=False)
    _data_name: str = field(repr=False, default="data")

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        re_form: object = None,
        type: str = "link",
        offset: object = None,
    ) -> np.ndarray:
        """Predictions on the link (``type="link"``, default as lme4) or response scale.

        ``re_form`` as for :meth:`LmmResult.predict`: ``None`` conditional on
        all random effects, ``"~0"`` population level; levels not seen in
        the fit contribute 0.  ``offset``: a column name of ``newdata`` or an
        array added to the linear predictor (none when omitted).

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_glmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_binary_growth
        >>> d = simulate_binary_growth(600, seed=3)
        >>> m = fit_glmm("attained ~ time + (1 | client)", d, family="binomial")
        >>> p = m.predict(d.head(3), type="response")
        >>> bool(((p > 0) & (p < 1)).all())
        True
        """
        if type not in ("link", "response"):
            raise ValueError("type must be 'link' or 'response'")
        if newdata is None:
            if re_form is not None:
                raise ValueError("give newdata when asking for re_form other than None")
            out = self.linear_predictor.to_numpy().copy()
        else:
            out = self._linear_predictor(newdata, re_form)
            if offset is not None:
                off = newdata[offset] if isinstance(offset, str) else offset
                out = out + np.asarray(off, dtype=float)
        if type == "response":
            return cast("np.ndarray", self._family.linkinv(out))  # type: ignore[attr-defined]
        return cast("np.ndarray", out)

    def confint(self, level: float = 0.95) -> pd.DataFrame:
        """Wald confidence intervals of the fixed effects (link scale)."""
        return self._wald(level)

    def ratios(self, level: float = 0.95) -> pd.DataFrame:
        """exp(estimate) with its Wald interval: odds ratios (logit), rate ratios (log link).

        Examples
        --------
        >>> from werkplaats.stats.multilevel import fit_glmm
        >>> from werkplaats.stats.multilevel.simulate import simulate_binary_growth
        >>> m = fit_glmm("attained ~ time + (1 | client)", simulate_binary_growth(600, seed=3), family="binomial")
        >>> list(m.ratios().columns)
        ['odds ratio', '2.5 %', '97.5 %']
        """
        name = self._family.ratio_name  # type: ignore[attr-defined]
        if not name:
            raise ValueError(f"exp(estimate) has no ratio meaning for the {self.link} link")
        ci = np.exp(self._wald(level))
        out = pd.DataFrame({name: np.exp(self.fixef)}, index=self.fixef.index)
        return pd.concat([out, ci], axis=1)

    def summary(self) -> str:
        """A text summary laid out like lme4's ``summary()`` of a ``glmer`` fit."""
        from .summary import glmm_summary

        return glmm_summary(self)

    def __repr__(self) -> str:
        return (
            f"<GlmmResult {self.formula!r} ({self.family}, {self.link}): -2 log-likelihood "
            f"{self.objective:.4f}, nobs {self.nobs}, {'converged' if self.converged else 'NOT converged'}"
            f"{', singular' if self.singular else ''}>"
        )
