"""The analytic gradient of the profiled criterion on the crossed path against central differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from werkplaats.stats.multilevel.crossed_gradient import CrossedGradient
from werkplaats.stats.multilevel.engine import Engine, ReBlock
from werkplaats.stats.multilevel.formula import parse_formula
from werkplaats.stats.multilevel.frame import build_design


def central_differences(eng: Engine, theta: np.ndarray, reml: bool, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h * max(1.0, abs(theta[i]))
        g[i] = (eng.objective(theta + e, reml) - eng.objective(theta - e, reml)) / (2 * e[i])
    return g


def ratings(seed: int, students: int = 400, lecturers: int = 150, per_student: int = 12):
    """InstEval's shape: students x lecturers crossed, (1 | dept:service) and a service effect."""
    rng = np.random.default_rng(seed)
    s = np.repeat(np.arange(students), per_student)
    d = rng.integers(0, lecturers, s.size)
    dept = d % 7  # a lecturer belongs to one department
    service = rng.integers(0, 2, s.size)
    y = (
        3.0
        + 0.2 * service
        + rng.normal(0, 0.3, students)[s]
        + rng.normal(0, 0.5, lecturers)[d]
        + rng.normal(0, 0.1, 14)[dept * 2 + service]
        + rng.normal(0, 1.2, s.size)
    )
    return pd.DataFrame(
        {
            "y": y,
            "s": pd.Categorical(s),
            "d": pd.Categorical(d),
            "dept": pd.Categorical(dept),
            "service": pd.Categorical(service),
        }
    )


def engine_for(formula: str, data: pd.DataFrame) -> Engine:
    design = build_design(parse_formula(formula), data)
    return Engine(design.blocks, design.X, data[parse_formula(formula).response].to_numpy(float))


def small_crossed() -> Engine:
    """Three scalar terms crossed with the first; the last one's column is a covariate."""
    rng = np.random.default_rng(42)
    n = 240
    x = rng.normal(size=n)
    blocks = [
        ReBlock(rng.integers(0, 30, n), np.ones((n, 1)), 30),
        ReBlock(rng.integers(0, 12, n), np.ones((n, 1)), 12),
        ReBlock(rng.integers(0, 5, n), x[:, None], 5),
    ]
    blocks = [ReBlock(np.unique(b.codes, return_inverse=True)[1], b.Z, b.q) for b in blocks]
    X = np.column_stack([np.ones(n), x, rng.normal(size=n)])
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=n)
    return Engine(blocks, X, y)


INSTEVAL_LIKE = "y ~ 1 + service + (1 | s) + (1 | d) + (1 | dept:service)"


@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("design", ["small", "penicillin", "insteval_like"])
def test_gradient_equals_central_differences(design: str, reml: bool, datasets: dict) -> None:
    if design == "small":
        eng = small_crossed()
    elif design == "penicillin":
        eng = engine_for("diameter ~ 1 + (1 | plate) + (1 | sample)", datasets["penicillin"])
    else:
        eng = engine_for(INSTEVAL_LIKE, ratings(3))
    cg = CrossedGradient.build(eng)
    assert cg is not None
    rng = np.random.default_rng(7)
    for _ in range(3):
        theta = rng.uniform(0.2, 1.5, eng.n_theta)
        value, grad = cg(theta, reml)
        assert value == pytest.approx(eng.objective(theta, reml), rel=1e-12)
        fd = central_differences(eng, theta, reml)
        assert_allclose(grad, fd, rtol=1e-5, atol=1e-7 * np.max(np.abs(fd)))


@pytest.mark.parametrize("reml", [True, False])
def test_gradient_near_the_optimum(reml: bool) -> None:
    """Small gradients (near the optimum) are right too, not only the large ones far from it."""
    eng = engine_for(INSTEVAL_LIKE, ratings(5))
    cg = CrossedGradient.build(eng)
    assert cg is not None
    import scipy.optimize

    res = scipy.optimize.minimize(
        lambda th: cg(th, reml), np.ones(3), jac=True, method="L-BFGS-B", bounds=[(0, None)] * 3
    )
    theta = res.x * (1 + np.array([1e-3, -2e-3, 5e-3]))
    _value, grad = cg(theta, reml)
    fd = central_differences(eng, theta, reml, h=1e-5)
    assert_allclose(grad, fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reml", [True, False])
def test_zero_variance_has_zero_derivative(reml: bool) -> None:
    """At theta_k = 0 the criterion is even in theta_k: the derivative is 0, as differences show."""
    eng = engine_for(INSTEVAL_LIKE, ratings(4))
    cg = CrossedGradient.build(eng)
    assert cg is not None
    for k in range(3):
        theta = np.array([0.4, 0.6, 0.3])
        theta[k] = 0.0
        value, grad = cg(theta, reml)
        assert value == pytest.approx(eng.objective(theta, reml), rel=1e-12)
        assert grad[k] == 0.0
        e = np.zeros(3)
        e[k] = 1e-4
        assert eng.objective(theta + e, reml) == pytest.approx(
            eng.objective(theta - e, reml), rel=1e-13
        )
        fd = central_differences(eng, theta, reml)
        others = [i for i in range(3) if i != k]
        assert_allclose(grad[others], fd[others], rtol=1e-5)


def test_other_structures_are_not_taken() -> None:
    rng = np.random.default_rng(0)
    n = 200
    g1 = np.arange(n) % 40
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = rng.normal(size=n)
    nested = [ReBlock(g1, np.ones((n, 1)), 40), ReBlock(g1 // 5, np.ones((n, 1)), 8)]
    assert CrossedGradient.build(Engine(nested, X, y)) is None
    slopes = [
        ReBlock(g1, np.ones((n, 1)), 40),
        ReBlock(np.arange(n) % 6, np.column_stack([np.ones(n), x]), 6),
    ]
    assert CrossedGradient.build(Engine(slopes, X, y)) is None
    single = [ReBlock(g1, np.ones((n, 1)), 40)]
    assert CrossedGradient.build(Engine(single, X, y)) is None


@pytest.mark.parametrize("design", ["small", "insteval_like"])
def test_conditional_variances_from_the_plan_equal_the_general_path(design: str) -> None:
    """The first term's conditional variances from the fill plan's matrix, against the pairs loop."""
    eng = small_crossed() if design == "small" else engine_for(INSTEVAL_LIKE, ratings(6))
    assert eng.crossed_gradient_plan() is not None
    theta = np.array([0.7, 0.4, 1.3])
    f, _beta, _u = eng.solve(theta)
    fast = eng.cond_var_u(f)
    eng._crossed = [None]  # the general path
    general = eng.cond_var_u(f)
    assert fast is not None and general is not None
    for a, b in zip(fast, general):
        assert_allclose(a, b, rtol=1e-11, atol=0)


def test_engine_dispatches_to_the_crossed_path() -> None:
    eng = small_crossed()
    assert eng.has_gradient()
    theta = np.array([0.5, 0.9, 0.2])
    out = eng.objective_gradient(theta, True)
    assert out is not None
    assert out[0] == pytest.approx(eng.objective(theta, True), rel=1e-12)
    assert_allclose(out[1], central_differences(eng, theta, True), rtol=1e-5)


@pytest.mark.parametrize("reml", [True, False])
def test_fit_with_crossed_gradient_equals_fit_without(
    reml: bool, fits_with_and_without_gradient: Callable[..., tuple[Any, Any]]
) -> None:
    """L-BFGS-B on the exact gradient (from the lecturers' warm start) and COBYQA reach the same optimum."""
    d = ratings(8, students=1200, lecturers=520, per_student=8)
    grad_fit, plain_fit = fits_with_and_without_gradient(INSTEVAL_LIKE, d, reml)
    assert grad_fit.optimizer["method"] == "L-BFGS-B (exact gradient)"
    assert grad_fit.optimizer["warm_start"]
    assert plain_fit.optimizer["method"] == "COBYQA"
    assert grad_fit.objective <= plain_fit.objective + 1e-9 * abs(plain_fit.objective)
    assert_allclose(grad_fit.objective, plain_fit.objective, rtol=1e-10)
    assert_allclose(grad_fit.fixef, plain_fit.fixef, rtol=1e-5)
    assert_allclose(grad_fit.varcorr["vcov"], plain_fit.varcorr["vcov"], rtol=1e-3)
    assert grad_fit.converged
    n_grad, n_plain = grad_fit.optimizer["nfev"], plain_fit.optimizer["nfev"]
    assert isinstance(n_grad, int) and isinstance(n_plain, int) and n_grad < n_plain / 2
