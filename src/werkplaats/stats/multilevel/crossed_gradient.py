"""The exact gradient of the profiled criterion on the crossed path (InstEval's shape).

Write A = P'BP + J with B = [Z X]'[Z X], P = diag(Lambda, I) and J = diag(I, 0):
for REML A is the matrix of the penalised system without y, for ML only its
random-effects part Omega = Lambda'Z'Z Lambda + I.  Then log|A| is log|L|^2 (ML) or
log|L|^2 + log|R_X|^2 (REML), and with Lambda invertible, for theta_m an entry of
Lambda_k,

    d log|A| / d theta_m = 2 tr(Lambda^-1 Lambda_m) - 2 tr((A^-1)_ZZ Lambda^-1 Lambda_m)
    d r^2 / d theta_m    = -2 sum_g u_g' Lambda_k^-1 (d Lambda_k / d theta_m) u_g

(the second by the envelope theorem: beta and u minimise the penalised sum of
squares).  For a scalar term (1 | g) with theta_k = lambda_k and q_k levels this is

    d f / d theta_k = (2 / lambda_k) (q_k - S_k - nu U_k / r^2),

S_k = sum_g (A^-1)_gg, U_k = sum_g u_g^2 and nu = n (ML) or n - p (REML).  At
lambda_k = 0 the criterion is even in lambda_k (changing its sign flips the signs
of that term's rows and columns of A and of its u), so the derivative there is 0.

The path: a scalar first term (InstEval's students) eliminated in one batch, and
scalar crossed terms (lecturers, dept:service) that form, with X, the dense
remainder R, into which eliminating the first term puts the planned fill (see
``FirstTerm._setup_fill_plan``).  With the first term's diagonal D and its
coupling column c_g into the remainder,

    (A^-1)_gg = 1 / D_g + c_g' R^-1 c_g / D_g^2        (first term)
    (A^-1)_gg = (R^-1)_gg                              (the remainder's terms)

R^-1 (without y; for ML without X either) is formed from R's Cholesky factor by
LAPACK's ``dpotri``.  The entries of c_g in the remainder's random effects are
lambda_a lambda_0 (Z_a'Z_0)[r, g]: the pairs (r, s) of one student's entries are
exactly the slots of the fill plan, whose matrix S holds the products
(Z_a'Z_0)[r, g] (Z_b'Z_0)[s, g] per slot and student.  So

    sum_{r, s} c_g[r] c_g[s] (R^-1)[r, s] = (S' w)_g,
    w_slot = lambda_a lambda_b lambda_0^2 (R^-1)[slot] (x 2 off the diagonal),

one sparse matrix-vector product; for REML the fixed-effect part of c_g
(lambda_0 Z_0'X of the student) adds two small dense terms.  One gradient costs
a Cholesky factorisation, ``dpotri`` (about two) and the plan's product: about
three evaluations of the criterion, against the 2 n_theta + 1 of central
differences.  Checked against central differences in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg

from .blocks import Factorization

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["CrossedGradient", "applies", "crossed_objective_gradient"]


@dataclass
class CrossedGradient:
    """What the crossed gradient needs of an engine, found once (see the module docstring).

    ``slot_row``, ``slot_col``: each plan slot's row and column in the dense
    remainder (row >= col); ``slot_twice``: 2 off the diagonal, 1 on it;
    ``offsets``, ``sizes``: where each remainder term's random effects start and
    how many there are.
    """

    engine: Engine
    slot_row: np.ndarray
    slot_col: np.ndarray
    slot_twice: np.ndarray
    offsets: list[int]
    sizes: list[int]

    @classmethod
    def build(cls, engine: Engine) -> CrossedGradient | None:
        """The plan for ``engine``, or ``None`` when its structure is not the crossed path."""
        K = engine.K
        if K < 2 or engine.n_batched != 1 or engine.sparse or engine.plan_S is None:
            return None
        if any(b.d != 1 for b in engine.blocks):
            return None
        pairs = {(a, b) for a in range(1, K) for b in range(1, a + 1)}
        if engine.plan_keys != pairs:
            return None
        T = np.int64(engine.dense_order)
        pos = engine.plan_pos
        row, col = pos % T, pos // T
        return cls(
            engine=engine,
            slot_row=row,
            slot_col=col,
            slot_twice=np.where(row == col, 1.0, 2.0),
            offsets=[engine.dense_offsets[j] for j in range(1, K)],
            sizes=[engine.blocks[j].q for j in range(1, K)],
        )

    def inverse(self, f: Factorization, with_x: bool) -> np.ndarray:
        """R^-1 (lower triangle, Fortran order) of the remainder without y, and without X unless ``with_x``."""
        c = f.dense_factor
        if c is None:
            raise ValueError("the crossed gradient needs a factorisation made with keep=True")
        N = f.n_dense_re + (self.engine.p if with_x else 0)
        inv, info = scipy.linalg.lapack.dpotri(c[:N, :N], lower=1)
        if info != 0:
            raise np.linalg.LinAlgError("the remainder's factor is singular")
        return np.asarray(inv)

    def first_term_quadratic(
        self, f: Factorization, lam0: float, scale: np.ndarray, Rinv: np.ndarray, with_x: bool
    ) -> np.ndarray:
        """c_g' R^-1 c_g for every level g of the first term (in the engine's level order).

        ``scale`` is lambda_j per term (index j); ``Rinv`` as from :meth:`inverse`.
        """
        eng = self.engine
        N = Rinv.shape[0]
        w = Rinv[self.slot_row, self.slot_col]  # the lower triangle
        w *= self.slot_twice
        w *= scale[eng.plan_block_a] * scale[eng.plan_block_b] * lam0**2
        # S' w; S is read at each call: a GLMM's reweighting refills its values.
        S = eng.plan_S
        if S is None:
            raise RuntimeError("the engine has no fill plan")
        quad = S.T @ w
        if with_x:
            p, n_re = eng.p, f.n_dense_re
            # c_g's fixed-effect part: lambda_0 Z_0'X of level g (kept by factor()).
            cx = f.e[0][:, 0, :p]
            H = Rinv[n_re:N, :n_re]  # R^-1 between X and the random effects (lower part)
            Q = np.zeros((cx.shape[0], p))
            for j, o, q in zip(range(1, eng.K), self.offsets, self.sizes):
                Q += f.b[0][j].T @ H[:, o : o + q].T
            RXX = np.tril(Rinv[n_re:N, n_re:N])
            RXX += np.tril(RXX, -1).T
            quad += 2.0 * np.einsum("gt,gt->g", Q, cx)
            quad += np.einsum("gs,st,gt->g", cx, RXX, cx)
        return np.asarray(quad)

    def __call__(self, theta: np.ndarray, reml: bool) -> tuple[float, np.ndarray]:
        """The criterion and its gradient in theta; (inf, NaN) where the system is not positive definite."""
        eng = self.engine
        theta = np.asarray(theta, dtype=float)
        f = eng.factor(theta, keep=True)
        if f is None or f.pwrss <= 0:
            return np.inf, np.full(theta.size, np.nan)
        value = eng.criterion(f, reml)
        _beta, u = eng.solution(f)
        Rinv = self.inverse(f, reml)
        lam = theta  # every term is scalar: theta_k = lambda_k
        dinv = f.dinv[0][:, 0, 0]
        quad = self.first_term_quadratic(f, float(lam[0]), lam, Rinv, reml)
        S = np.empty(eng.K)
        S[0] = float(np.sum(dinv + quad * dinv**2))
        diag = np.diagonal(Rinv)
        for j, o, q in zip(range(1, eng.K), self.offsets, self.sizes):
            S[j] = float(np.sum(diag[o : o + q]))
        U = np.array([float(np.sum(uk * uk)) for uk in u])
        q_k = np.array([b.q for b in eng.blocks], dtype=float)
        nu = eng.n - eng.p if reml else eng.n
        grad = np.zeros(theta.size)
        pos = lam > 0
        grad[pos] = 2.0 * (q_k[pos] - S[pos] - nu * U[pos] / f.pwrss) / lam[pos]
        return value, grad


def applies(engine: Engine) -> bool:
    """True when the crossed path's gradient applies to ``engine``'s structure."""
    return engine.crossed_gradient_plan() is not None


def crossed_objective_gradient(
    engine: Engine, theta: np.ndarray, reml: bool
) -> tuple[float, np.ndarray]:
    """Criterion and exact gradient at ``theta`` on the crossed path (see :func:`applies`)."""
    cg = engine.crossed_gradient_plan()
    if cg is None:
        raise ValueError("the crossed gradient does not apply to this engine's structure")
    return cg(theta, reml)
