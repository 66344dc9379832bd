"""The GLMM's fast paths equal the general ones: the Schur PIRLS step equals the
blocked engine, and the exact Laplace gradient equals central differences.

Agreement of the fitted models with glmer is in test_glmm_reference.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.multilevel import pirls_schur
from werkplaats.stats.multilevel.blocks import ReBlock
from werkplaats.stats.multilevel.families import make_family
from werkplaats.stats.multilevel.formula import parse_formula
from werkplaats.stats.multilevel.frame import build_design
from werkplaats.stats.multilevel.laplace_gradient import has_gradient, laplace_gradient
from werkplaats.stats.multilevel.pirls import GlmmProblem
from werkplaats.stats.multilevel.pirls_schur import REST_MAX, SchurSystem
from werkplaats.stats.multilevel.simulate import simulate_binary_growth

REF_DIR = Path(__file__).resolve().parent / "reference"
FACTORS = {
    "verbagg": ["Gender", "btype", "situ", "id", "item"],
    "grouseticks": ["INDEX", "BROOD", "YEAR", "LOCATION"],
}


def dataset(name: str) -> pd.DataFrame:
    d = pd.read_csv(REF_DIR / f"{name}.csv")
    for c in FACTORS[name]:
        d[c] = d[c].astype(str).astype("category")
    return d


CASES = {
    # crossed: every subject answers every item (dense pair block)
    "verbagg": (
        "verbagg",
        "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)",
        "binomial",
    ),
    # nested, correlated random slope on the large term (pairs listed per level)
    "growth": (
        "sim",
        "attained ~ time * x + (time | client) + (1 | professional) + (1 | team)",
        "binomial",
    ),
    # non-canonical links: the gradient needs the observed-information weights
    "verbagg_probit": (
        "verbagg",
        "r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item)",
        "binomial/probit",
    ),
    "growth_cloglog": (
        "sim",
        "attained ~ time * x + (time | client) + (1 | professional) + (1 | team)",
        "binomial/cloglog",
    ),
    # the growth design of the bench at 20,000 rows (4,255 clients)
    "growth_large": (
        "sim_large",
        "attained ~ time * x + (time | client) + (1 | professional) + (1 | team)",
        "binomial",
    ),
    # Poisson, three nested scalar terms
    "grouseticks": (
        "grouseticks",
        "TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)",
        "poisson",
    ),
}

SMALL = [k for k in CASES if k != "growth_large"]


def problem(key: str, dense: bool | None = None) -> GlmmProblem:
    name, formula, family = CASES[key]
    if name == "sim":
        d = simulate_binary_growth(1500, seed=3, clients_per_professional=15)
    elif name == "sim_large":
        d = simulate_binary_growth(20000, seed=20240601)
    else:
        d = dataset(name)
    lhs = formula.split("~")[0].strip()
    y = d[lhs]
    y = (y == "Y").to_numpy(float) if y.dtype.kind not in "fiub" else y.to_numpy(float)
    design = build_design(parse_formula(formula), d, residual_variance=False)
    n = len(d)
    ones = np.ones(n)
    prob = GlmmProblem(
        make_family(*family.split("/")), design.blocks, design.X, y, ones, ones, np.zeros(n)
    )
    if dense is not None and prob.schur is not None and prob.schur.dense != dense:
        # Build the other representation of the pair block for the same data.
        saved = pirls_schur.TRIPLES_MAX
        try:
            pirls_schur.TRIPLES_MAX = 10**9
            sy = pirls_schur.SchurSystem.__new__(pirls_schur.SchurSystem)
            sy.__init__(design.blocks, design.X)  # type: ignore[misc]
        finally:
            pirls_schur.TRIPLES_MAX = saved
        if not dense:
            sy.dense = False
            order, starts, cnt = sy._grouped
            nc = cnt * cnt
            lev = np.repeat(np.arange(sy.q0), nc)
            within = np.arange(int(nc.sum())) - np.repeat(np.cumsum(nc) - nc, nc)
            sy.ta = order[starts[lev] + within // cnt[lev]]
            sy.tb = order[starts[lev] + within % cnt[lev]]
            sy.tflat = sy.pr[sy.ta] * sy.R + sy.pr[sy.tb]
        else:
            sy.dense = True
        prob.schur = sy
    return prob


def start(prob: GlmmProblem) -> np.ndarray:
    return np.where(np.isfinite(prob.lower), 0.8, 0.15)


@pytest.mark.parametrize("key", SMALL)
def test_schur_step_equals_engine(key: str) -> None:
    fast = problem(key)
    assert fast.schur is not None
    slow = problem(key)
    slow.schur = None
    th = start(fast)
    for joint in (True, False):
        beta = None if joint else slow.pirls(th, None).beta + 0.03
        a, b = fast.pirls(th, beta), slow.pirls(th, beta)
        assert_allclose(a.objective, b.objective, rtol=1e-11)
        assert_allclose(a.beta, b.beta, rtol=1e-8, atol=1e-10)
        for ua, ub in zip(a.u, b.u):
            assert_allclose(ua, ub, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("key", SMALL)
def test_laplace_gradient_equals_central_differences(key: str, dense: bool) -> None:
    prob = problem(key, dense)
    assert has_gradient(prob)
    th = start(prob)
    beta = prob.pirls(th, None).beta + 0.05
    x = np.concatenate([th, beta])
    nt = th.size
    g = laplace_gradient(prob, th, beta, prob.pirls(th, beta))
    fd = np.empty_like(x)
    h = 1e-5
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        fp = prob.deviance((x + e)[:nt], (x + e)[nt:])
        fm = prob.deviance((x - e)[:nt], (x - e)[nt:])
        fd[j] = (fp - fm) / (2 * h)
    assert_allclose(g, fd, rtol=1e-6, atol=1e-5)
    assert np.max(np.abs(g)) > 1.0  # away from the optimum: a real test


def test_engine_is_used_beyond_the_schur_designs() -> None:
    n = 5000
    codes = np.arange(n) % 2500
    big = ReBlock(codes, np.ones((n, 1)), 2500)
    small = ReBlock(np.arange(n) % 50, np.ones((n, 1)), 50)
    assert SchurSystem.eligible([big, small])
    # A random slope on a small term, or too many small-term levels: the engine.
    slope = ReBlock(np.arange(n) % 50, np.column_stack([np.ones(n), np.arange(n) % 5]), 50)
    assert not SchurSystem.eligible([big, slope])
    many = ReBlock(np.arange(n) % (REST_MAX + 1), np.ones((n, 1)), REST_MAX + 1)
    assert not SchurSystem.eligible([big, many])
    assert not SchurSystem.eligible([big])


def test_stage2_from_theta_one_needs_no_stage1() -> None:
    """Stage 2 started at theta = 1 (no stage 1) reaches stage 1's optimum: trial points
    where PIRLS finds no mode are rejected at once (no step halving into an increase,
    no start from a failed iteration's modes), and an iteration at the rounding floor
    stops.  Before, PIRLS ran to its 300-step limit at such points."""
    import werkplaats.stats.multilevel.pirls as pirls_mod
    from werkplaats.stats.multilevel import glmm_optimize

    prob = problem("growth_large")
    calls: list[tuple[int, bool]] = []
    orig = pirls_mod.GlmmProblem.pirls

    def counted(self: GlmmProblem, *a: object, **k: object) -> pirls_mod.PirlsState:
        st = orig(self, *a, **k)  # type: ignore[arg-type]
        calls.append((st.iterations, st.converged))
        return st

    th = np.where(np.isfinite(prob.lower), 1.0, 0.0)
    st = prob.pirls(th, None)
    beta = st.beta.copy()
    scale = np.sqrt(np.diag(glmm_optimize._vcov_rx(prob, th, st)))
    lower = np.concatenate([prob.lower, np.full(beta.size, -np.inf)])
    pirls_mod.GlmmProblem.pirls = counted  # type: ignore[method-assign]
    try:
        theta, beta, st, info = glmm_optimize._stage2_gradient(
            prob, th, beta, scale, lower, 10000, {"stage1_nfev": 0}, final_hessian=False
        )
    finally:
        pirls_mod.GlmmProblem.pirls = orig  # type: ignore[method-assign]
    assert info["success"]
    assert max(i for i, _ in calls) < 50
    ref_theta, ref_beta, ref_st, _ = glmm_optimize._optimize(problem("growth_large"), 1, 10000)
    assert_allclose(st.objective, ref_st.objective, rtol=1e-9)
    assert_allclose(beta, ref_beta, rtol=1e-5, atol=1e-6)
    assert_allclose(theta, ref_theta, rtol=1e-4, atol=1e-5)
