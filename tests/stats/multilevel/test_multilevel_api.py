"""Behaviour of fit_lmm and its result: bad input, diagnostics, ranef, predict, summary."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.multilevel import (
    EmptyDataError,
    FormulaError,
    MissingColumnError,
    MultilevelError,
    MultilevelWarning,
    NonNumericResponseError,
    TooFewLevelsError,
    TooManyParametersError,
    fit_lmm,
)
from werkplaats.stats.multilevel.simulate import simulate_growth

GROWTH = "y ~ time * x + (time | client) + (1 | professional) + (1 | team)"


@pytest.fixture(scope="module")
def growth() -> pd.DataFrame:
    return simulate_growth(3000, seed=11, clients_per_professional=15, professionals_per_team=4)


@pytest.fixture(scope="module")
def growth_fit(growth: pd.DataFrame):
    return fit_lmm(GROWTH, growth)


# -- bad input ---------------------------------------------------------------
def test_missing_column_is_named(growth: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match=r"\['severity'\]"):
        fit_lmm("y ~ severity + (1 | client)", growth)


def test_grouping_factor_with_one_level(growth: pd.DataFrame) -> None:
    d = growth.assign(site="only")
    with pytest.raises(TooFewLevelsError, match="'site' has 1 level"):
        fit_lmm("y ~ time + (1 | client) + (1 | site)", d)


def test_non_numeric_response(growth: pd.DataFrame) -> None:
    d = growth.assign(label=np.where(growth["y"] > 20, "high", "low"))
    with pytest.raises(NonNumericResponseError, match="'label' must be numeric"):
        fit_lmm("label ~ time + (1 | client)", d)


def test_empty_after_dropping_incomplete_rows(growth: pd.DataFrame) -> None:
    d = growth.assign(x=np.nan)
    with pytest.raises(EmptyDataError, match=f"all {len(d)} row"):
        fit_lmm("y ~ x + (1 | client)", d)


def test_too_many_random_effects_for_the_data(growth: pd.DataFrame) -> None:
    # One random intercept and slope per observation: nothing left for the residual.
    d = growth.assign(obs=np.arange(len(growth)))
    with pytest.raises(TooManyParametersError, match="random effects"):
        fit_lmm("y ~ time + (1 | obs)", d)


def test_too_many_covariance_parameters_for_the_levels() -> None:
    rng = np.random.default_rng(0)
    n = 60
    d = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "g": rng.integers(0, 3, n),
        }
    )
    # (1 + a + b | g) has 6 (co)variance parameters; g has 3 levels.
    with pytest.raises(
        TooManyParametersError, match="6 variance and covariance parameters.*only 3 levels"
    ):
        fit_lmm("y ~ a + b + (a + b | g)", d)


def test_errors_are_value_errors() -> None:
    for cls in (
        MissingColumnError,
        TooFewLevelsError,
        NonNumericResponseError,
        EmptyDataError,
        TooManyParametersError,
        FormulaError,
    ):
        assert issubclass(cls, MultilevelError) and issubclass(cls, ValueError)


def test_formula_without_random_effects(growth: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match="no random-effects term"):
        fit_lmm("y ~ time", growth)


# -- missing values and rank deficiency ------------------------------------------
def test_incomplete_rows_are_dropped_and_counted(growth: pd.DataFrame, growth_fit) -> None:
    d = growth.copy()
    d.loc[[0, 5, 17], "y"] = np.nan
    d.loc[[5, 40], "x"] = np.nan
    m = fit_lmm(GROWTH, d)
    assert m.n_dropped == 4
    assert m.nobs == len(d) - 4
    assert any("4 row(s)" in msg for msg in m.messages)
    assert "4 row(s) with missing values were dropped" in m.summary()
    assert m.objective != growth_fit.objective


def test_rank_deficient_columns_are_dropped_with_warning(growth: pd.DataFrame, growth_fit) -> None:
    d = growth.assign(x2=2.0 * growth["x"])
    with pytest.warns(MultilevelWarning, match="rank deficient so dropping 1 column"):
        m = fit_lmm("y ~ time * x + x2 + (time | client) + (1 | professional) + (1 | team)", d)
    assert m.dropped_columns == ["x2"]
    assert list(m.fixef.index) == ["(Intercept)", "time", "x", "time:x"]
    assert_allclose(m.objective, growth_fit.objective, rtol=1e-8)
    # Predictions on new data still work with the dropped column present.
    assert_allclose(m.predict(d.head(5)), growth_fit.predict(d.head(5)), rtol=1e-6)


def test_singular_fit_is_flagged() -> None:
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(10), 5)
    d = pd.DataFrame({"y": rng.normal(size=50), "g": g})  # no group effect at all
    with pytest.warns(MultilevelWarning, match="singular"):
        m = fit_lmm("y ~ 1 + (1 | g)", d)
    assert m.singular
    assert m.varcorr.loc[0, "vcov"] < 1e-8
    assert "boundary (singular) fit" in m.summary()


# -- result contents ----------------------------------------------------------------
def test_varcorr_layout(growth_fit) -> None:
    vc = growth_fit.varcorr
    assert list(vc.columns) == ["grp", "var1", "var2", "vcov", "sdcor"]
    assert list(vc["grp"]) == ["client", "client", "client", "professional", "team", "Residual"]
    assert list(vc["var1"]) == [
        "(Intercept)",
        "time",
        "(Intercept)",
        "(Intercept)",
        "(Intercept)",
        "",
    ]
    assert list(vc["var2"]) == ["", "", "time", "", "", ""]
    cov = vc.loc[2]
    assert_allclose(cov["sdcor"], cov["vcov"] / (vc.loc[0, "sdcor"] * vc.loc[1, "sdcor"]))
    assert_allclose(vc.loc[5, "sdcor"], growth_fit.sigma)


def test_icc(growth_fit) -> None:
    icc = growth_fit.icc
    assert list(icc["grp"]) == ["client", "professional", "team", "Residual"]
    assert_allclose(icc["icc"].sum(), 1.0)
    # Cumulative ICC of the client level = share of all three levels.
    assert_allclose(icc.loc[0, "icc_cumulative"], icc["icc"][:3].sum())


def test_ranef_and_fitted_are_consistent(growth: pd.DataFrame, growth_fit) -> None:
    m = growth_fit
    re = m.ranef
    assert set(re) == {"client", "professional", "team"}
    assert list(re["client"].columns) == ["(Intercept)", "time"]
    assert len(re["client"]) == growth["client"].nunique()
    cv = m.ranef_condvar
    assert cv is not None and cv["client"].shape == (len(re["client"]), 2, 2)
    assert np.all(cv["team"][:, 0, 0] > 0)
    # Fitted = X beta + Z b, rebuilt by hand for the first rows.
    beta = m.fixef
    row = growth.iloc[0]
    expect = (
        beta["(Intercept)"]
        + beta["time"] * row.time
        + beta["x"] * row.x
        + beta["time:x"] * row.time * row.x
        + re["client"].loc[str(int(row.client)), "(Intercept)"]
        + re["client"].loc[str(int(row.client)), "time"] * row.time
        + re["professional"].loc[str(int(row.professional)), "(Intercept)"]
        + re["team"].loc[str(int(row.team)), "(Intercept)"]
    )
    assert_allclose(m.fitted.iloc[0], expect, rtol=1e-10)
    assert_allclose(m.residuals + m.fitted, growth["y"], rtol=1e-12)
    long = m.ranef_frame()
    assert list(long.columns) == ["grpvar", "term", "grp", "condval", "condsd"]


def test_confint_is_wald(growth_fit) -> None:
    ci = growth_fit.confint(0.95)
    assert_allclose(ci["97.5 %"] - growth_fit.fixef, 1.959963984540054 * growth_fit.se)
    assert list(growth_fit.confint(0.9).columns) == ["5 %", "95 %"]


def test_predict_population_conditional_and_unseen(growth: pd.DataFrame, growth_fit) -> None:
    m = growth_fit
    assert_allclose(m.predict(growth), m.fitted.to_numpy(), rtol=1e-10)
    pop = m.predict(growth, re_form="~0")
    X = np.column_stack([np.ones(len(growth)), growth.time, growth.x, growth.time * growth.x])
    assert_allclose(pop, X @ m.fixef.to_numpy(), rtol=1e-12)
    new = growth.head(3).copy()
    new["client"] = [-1, -2, -3]  # unseen clients: only professional and team effects
    only_upper = m.predict(new, re_form="~(1 | professional) + (1 | team)")
    assert_allclose(m.predict(new), only_upper, rtol=1e-12)
    assert not np.allclose(only_upper, pop[:3])
    team_only = m.predict(growth.head(3), re_form="~(1 | team)")
    t = m.ranef["team"].loc[growth.head(3)["team"].astype(str), "(Intercept)"].to_numpy()
    assert_allclose(team_only, pop[:3] + t, rtol=1e-12)
    with pytest.raises(ValueError, match="names no grouping factor"):
        m.predict(growth.head(2), re_form="~(1 | nothing)")
    with pytest.raises(MissingColumnError):
        m.predict(growth[["time", "client"]])


def test_predict_missing_predictor_gives_nan(growth_fit, growth: pd.DataFrame) -> None:
    new = growth.head(2).copy()
    new.loc[new.index[0], "x"] = np.nan
    p = growth_fit.predict(new)
    assert np.isnan(p[0]) and np.isfinite(p[1])


def test_summary_layout(growth_fit) -> None:
    text = growth_fit.summary()
    lines = text.splitlines()
    assert lines[0] == "Linear mixed model fit by REML ['lmerMod']"
    assert lines[1] == "Formula: " + GROWTH
    assert any(line.startswith("REML criterion at convergence: ") for line in lines)
    assert " Groups       Name        Variance Std.Dev. Corr" in lines
    assert any(line.startswith("Number of obs: 3") and "client," in line for line in lines)
    i = lines.index("Fixed effects:")
    assert lines[i + 1].split() == ["Estimate", "Std.", "Error", "t", "value"]
    assert lines[i + 2].startswith("(Intercept)")
    assert "Correlation of Fixed Effects:" in lines


def test_summary_ml_shows_information_criteria(growth: pd.DataFrame) -> None:
    m = fit_lmm("y ~ time + (1 | client)", growth, reml=False)
    lines = m.summary().splitlines()
    assert lines[0] == "Linear mixed model fit by maximum likelihood  ['lmerMod']"
    assert lines[4].split() == ["AIC", "BIC", "logLik", "deviance", "df.resid"]
    assert_allclose(float(lines[5].split()[2]), m.loglik, atol=0.06)
    assert_allclose(m.aic, -2 * m.loglik + 2 * 4)
    assert_allclose(m.bic, -2 * m.loglik + 4 * np.log(m.nobs))


def test_convergence_reported(growth_fit) -> None:
    assert growth_fit.converged
    assert growth_fit.convergence.startswith("converged after")
    assert growth_fit.optimizer["max_scaled_grad"] < 2e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = fit_lmm(GROWTH, simulate_growth(3000, seed=11, clients_per_professional=15), maxfev=12)
    assert not m.converged
    assert "did not converge" in m.convergence


def test_sparse_crossed_remainder_equals_the_dense_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Crossed factors beyond SPARSE_MIN columns go through the sparse factorisation: same fit."""
    import werkplaats.stats.multilevel.engine as engine

    rng = np.random.default_rng(2)
    n = 4000
    d = pd.DataFrame(
        {"a": rng.integers(0, 900, n), "b": rng.integers(0, 500, n), "x": rng.normal(size=n)}
    )
    d["y"] = (
        1
        + 0.5 * d.x
        + rng.normal(size=900)[d.a]
        + 0.7 * rng.normal(size=500)[d.b]
        + rng.normal(size=n)
    )
    dense = fit_lmm("y ~ x + (1 | a) + (1 | b)", d)
    monkeypatch.setattr(engine, "SPARSE_MIN", 100)
    sparse = fit_lmm("y ~ x + (1 | a) + (1 | b)", d)
    de, se = dense._engine, sparse._engine
    assert isinstance(de, engine.Engine) and isinstance(se, engine.Engine)
    assert not de.sparse and se.sparse
    # The same criterion at the same theta (both factorisations exact) ...
    for theta in (dense.theta, np.array([0.3, 1.7]), np.array([2.0, 0.05])):
        for reml in (True, False):
            assert_allclose(se.objective(theta, reml), de.objective(theta, reml), rtol=1e-12)
    # ... so the same fit, up to the optimiser's tolerance in theta.
    assert_allclose(sparse.objective, dense.objective, rtol=1e-12)
    assert_allclose(sparse.theta, dense.theta, rtol=1e-5)
    assert_allclose(sparse.fixef, dense.fixef, rtol=1e-7)
    assert_allclose(sparse.se, dense.se, rtol=1e-6)
    assert_allclose(sparse.ranef["b"], dense.ranef["b"], rtol=1e-5, atol=1e-8)
    assert sparse.ranef_condvar is None  # not formed for the sparse remainder (said in messages)
    assert any("conditional variances" in msg for msg in sparse.messages)


def test_warm_start_reaches_the_same_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large designs start from a subsample fit; the optimum must not change."""
    import werkplaats.stats.multilevel.fit_optimize as model

    d = simulate_growth(100000, seed=5)
    warm = fit_lmm(GROWTH, d)
    assert warm.optimizer["warm_start"]
    monkeypatch.setattr(model, "WARM_START_LEVELS", 10**9)
    cold = fit_lmm(GROWTH, d)
    assert not cold.optimizer["warm_start"]
    assert_allclose(warm.objective, cold.objective, rtol=1e-10)
    assert_allclose(warm.fixef, cold.fixef, rtol=1e-5)
    assert_allclose(warm.varcorr["vcov"], cold.varcorr["vcov"], rtol=1e-4)


# -- infinite values and a constant response ----------------------------------------
def test_infinite_predictor_is_refused_naming_column_and_rows(growth: pd.DataFrame) -> None:
    from werkplaats.stats.multilevel import InfiniteValueError

    d = growth.copy()
    d.loc[[3, 8], "x"] = np.inf
    with pytest.raises(
        InfiniteValueError, match=r"column 'x' contains infinite values in 2 row\(s\) \(rows 3, 8\)"
    ):
        fit_lmm(GROWTH, d)


def test_infinite_random_slope_covariate_is_refused(growth: pd.DataFrame) -> None:
    from werkplaats.stats.multilevel import InfiniteValueError

    d = growth.copy()
    d.loc[11, "time"] = -np.inf
    with pytest.raises(InfiniteValueError, match=r"'time'.*rows 11\)"):
        fit_lmm("y ~ x + (time | client)", d)


def test_constant_response_says_y_has_no_variance(growth: pd.DataFrame) -> None:
    from werkplaats.stats.multilevel import ConstantResponseError

    with pytest.raises(ConstantResponseError, match="y has no variance"):
        fit_lmm(GROWTH, growth.assign(y=3.0))


def test_doctests_of_the_multilevel_modules_run() -> None:
    import doctest
    import importlib

    for name in ("fit", "results", "formula", "optimize", "simulate"):
        module = importlib.import_module(f"werkplaats.stats.multilevel.{name}")
        result = doctest.testmod(module)
        assert result.failed == 0, name
