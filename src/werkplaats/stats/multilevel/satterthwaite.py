"""Satterthwaite denominator degrees of freedom for the fixed effects of a linear mixed model.

As lmerTest (Kuznetsova, Brockhoff & Christensen 2017, J. Stat. Softw. 82(13)):
with the variance parameters written as phi = (theta, sigma), the covariance of
beta-hat is C(phi) = sigma^2 (X'V^-1 X)^-1 / sigma^2... evaluated at phi-hat,
the asymptotic covariance of phi-hat is A = 2 H^-1 with H the Hessian of the
(unprofiled) REML or ML deviance in phi, and for a contrast l

    df = 2 (l'C l)^2 / (g' A g),   g_k = d(l'C l) / d phi_k.

The derivatives are taken numerically (central differences with one step of
Richardson extrapolation), on the same blocked factorisation as the fit.
Variance parameters at their boundary (a variance estimated at zero) are held
fixed, as they carry no sampling variance to first order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import scipy.linalg

from .engine import Engine

__all__ = ["satterthwaite_df"]


def _covbeta_and_dev(engine: Engine, vp: np.ndarray, reml: bool) -> tuple[np.ndarray, float]:
    theta, sigma = vp[:-1], vp[-1]
    f = engine.factor(theta)
    if f is None or f.rx is None:
        raise np.linalg.LinAlgError("the penalised system is not positive definite")
    s2 = sigma * sigma
    n, p = engine.n, engine.p
    dev = f.logdet_re + f.pwrss / s2 + n * np.log(2 * np.pi * s2)
    if reml:
        dev += f.logdet_x - p * np.log(2 * np.pi * s2)
    rinv = scipy.linalg.solve_triangular(f.rx, np.eye(p), lower=True)
    return s2 * (rinv.T @ rinv), float(dev)


def _richardson(
    fun: Callable[[np.ndarray], np.ndarray], x: np.ndarray, i: int, h: float
) -> np.ndarray:
    """d fun / d x_i by central differences at h and h/2, extrapolated."""

    def central(step: float) -> np.ndarray:
        e = np.zeros_like(x)
        e[i] = step
        return cast("np.ndarray", (fun(x + e) - fun(x - e)) / (2 * step))

    return cast("np.ndarray", (4 * central(h / 2) - central(h)) / 3)


def satterthwaite_df(
    engine: Engine, theta: np.ndarray, sigma: float, reml: bool, rel_step: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    """Satterthwaite df per fixed effect (and the covariance A of the free variance parameters)."""
    vp = np.concatenate([theta, [sigma]])
    lower = np.concatenate([engine.lower, [0.0]])
    free = [
        k
        for k in range(vp.size)
        if not (np.isfinite(lower[k]) and vp[k] - lower[k] < 1e-4 * max(1.0, abs(vp[k])))
    ]
    steps = {k: rel_step * max(abs(vp[k]), 0.1) for k in free}

    def covb(x: np.ndarray) -> np.ndarray:
        return _covbeta_and_dev(engine, x, reml)[0]

    def dev(x: np.ndarray) -> float:
        return _covbeta_and_dev(engine, x, reml)[1]

    m = len(free)
    f0 = dev(vp)

    def at(*mods: tuple[int, float]) -> float:
        x = vp.copy()
        for k, d in mods:
            x[k] += d
        return dev(x)

    def second(a: int, b: int, h: float) -> float:
        ka, kb = free[a], free[b]
        ha, hb = h * steps[ka], h * steps[kb]
        if a == b:
            return cast("float", (at((ka, ha)) - 2 * f0 + at((ka, -ha))) / (ha * ha))
        return cast(
            "float",
            (
                at((ka, ha), (kb, hb))
                - at((ka, ha), (kb, -hb))
                - at((ka, -ha), (kb, hb))
                + at((ka, -ha), (kb, -hb))
            )
            / (4 * ha * hb),
        )

    # Hessian of the deviance: second differences at steps h and h/2, extrapolated.
    H = np.empty((m, m))
    for a in range(m):
        for b in range(a + 1):
            H[a, b] = H[b, a] = (4 * second(a, b, 0.5) - second(a, b, 1.0)) / 3
    A = 2 * np.linalg.inv(H)
    jac = [_richardson(covb, vp, k, steps[k]) for k in free]  # each (p, p)
    C = covb(vp)
    p = C.shape[0]
    df = np.empty(p)
    for j in range(p):
        g = np.array([J[j, j] for J in jac])
        denom = float(g @ A @ g)
        df[j] = 2 * C[j, j] ** 2 / denom if denom > 0 else np.inf
    return df, A
