"""Agreement of fit_glmm with lme4's glmer (values in reference/glmm_reference.json).

The reference fits use tight optimiser and PIRLS tolerances
(make_glmm_reference.R).  Tolerances from the issue: estimates within 1e-4
relative of a tightly converged glmer; -2 log-likelihood within 1e-6.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.multilevel import GlmmResult, fit_glmm

REF_DIR = Path(__file__).resolve().parent / "reference"

FACTORS = {
    "cbpp": ["herd", "period"],
    "grouseticks": ["INDEX", "BROOD", "YEAR", "LOCATION"],
    "verbagg": ["Gender", "btype", "situ", "id", "item"],
    "binary_growth": ["client", "professional", "team"],
}
CBPP = "cbind(incidence, size - incidence) ~ period + (1 | herd)"
VERBAGG = "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)"
CASES: dict[str, tuple[str, str, dict]] = {
    "cbpp": ("cbpp", CBPP, {}),
    "cbpp_prop_weights": ("cbpp", "prop ~ period + (1 | herd)", {"weights": "size"}),
    "cbpp_agq9": ("cbpp", CBPP, {"nAGQ": 9}),
    "cbpp_agq25": ("cbpp", CBPP, {"nAGQ": 25}),
    "cbpp_nagq0": ("cbpp", CBPP, {"nAGQ": 0}),
    "cbpp_probit": ("cbpp", CBPP, {"link": "probit"}),
    "cbpp_cloglog": ("cbpp", CBPP, {"link": "cloglog"}),
    "cbpp_poisson_offset": (
        "cbpp",
        "incidence ~ period + (1 | herd)",
        {"family": "poisson", "offset": "lsize"},
    ),
    "grouseticks": (
        "grouseticks",
        "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
        {"family": "poisson"},
    ),
    "verbagg": ("verbagg", VERBAGG, {}),
    "verbagg_nagq0": ("verbagg", VERBAGG, {"nAGQ": 0}),
    "binary_growth": (
        "binary_growth",
        "attained ~ time * x + (time | client) + (1 | professional)",
        {},
    ),
    # Non-canonical links on the fast path (exact gradient with observed weights).
    "verbagg_probit": ("verbagg", VERBAGG, {"link": "probit"}),
    "verbagg_cloglog": ("verbagg", VERBAGG, {"link": "cloglog"}),
    "binary_growth_probit": (
        "binary_growth",
        "attained ~ time * x + (1 | client) + (1 | professional)",
        {"link": "probit"},
    ),
}
_data: dict[str, pd.DataFrame] = {}
_fits: dict[str, GlmmResult] = {}


def dataset(name: str) -> pd.DataFrame:
    if name not in _data:
        d = pd.read_csv(REF_DIR / f"{name}.csv")
        for c in FACTORS[name]:
            d[c] = d[c].astype(str).astype("category")
        _data[name] = d
    return _data[name]


def fitted(key: str) -> GlmmResult:
    if key not in _fits:
        data, formula, kw = CASES[key]
        kw = {"family": "binomial", **kw}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _fits[key] = fit_glmm(formula, dataset(data), **kw)
    return _fits[key]


@pytest.fixture(scope="module")
def reference() -> dict:
    with open(REF_DIR / "glmm_reference.json", encoding="utf-8") as fh:
        return json.load(fh)


def values(x: object) -> np.ndarray:
    return np.atleast_1d(np.array(list(x.values()) if isinstance(x, dict) else x, dtype=float))


def saturated(m: GlmmResult) -> float:
    """-2 log-likelihood of the saturated model: lme4's AGQ criterion leaves it out."""
    fam = m._family
    key = next(k for k, v in _fits.items() if v is m)
    data, formula, kw = CASES[key]
    d = dataset(data)
    y, n = d["incidence"].to_numpy(float), d["size"].to_numpy(float)
    return float(np.sum(fam.neg2ll(y / n, y / n, n, np.ones_like(n))))  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", list(CASES))
def test_agrees_with_glmer(key: str, reference: dict) -> None:
    m, r = fitted(key), reference[key]
    assert m.nobs == r["nobs"]
    assert (m.family, m.link, m.nagq) == (r["family"], r["link"], r["nAGQ"])
    objective = m.objective - (saturated(m) if m.nagq > 1 else 0.0)
    assert_allclose(objective, r["objective"], rtol=1e-6)
    assert objective <= r["objective"] + 1e-6 * abs(r["objective"])  # at least as good an optimum
    assert list(m.fixef.index) == list(r["fixef"])
    assert_allclose(m.fixef.to_numpy(), values(r["fixef"]), rtol=1e-4)
    # glmer's standard errors come from a finite-difference Hessian of its Laplace deviance.
    # For VerbAgg (crossed) they move by ~5e-4 when glmer's PIRLS tolerance changes, while
    # ours agree to 5e-6 between Hessian steps of 1e-3 and 1e-4: compared at 1e-3 there.
    # The R_X-based standard errors agree to 1e-7 in every case.
    crossed = key.startswith("verbagg")
    assert_allclose(m.se.to_numpy(), values(r["se"]), rtol=1e-3 if crossed else 1e-4)
    assert_allclose(np.sqrt(np.diag(m.vcov_rx)), values(r["se_rx"]), rtol=1e-4)
    assert_allclose(m.zvalue.to_numpy(), values(r["zvalue"]), rtol=1e-3 if crossed else 1e-4)
    assert_allclose(m.theta, values(r["theta"]), rtol=1e-4)
    vc = r["varcorr"]
    assert list(m.varcorr["grp"]) == list(np.atleast_1d(vc["grp"]))
    assert_allclose(m.varcorr["vcov"].to_numpy(), values(vc["vcov"]), rtol=1e-4)
    assert_allclose(m.varcorr["sdcor"].to_numpy(), values(vc["sdcor"]), rtol=1e-4)
    if m.nagq <= 1:
        assert_allclose([m.loglik, m.aic, m.bic], [r["loglik"], r["aic"], r["bic"]], rtol=1e-6)
    assert_allclose(m.deviance, r["deviance"], rtol=1e-5)
    assert m.nobs - m.df == r["df_resid"]
    assert m.ngroups == r["ngrps"]
    assert m.converged and not m.singular
    assert_allclose(m.fitted.to_numpy(), values(r["fitted"]), rtol=1e-4)


@pytest.mark.parametrize(
    "key",
    ["cbpp", "cbpp_agq25", "grouseticks", "verbagg", "binary_growth", "verbagg_probit"],
)
def test_conditional_modes_agree(key: str, reference: dict) -> None:
    m, r = fitted(key), reference[key]
    ours = m.ranef_frame().set_index(["grpvar", "term", "grp"])
    theirs = pd.DataFrame(r["ranef"]).set_index(["grpvar", "term", "grp"])
    ours = ours.loc[theirs.index]
    assert_allclose(ours["condval"].to_numpy(), theirs["condval"].to_numpy(), rtol=1e-3, atol=1e-5)
    assert_allclose(ours["condsd"].to_numpy(), theirs["condsd"].to_numpy(), rtol=1e-4)


def test_predictions_agree(reference: dict) -> None:
    m, r = fitted("cbpp"), reference["cbpp"]["predict"]
    new = pd.DataFrame({"period": r["period"], "herd": r["herd"]})
    assert_allclose(m.predict(new, re_form="~0"), r["link_population"], rtol=1e-5)
    assert_allclose(m.predict(new), r["link_conditional"], rtol=1e-5)
    assert_allclose(m.predict(new, type="response"), r["response_conditional"], rtol=1e-5)


def test_proportions_with_weights_equal_cbind() -> None:
    a, b = fitted("cbpp"), fitted("cbpp_prop_weights")
    assert_allclose(a.objective, b.objective, rtol=1e-10)
    assert_allclose(a.fixef, b.fixef, rtol=1e-6)


def test_warm_start_from_a_subsample_agrees_with_glmer(
    reference: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large data start stage 2 from the fit on a subsample of the largest factor's
    levels instead of running stage 1 on all rows; the optimum must not move.  The
    threshold is lowered so that the committed growth data (1,277 clients) take
    that path with a 300-client subsample."""
    from werkplaats.stats.multilevel import glmm_optimize

    monkeypatch.setattr(glmm_optimize, "WARM_LEVELS", 500)
    monkeypatch.setattr(glmm_optimize, "WARM_MIN_LEVELS", 300)
    data, formula, kw = CASES["binary_growth"]
    m = fit_glmm(formula, dataset(data), family="binomial", **kw)
    r = reference["binary_growth"]
    assert m.optimizer["warm_start"] and m.optimizer["stage1_nfev"] == 0
    assert m.optimizer["warm_start_nfev"] != 0
    assert_allclose(m.objective, r["objective"], rtol=1e-6)
    assert m.objective <= r["objective"] + 1e-6 * abs(r["objective"])
    assert_allclose(m.fixef.to_numpy(), values(r["fixef"]), rtol=1e-4)
    assert_allclose(m.theta, values(r["theta"]), rtol=1e-4)
    assert_allclose(m.se.to_numpy(), values(r["se"]), rtol=1e-4)
    assert m.converged and not m.singular
    # The cold start (stage 1 on all rows) reaches the same optimum.
    cold = fitted("binary_growth")
    assert not cold.optimizer["warm_start"]
    assert_allclose(m.fixef.to_numpy(), cold.fixef.to_numpy(), rtol=1e-5)


@pytest.mark.parametrize("key", ["verbagg_probit", "verbagg_cloglog", "binary_growth_probit"])
def test_non_canonical_links_take_the_gradient_path(key: str) -> None:
    assert fitted(key).optimizer["stage2"] == "quasi-Newton on the exact Laplace gradient"
