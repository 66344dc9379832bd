"""The exact gradient of the profiled criterion (nested path) and the fits that use it.

The gradient is checked against central differences of the criterion computed
densely (``dense_reference``: an independent dense Cholesky, no blocked
elimination), ML and REML, at several theta including boundary points (a
diagonal entry of Lambda at 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from test_multilevel_engine import dense_reference, make_design
from threadpoolctl import threadpool_limits

from werkplaats.stats.multilevel import fit_lmm
from werkplaats.stats.multilevel.engine import Engine, ReBlock
from werkplaats.stats.multilevel.simulate import simulate_growth


def nested_design(kind: str, rng: np.random.Generator):
    """Designs on the nested path: the engine's test designs plus deeper chains."""
    if kind in ("nested_scalar", "single"):
        return make_design(kind, rng)
    n = 300
    x = rng.normal(size=n)
    client = rng.integers(0, 60, n)
    if kind == "four_levels":  # clients in professionals in teams in organisations
        blocks = [
            ReBlock(client, np.column_stack([np.ones(n), x]), 60),
            ReBlock(client // 4, np.ones((n, 1)), 15),
            ReBlock(client // 12, np.ones((n, 1)), 5),
            ReBlock(client // 36, np.ones((n, 1)), 2),
        ]
    elif kind == "three_dim":  # (1 + x + x^2 | client) + (1 | professional), labels shuffled
        prof = rng.permutation(12)[client // 5]
        blocks = [
            ReBlock(client, np.column_stack([np.ones(n), x, x**2]), 60),
            ReBlock(prof, np.ones((n, 1)), 12),
        ]
    else:  # scalar first term: (1 | client) + (1 | professional)
        blocks = [ReBlock(client, np.ones((n, 1)), 60), ReBlock(client // 6, np.ones((n, 1)), 10)]
    blocks = [
        ReBlock(np.unique(b.codes, return_inverse=True)[1], b.Z, np.unique(b.codes).size)
        for b in blocks
    ]
    X = np.column_stack([np.ones(n), x, rng.normal(size=n)])
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=n) + rng.normal(size=60)[client]
    return blocks, X, y


def random_theta(eng: Engine, rng: np.random.Generator, boundary: bool) -> np.ndarray:
    bounded = np.isfinite(eng.lower)
    theta = np.where(bounded, rng.uniform(0.1, 1.5, eng.n_theta), rng.normal(0, 0.5, eng.n_theta))
    if boundary:  # every other diagonal entry at 0
        idx = np.flatnonzero(bounded)[::2]
        theta[idx] = 0.0
    return theta


def central_differences(blocks, X, y, theta, reml, lower, h=1e-5):
    g = np.zeros_like(theta)
    for i in range(theta.size):
        step = h * max(1.0, abs(theta[i]))
        up, dn = theta.copy(), theta.copy()
        up[i] += step
        # At a bound too: the criterion continues smoothly across it (through
        # Lambda Lambda'), so the central difference is the derivative there.
        dn[i] -= step
        fu = dense_reference(blocks, X, y, up, reml)[0]
        fd = dense_reference(blocks, X, y, dn, reml)[0]
        g[i] = (fu - fd) / (2 * step)
    return g


@pytest.mark.parametrize("kind", ["nested_scalar", "single", "four_levels", "three_dim", "scalar"])
@pytest.mark.parametrize("reml", [True, False])
def test_nested_gradient_equals_central_differences(kind: str, reml: bool) -> None:
    # One BLAS thread: the dense reference's small products oversubscribe a loaded machine.
    with threadpool_limits(limits=1, user_api="blas"):
        check_gradient(kind, reml)


def check_gradient(kind: str, reml: bool) -> None:
    rng = np.random.default_rng(7)
    blocks, X, y = nested_design(kind, rng)
    eng = Engine(blocks, X, y)
    assert eng.has_gradient()
    for trial in range(3):
        theta = random_theta(eng, rng, boundary=trial == 2)
        out = eng.objective_gradient(theta, reml)
        assert out is not None
        value, grad = out
        assert_allclose(value, dense_reference(blocks, X, y, theta, reml)[0], rtol=1e-10)
        fd = central_differences(blocks, X, y, theta, reml, eng.lower)
        scale = max(1.0, float(np.max(np.abs(fd))))
        assert np.max(np.abs(grad - fd)) / scale < 1e-5, (trial, grad, fd)


def test_gradient_of_a_chain_term_at_zero_is_zero() -> None:
    """The criterion is even in a scalar term's lambda: at 0 its derivative is 0."""
    blocks, X, y = nested_design("four_levels", np.random.default_rng(3))
    eng = Engine(blocks, X, y)
    theta = random_theta(eng, np.random.default_rng(4), boundary=False)
    theta[eng.theta_slices[2].start] = 0.0
    out = eng.objective_gradient(theta, True)
    assert out is not None
    grad = out[1]
    assert grad[eng.theta_slices[2].start] == 0.0
    assert np.all(grad[np.arange(theta.size) != eng.theta_slices[2].start] != 0.0)


def test_structures_without_gradient_return_none() -> None:
    # crossed_scalar (InstEval's shape) has the crossed path's gradient: test_crossed_gradient.py.
    for kind in ("crossed", "mixed", "nested_then_crossed", "nested"):
        blocks, X, y = make_design(kind, np.random.default_rng(2))
        eng = Engine(blocks, X, y)
        assert not eng.has_gradient()
        assert eng.objective_gradient(np.ones(eng.n_theta), True) is None


@pytest.mark.parametrize("reml", [True, False])
def test_fit_with_gradient_equals_fit_without(
    reml: bool, fits_with_and_without_gradient: Callable[..., tuple[Any, Any]]
) -> None:
    """L-BFGS-B on the exact gradient and COBYQA on the criterion reach the same optimum."""
    d = simulate_growth(3000, seed=11, clients_per_professional=10)
    formula = "y ~ time * x + (time | client) + (1 | professional) + (1 | team)"
    grad_fit, plain_fit = fits_with_and_without_gradient(formula, d, reml)
    assert grad_fit.optimizer["method"] == "L-BFGS-B (exact gradient)"
    assert plain_fit.optimizer["method"] == "COBYQA"
    assert grad_fit.objective <= plain_fit.objective + 1e-7 * abs(plain_fit.objective)
    assert_allclose(grad_fit.objective, plain_fit.objective, rtol=1e-9)
    assert_allclose(grad_fit.fixef, plain_fit.fixef, rtol=1e-5)
    assert_allclose(grad_fit.varcorr["vcov"], plain_fit.varcorr["vcov"], rtol=1e-3)
    assert grad_fit.converged
    n_grad, n_plain = grad_fit.optimizer["nfev"], plain_fit.optimizer["nfev"]
    assert isinstance(n_grad, int) and isinstance(n_plain, int) and n_grad < n_plain


def test_fit_leaves_a_bound_that_is_not_a_minimum() -> None:
    """A start at a variance of 0 (a stationary point of the even criterion) is left."""
    d = simulate_growth(2000, seed=5, clients_per_professional=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = fit_lmm("y ~ time + (1 | client) + (1 | professional)", d)
    assert m.optimizer["method"] == "L-BFGS-B (exact gradient)"
    assert np.all(m.theta > 0.05)
    assert not m.singular


def test_newton_start_reaches_the_same_optimum_in_fewer_evaluations() -> None:
    """From a start near the optimum, the search in Newton-scaled coordinates."""
    from werkplaats.stats.multilevel.optimize import minimize_gradient

    blocks, X, y = nested_design("four_levels", np.random.default_rng(9))
    eng = Engine(blocks, X, y)

    def fg(th: np.ndarray) -> tuple[float, np.ndarray]:
        out = eng.objective_gradient(th, True)
        assert out is not None
        return out

    x0 = np.where(np.isfinite(eng.lower), 1.0, 0.0)
    ref = minimize_gradient(fg, x0, eng.lower, step_init=0.2)
    start = np.maximum(ref.x * 1.05, eng.lower)
    plain = minimize_gradient(fg, start, eng.lower, step_init=0.01)
    newton = minimize_gradient(fg, start, eng.lower, step_init=0.01, newton_start=True)
    assert newton.success
    assert_allclose(newton.fun, ref.fun, rtol=1e-11)
    assert_allclose(newton.x, ref.x, rtol=1e-4, atol=1e-5)
    assert newton.nfev <= plain.nfev


def test_newton_start_hands_over_to_the_bounded_search_at_a_bound() -> None:
    from werkplaats.stats.multilevel.optimize import minimize_gradient

    def fg(x: np.ndarray) -> tuple[float, np.ndarray]:  # minimum at x0 = -1, outside
        return float((x[0] + 1) ** 2 + (x[1] - 2) ** 2), np.array([2 * (x[0] + 1), 2 * (x[1] - 2)])

    r = minimize_gradient(fg, np.array([0.5, 1.5]), np.array([0.0, -np.inf]), newton_start=True)
    assert_allclose(r.x, [0.0, 2.0], atol=1e-7)
    assert r.success
