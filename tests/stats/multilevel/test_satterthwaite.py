"""Satterthwaite degrees of freedom against lmerTest (reference/satterthwaite_reference.json)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from conftest import REF_DIR, read_dataset
from werkplaats.stats.multilevel import MultilevelWarning, fit_lmm
from werkplaats.stats.multilevel.simulate import simulate_growth

CASES = {
    "sleepstudy_reml": ("sleepstudy", "Reaction ~ Days + (Days | Subject)", True),
    "sleepstudy_ml": ("sleepstudy", "Reaction ~ Days + (Days | Subject)", False),
    "pastes_cask_fixed": ("pastes", "strength ~ cask + (1 | batch)", True),
    "growth": ("growth", "y ~ time * x + (time | client) + (1 | professional) + (1 | team)", True),
}


@pytest.mark.parametrize("key", list(CASES))
def test_df_agree_with_lmertest(key: str) -> None:
    with open(REF_DIR / "satterthwaite_reference.json", encoding="utf-8") as fh:
        r = json.load(fh)[key]
    ds, formula, reml = CASES[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = fit_lmm(formula, read_dataset(REF_DIR / f"{ds}.csv", ds), reml=reml)
    s = m.satterthwaite()
    assert_allclose(s["df"].to_numpy(), list(r["df"].values()), rtol=1e-4)
    p_ref = np.array(list(r["p"].values()))
    big = p_ref > 1e-12  # tiny p-values are hypersensitive to the last digits of df and t
    assert_allclose(s["Pr(>|t|)"].to_numpy()[big], p_ref[big], rtol=1e-3)
    q = s["97.5 %"] - s["Estimate"]
    from scipy import stats

    assert_allclose(q, stats.t.ppf(0.975, s["df"]) * s["Std. Error"])


def test_few_clusters_are_named() -> None:
    d = simulate_growth(3000, seed=4, clients_per_professional=25, professionals_per_team=4)
    rng = np.random.default_rng(1)
    policy = rng.normal(size=d["team"].nunique())
    d["policy"] = policy[d["team"].to_numpy()]
    with pytest.warns(
        MultilevelWarning, match=r"time:policy rests on \d+ levels of team \(fewer than 20\)"
    ):
        m = fit_lmm("y ~ time * policy + (time | client) + (1 | team)", d)
    assert m.clusters is not None
    row = m.clusters.set_index("term").loc["time:policy"]
    assert row["grouping"] == "team" and row["clusters"] == d["team"].nunique()
    assert pd.isna(m.clusters.set_index("term").loc["time", "clusters"])
    s = m.satterthwaite()
    assert s.loc["policy", "df"] < 20 < s.loc["time", "df"]  # policy varies between teams only


def test_clusters_of_an_interaction_grouping() -> None:
    """A predictor constant within a:b (not within a or b alone) rests on the a:b cells."""
    rng = np.random.default_rng(3)
    n = 1200
    d = pd.DataFrame({"a": rng.integers(0, 6, n), "b": rng.choice(["p", "q", "r"], n)})
    cell = d["a"].astype(str) + ":" + d["b"]
    cells = sorted(cell.unique())
    d["z"] = cell.map(dict(zip(cells, rng.normal(size=len(cells)))))
    d["w"] = d["a"].map(dict(enumerate(rng.normal(size=6))))
    d["x"] = rng.normal(size=n)
    d["y"] = d["z"] + d["x"] + rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MultilevelWarning)
        m = fit_lmm("y ~ x + z + w + (1 | a) + (1 | a:b)", d)
    assert m.clusters is not None
    got = m.clusters.set_index("term")
    assert got.loc["z", "grouping"] == "a:b" and got.loc["z", "clusters"] == len(cells) == 18
    assert got.loc["w", "grouping"] == "a" and got.loc["w", "clusters"] == 6
    assert got.loc["x", "grouping"] == "" and pd.isna(got.loc["x", "clusters"])
