"""Behaviour of fit_glmm beyond agreement with glmer: input checks, diagnostics, results."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.multilevel import (
    FormulaError,
    InfiniteValueError,
    InvalidResponseError,
    MissingColumnError,
    MultilevelWarning,
    fit_glmm,
)
from werkplaats.stats.multilevel.simulate import simulate_binary_growth


@pytest.fixture(scope="module")
def binary() -> pd.DataFrame:
    return simulate_binary_growth(3000, seed=8, clients_per_professional=20)


@pytest.fixture(scope="module")
def binary_fit(binary: pd.DataFrame):
    return fit_glmm(
        "attained ~ time + x + (1 | client) + (1 | professional)", binary, family="binomial"
    )


def test_binomial_response_must_be_zero_one(binary: pd.DataFrame) -> None:
    d = binary.copy()
    d.loc[[4, 9], "attained"] = 2
    with pytest.raises(InvalidResponseError, match=r"must be 0/1.*value\(s\) 2 in rows 4, 9"):
        fit_glmm("attained ~ time + (1 | client)", d)


def test_negative_counts_are_refused(binary: pd.DataFrame) -> None:
    d = binary.assign(count=binary["attained"] * 3)
    d.loc[7, "count"] = -1
    with pytest.raises(InvalidResponseError, match=r"cannot be negative.*rows 7\)"):
        fit_glmm("count ~ time + (1 | client)", d, family="poisson")
    with pytest.raises(InvalidResponseError, match=r"negative count \(rows 7\)"):
        fit_glmm("cbind(count, 5 - count) ~ time + (1 | client)".replace("5 - count", "count"), d)


def test_infinite_covariate_is_refused_naming_rows(binary: pd.DataFrame) -> None:
    d = binary.copy()
    d.loc[12, "x"] = np.inf
    with pytest.raises(InfiniteValueError, match=r"'x'.*rows 12\)"):
        fit_glmm("attained ~ x + (1 | client)", d)


def test_missing_columns_and_bad_arguments(binary: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError):
        fit_glmm("attained ~ nothing + (1 | client)", binary)
    with pytest.raises(MissingColumnError, match="weights"):
        fit_glmm("attained ~ time + (1 | client)", binary, weights="w")
    with pytest.raises(FormulaError, match="no random-effects term"):
        fit_glmm("attained ~ time", binary)
    with pytest.raises(FormulaError, match="only meaningful for the binomial"):
        fit_glmm("cbind(attained, attained) ~ time + (1 | client)", binary, family="poisson")
    with pytest.raises(ValueError, match="link"):
        fit_glmm("attained ~ time + (1 | client)", binary, link="log")
    with pytest.raises(ValueError, match="single scalar random effect"):
        fit_glmm("attained ~ time + (1 | client) + (1 | professional)", binary, nAGQ=5)


def test_factor_and_boolean_responses_equal_zero_one(binary: pd.DataFrame, binary_fit) -> None:
    formula = "attained ~ time + x + (1 | client) + (1 | professional)"
    lab = binary.assign(attained=np.where(binary["attained"] == 1, "yes", "no"))
    m = fit_glmm(formula, lab)  # first level ("no") is failure, as in R
    assert_allclose(m.fixef, binary_fit.fixef, rtol=1e-6)
    b = binary.assign(attained=binary["attained"].astype(bool))
    assert_allclose(fit_glmm(formula, b).objective, binary_fit.objective, rtol=1e-10)


def test_separation_is_named(binary: pd.DataFrame) -> None:
    d = binary.copy()
    d["group"] = np.where(np.arange(len(d)) % 7 == 0, "rare", "common")
    d.loc[d["group"] == "rare", "attained"] = 1
    with pytest.warns(
        MultilevelWarning,
        match=r"separation.*grouprare \(the response is always 1 where grouprare = 1\)",
    ):
        fit_glmm("attained ~ time + group + (1 | client)", d)


def test_results_vocabulary(binary_fit, binary: pd.DataFrame) -> None:
    m = binary_fit
    assert list(m.varcorr.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    assert "Residual" not in set(m.varcorr["grp"])
    assert m.ranef["client"].shape == (binary["client"].nunique(), 1)
    assert m.ranef_condvar is not None and np.all(m.ranef_condvar["client"] > 0)
    assert_allclose(m.aic, m.objective + 2 * m.df)
    assert_allclose(m.predict(), m.linear_predictor)
    assert_allclose(m.predict(type="response"), m.fitted, rtol=1e-12)
    new = binary.head(4).copy()
    new["client"] = -1  # unseen: the client effect is 0
    only_prof = m.predict(new, re_form="~(1 | professional)")
    assert_allclose(m.predict(new), only_prof)
    ratios = m.ratios()
    assert_allclose(ratios["odds ratio"], np.exp(m.fixef))
    assert np.all(ratios["2.5 %"] < ratios["odds ratio"])
    assert_allclose(
        m.pvalue, 2 * (1 - __import__("scipy").stats.norm.cdf(np.abs(m.zvalue))), atol=1e-12
    )


def test_summary_reads_like_lme4(binary_fit) -> None:
    s = binary_fit.summary()
    lines = s.splitlines()
    assert lines[0] == (
        "Generalized linear mixed model fit by maximum likelihood (Laplace Approximation) ['glmerMod']"
    )
    assert lines[1] == " Family: binomial  ( logit )".replace("  (", " (")
    assert "     AIC      BIC   logLik deviance df.resid" in s or "AIC" in lines[5]
    assert "Random effects:" in s and "Residual" not in s
    assert "Pr(>|z|)" in s and "Correlation of Fixed Effects:" in s
    assert "Number of obs: 3000" not in s or binary_fit.nobs == 3000


def test_nagq0_and_agq_are_close_to_laplace(binary: pd.DataFrame) -> None:
    formula = "attained ~ time + (1 | client)"
    lap = fit_glmm(formula, binary)
    agq = fit_glmm(formula, binary, nAGQ=9)
    fast = fit_glmm(formula, binary, nAGQ=0)
    assert agq.nagq == 9 and fast.nagq == 0
    assert_allclose(agq.fixef, lap.fixef, rtol=0.05)
    # nAGQ = 0 is biased towards zero for binary data in small clusters (as in lme4), and its
    # criterion is the Laplace deviance at its own estimates, so never below Laplace's optimum.
    assert_allclose(fast.fixef, lap.fixef, rtol=0.2)
    assert fast.objective >= lap.objective - 1e-8
    assert "Adaptive Gauss-Hermite Quadrature (nAGQ = 9)" in agq.summary()


def test_poisson_rate_ratios_and_offset(binary: pd.DataFrame) -> None:
    rng = np.random.default_rng(3)
    d = binary.copy()
    d["exposure"] = rng.uniform(0.5, 2.0, len(d))
    lam = d["exposure"] * np.exp(0.2 + 0.1 * d["time"])
    d["contacts"] = rng.poisson(lam)
    d["log_exposure"] = np.log(d["exposure"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MultilevelWarning)
        m = fit_glmm("contacts ~ time + (1 | client)", d, family="poisson", offset="log_exposure")
    assert m.has_offset and list(m.ratios().columns)[0] == "rate ratio"
    assert abs(m.fixef["time"] - 0.1) < 0.05
    # Doubling the exposure doubles the predicted rate.
    new = d.head(3)
    assert_allclose(
        m.predict(new, type="response", offset=np.log(2 * new["exposure"])),
        2 * m.predict(new, type="response", offset="log_exposure"),
        rtol=1e-12,
    )
