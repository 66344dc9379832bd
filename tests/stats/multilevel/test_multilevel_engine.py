"""The blocked factorisation against a plain dense computation.

For small designs the profiled criterion, the conditional modes and their
conditional variances are computed from the full matrices Z, Lambda, X
with textbook formulas; the engine must agree for arbitrary theta and for
nested, crossed and mixed designs, with random slopes on any level.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.multilevel.engine import Engine, ReBlock


def dense_reference(
    blocks: list[ReBlock], X: np.ndarray, y: np.ndarray, theta: np.ndarray, reml: bool
):
    n, p = X.shape
    Zs, Ls = [], []
    start = 0
    for b in blocks:
        d = b.d
        Zk = np.zeros((n, b.q * d))
        for s in range(d):
            Zk[np.arange(n), b.codes * d + s] = b.Z[:, s]
        L = np.zeros((d, d))
        r, c = np.tril_indices(d)
        # lme4's theta order is column-major lower triangle.
        order = sorted(range(len(r)), key=lambda i: (c[i], r[i]))
        L[r[order], c[order]] = theta[start : start + len(r)]
        start += len(r)
        Zs.append(Zk)
        Ls.append(np.kron(np.eye(b.q), L))
    Z = np.hstack(Zs)
    Lam = np.zeros((Z.shape[1], Z.shape[1]))
    o = 0
    for Lk in Ls:
        Lam[o : o + Lk.shape[0], o : o + Lk.shape[0]] = Lk
        o += Lk.shape[0]
    ZL = Z @ Lam
    M = ZL.T @ ZL + np.eye(Z.shape[1])
    A = np.block([[M, ZL.T @ X], [X.T @ ZL, X.T @ X]])
    sol = np.linalg.solve(A, np.concatenate([ZL.T @ y, X.T @ y]))
    u, beta = sol[: Z.shape[1]], sol[Z.shape[1] :]
    pwrss = np.sum((y - X @ beta - ZL @ u) ** 2) + np.sum(u**2)
    ld = np.linalg.slogdet(M)[1]
    RX = X.T @ X - X.T @ ZL @ np.linalg.solve(M, ZL.T @ X)
    ldx = np.linalg.slogdet(RX)[1]
    if reml:
        obj = ld + ldx + (n - p) * (1 + np.log(2 * np.pi * pwrss / (n - p)))
    else:
        obj = ld + n * (1 + np.log(2 * np.pi * pwrss / n))
    return obj, beta, u, np.linalg.inv(M)


def make_design(kind: str, rng: np.random.Generator):
    n = 240
    x = rng.normal(size=n)
    if kind == "nested":
        g1 = rng.integers(0, 40, n)
        g2 = g1 // 5
        g3 = g2 // 4
        blocks = [
            ReBlock(g1, np.column_stack([np.ones(n), x]), 40),
            ReBlock(g2, np.column_stack([np.ones(n), x]), 8),
            ReBlock(g3, np.ones((n, 1)), 2),
        ]
    elif kind == "nested_scalar":
        # The growth design's shape: (time | client) + (1 | professional) + (1 | team);
        # the fill of B(team, professional) is summed into its own pattern.
        g1 = rng.integers(0, 40, n)
        blocks = [
            ReBlock(g1, np.column_stack([np.ones(n), x]), 40),
            ReBlock(g1 // 5, np.ones((n, 1)), 8),
            ReBlock(g1 // 20, np.ones((n, 1)), 2),
        ]
    elif kind == "crossed":
        a = rng.integers(0, 30, n)
        b = rng.integers(0, 12, n)
        c = rng.integers(0, 5, n)
        blocks = [
            ReBlock(a, np.ones((n, 1)), 30),
            ReBlock(b, np.column_stack([np.ones(n), x]), 12),
            ReBlock(c, np.ones((n, 1)), 5),
        ]
    elif kind == "mixed":
        # clients nested in professionals, crossed with a rater factor.
        client = rng.integers(0, 50, n)
        prof = client // 10
        rater = rng.integers(0, 7, n)
        blocks = [
            ReBlock(client, np.column_stack([np.ones(n), x, x**2]), 50),
            ReBlock(rater, np.ones((n, 1)), 7),
            ReBlock(prof, np.ones((n, 1)), 5),
        ]
    elif kind == "crossed_scalar":
        # Scalar terms crossed with a scalar first term (InstEval's shape): the
        # fill of the dense remainder goes through the fixed plan.
        a = rng.integers(0, 30, n)
        blocks = [
            ReBlock(a, np.ones((n, 1)), 30),
            ReBlock(rng.integers(0, 12, n), np.ones((n, 1)), 12),
            ReBlock(rng.integers(0, 5, n), x[:, None], 5),
        ]
    elif kind == "nested_then_crossed":
        # A nested term eliminated in batches, then a crossed scalar term in the plan.
        a = rng.integers(0, 40, n)
        blocks = [
            ReBlock(a, np.ones((n, 1)), 40),
            ReBlock(a // 5, np.ones((n, 1)), 8),
            ReBlock(rng.integers(0, 7, n), np.ones((n, 1)), 7),
        ]
    else:  # single term
        g = rng.integers(0, 20, n)
        blocks = [ReBlock(g, np.column_stack([np.ones(n), x]), 20)]
    # Make sure every level is present (codes must be 0..q-1).
    blocks = [
        ReBlock(np.unique(b.codes, return_inverse=True)[1], b.Z, np.unique(b.codes).size)
        for b in blocks
    ]
    X = np.column_stack([np.ones(n), x, rng.normal(size=n)])
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=n)
    return blocks, X, y


@pytest.mark.parametrize(
    "kind",
    [
        "nested",
        "nested_scalar",
        "crossed",
        "mixed",
        "single",
        "crossed_scalar",
        "nested_then_crossed",
    ],
)
@pytest.mark.parametrize("reml", [True, False])
def test_objective_solution_and_condvar_match_dense(kind: str, reml: bool) -> None:
    rng = np.random.default_rng(42)
    blocks, X, y = make_design(kind, rng)
    eng = Engine(blocks, X, y)
    for _ in range(3):
        theta = rng.uniform(0.1, 1.5, eng.n_theta)
        theta[~np.isfinite(eng.lower)] = rng.normal(0, 0.5, int(np.sum(~np.isfinite(eng.lower))))
        obj, beta, u, Minv = dense_reference(blocks, X, y, theta, reml)
        assert_allclose(eng.objective(theta, reml), obj, rtol=1e-10)
        f, beta_e, u_e = eng.solve(theta)
        assert_allclose(beta_e, beta, rtol=1e-8, atol=1e-10)
        assert_allclose(np.concatenate([uk.reshape(-1) for uk in u_e]), u, rtol=1e-7, atol=1e-10)
        cv = eng.cond_var_u(f)
        assert cv is not None
        o = 0
        for b, V in zip(blocks, cv):
            for lev in range(b.q):
                sl = slice(o + lev * b.d, o + (lev + 1) * b.d)
                assert_allclose(V[lev], Minv[sl, sl], rtol=1e-8, atol=1e-12)
            o += b.q * b.d


def test_nested_chain_is_eliminated_without_dense_blocks() -> None:
    blocks, X, y = make_design("nested", np.random.default_rng(1))
    assert Engine(blocks, X, y).n_batched == 3
    blocks, X, y = make_design("crossed", np.random.default_rng(1))
    assert Engine(blocks, X, y).n_batched == 1


def test_zero_theta_gives_ordinary_least_squares() -> None:
    blocks, X, y = make_design("nested", np.random.default_rng(3))
    eng = Engine(blocks, X, y)
    theta = np.where(np.isfinite(eng.lower), 0.0, 0.0)
    f, beta, _ = eng.solve(theta)
    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    assert_allclose(beta, ols, rtol=1e-10)
    assert_allclose(f.pwrss, np.sum((y - X @ ols) ** 2), rtol=1e-10)


@pytest.mark.parametrize("kind", ["crossed_scalar", "nested_then_crossed"])
def test_fill_plan_equals_sparse_products(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixed fill plan of a crossed remainder gives the factorisation of the sparse products."""
    import werkplaats.stats.multilevel.fill_plan as fill_plan

    rng = np.random.default_rng(7)
    blocks, X, y = make_design(kind, rng)
    planned = Engine(blocks, X, y)
    assert planned.plan_keys, "the design should use the fill plan"
    monkeypatch.setattr(fill_plan, "FILL_PLAN_MAX", 0)
    products = Engine(blocks, X, y)
    assert not products.plan_keys
    for _ in range(3):
        theta = rng.uniform(0.05, 2.0, planned.n_theta)
        for reml in (True, False):
            assert_allclose(
                planned.objective(theta, reml), products.objective(theta, reml), rtol=1e-12
            )
    # Reweighting (a GLMM's PIRLS step) refreshes the plan's values.
    sw = rng.uniform(0.3, 1.5, y.size)
    F = np.column_stack([X * sw[:, None], sw * y])
    planned.reweight(sw, F)
    products.reweight(sw, F)
    weighted = Engine(
        [ReBlock(b.codes, b.Z * sw[:, None], b.q) for b in blocks], F[:, :-1], F[:, -1]
    )
    theta = rng.uniform(0.05, 2.0, planned.n_theta)
    assert_allclose(planned.objective(theta, True), weighted.objective(theta, True), rtol=1e-12)
    assert_allclose(planned.objective(theta, True), products.objective(theta, True), rtol=1e-12)


def test_nested_fill_is_summed_into_its_own_pattern() -> None:
    """The professional-team fill of a nested design goes straight into B(team, professional)."""
    blocks, X, y = make_design("nested_scalar", np.random.default_rng(5))
    eng = Engine(blocks, X, y)
    assert eng.n_batched == 3 and (2, 1) in eng._fill_slot


@pytest.mark.parametrize("kind", ["nested", "nested_scalar", "single", "shuffled"])
def test_nested_first_term_path_equals_general_path(kind: str) -> None:
    """The nested elimination of the first term (growth designs) gives the general path's numbers.

    "shuffled" numbers the professionals out of their teams' order, so the
    professionals' first-term levels are not adjacent and are gathered.
    """
    rng = np.random.default_rng(11)
    blocks, X, y = make_design("nested_scalar" if kind == "shuffled" else kind, rng)
    if kind == "shuffled":
        relabel = rng.permutation(blocks[1].q)
        blocks[1] = ReBlock(relabel[blocks[1].codes], blocks[1].Z, blocks[1].q)
    eng = Engine(blocks, X, y)
    assert eng.first_nested
    if kind == "shuffled":
        assert eng.first_gather[1] is not None
    for _ in range(3):
        theta = rng.uniform(0.05, 1.5, eng.n_theta)
        theta[~np.isfinite(eng.lower)] = rng.normal(0, 0.5, int(np.sum(~np.isfinite(eng.lower))))
        lam = eng.lambdas(theta)
        ff_nested, ff_general = eng.FF.copy(), eng.FF.copy()
        nested = eng._eliminate_first_nested(lam, ff_nested)
        eng.first_nested = False
        general = eng._eliminate_first(lam, ff_general, False)
        eng.first_nested = True
        assert_allclose(nested[0], general[0], rtol=1e-13)
        assert_allclose(ff_nested, ff_general, rtol=1e-12, atol=1e-12)
        assert nested[1].keys() == general[1].keys()
        for j in general[1]:
            assert_allclose(nested[1][j], general[1][j], rtol=1e-11, atol=1e-12)
        assert nested[2].keys() == general[2].keys()
        for key, (ra, rb, vals) in general[2].items():
            assert_allclose(nested[2][key][0], ra)
            assert_allclose(nested[2][key][1], rb)
            assert_allclose(nested[2][key][2], vals, rtol=1e-11, atol=1e-14)
        for reml in (True, False):
            obj, *_ = dense_reference(blocks, X, y, theta, reml)
            assert_allclose(eng.objective(theta, reml), obj, rtol=1e-10)


def test_crossed_first_term_keeps_the_general_path() -> None:
    for kind in ("crossed", "mixed", "crossed_scalar", "nested_then_crossed"):
        blocks, X, y = make_design(kind, np.random.default_rng(2))
        assert not Engine(blocks, X, y).first_nested


@pytest.mark.parametrize("shuffled", [False, True])
def test_scalar_chain_after_first_term_equals_general_path(shuffled: bool) -> None:
    """Professionals in teams eliminated by bincounts give the sparse products' objective."""
    rng = np.random.default_rng(13)
    blocks, X, y = make_design("nested_scalar", rng)
    if shuffled:
        relabel = rng.permutation(blocks[1].q)
        blocks[1] = ReBlock(relabel[blocks[1].codes], blocks[1].Z, blocks[1].q)
    eng = Engine(blocks, X, y)
    assert eng._chain is not None
    chain = eng._chain
    for _ in range(3):
        theta = rng.uniform(0.05, 1.5, eng.n_theta)
        theta[~np.isfinite(eng.lower)] = rng.normal(0, 0.5, int(np.sum(~np.isfinite(eng.lower))))
        for reml in (True, False):
            with_chain = eng.objective(theta, reml)
            eng._chain = None
            general = eng.objective(theta, reml)
            eng._chain = chain
            assert_allclose(with_chain, general, rtol=1e-13)
            assert_allclose(with_chain, dense_reference(blocks, X, y, theta, reml)[0], rtol=1e-10)


def test_scalar_chain_needs_scalar_nested_terms() -> None:
    for kind in ("nested", "crossed", "mixed", "single", "crossed_scalar", "nested_then_crossed"):
        blocks, X, y = make_design(kind, np.random.default_rng(2))
        assert Engine(blocks, X, y)._chain is None
