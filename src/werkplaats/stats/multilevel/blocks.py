"""Data structures and batched small-matrix kernels of the engine (see engine.py).

``ReBlock`` is one random-effects term, ``Factorization`` what one evaluation keeps;
the ``_cm_*`` functions work on component-major stacks (d, d, q): one contiguous
vector of length q per matrix entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.linalg
import scipy.sparse as sp

# Above this order the crossed remainder (random effects of the terms that are
# not block-diagonal after eliminating the largest factor) is factorised as a
# sparse matrix: SuperLU (scipy.sparse.linalg.splu, BSD) without pivoting on the
# symmetric positive definite matrix, in a fill-reducing order (minimum degree
# on A'+A) found at the first evaluation and kept.  Below it, a dense LAPACK
# Cholesky of the whole remainder is faster.
SPARSE_MIN = 6000


@dataclass
class ReBlock:
    """One random-effects term as the engine sees it."""

    codes: np.ndarray  # (n,) level index of each row, 0..q-1
    Z: np.ndarray  # (n, d) the term's model-matrix columns
    q: int  # number of levels

    @property
    def d(self) -> int:
        return cast("int", self.Z.shape[1])

    @property
    def n_theta(self) -> int:
        return self.d * (self.d + 1) // 2


def _factor_with_y(M: np.ndarray, overwrite: bool = False) -> np.ndarray | None:
    """Lower Cholesky factor of a system whose last row and column are y's (LAPACK
    ``dpotrf``), or ``None`` when the part without y is not positive definite. The last
    diagonal entry is the square root of the penalised residual sum of squares and may
    be 0 (a perfect fit)."""
    c, info = scipy.linalg.lapack.dpotrf(M, lower=1, clean=1, overwrite_a=int(overwrite))
    if info != 0 or np.any(np.diagonal(c)[:-1] <= 0):
        return None
    return cast("np.ndarray", c)


def _lower_index(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Row/column indices of the lower triangle in column-major order (lme4's theta order)."""
    rows, cols = [], []
    for j in range(d):
        for i in range(j, d):
            rows.append(i)
            cols.append(j)
    return np.array(rows), np.array(cols)


def _grouped_cross(codes: np.ndarray, A: np.ndarray, B: np.ndarray, q: int) -> np.ndarray:
    """Sum over rows of each level of the outer products A_i B_i': shape (q, a, b)."""
    a, b = A.shape[1], B.shape[1]
    out = np.empty((q, a, b))
    for s in range(a):
        for t in range(b):
            out[:, s, t] = np.bincount(codes, weights=A[:, s] * B[:, t], minlength=q)
    return out


def _block_diag_sparse(blocks: np.ndarray) -> sp.csr_matrix:
    q, d, _ = blocks.shape
    if d == 1:
        return sp.diags(blocks[:, 0, 0]).tocsr()
    m = sp.bsr_matrix((blocks, np.arange(q), np.arange(q + 1)), shape=(q * d, q * d))
    return m.tocsr()


def _extract_diag_blocks(m: sp.spmatrix, q: int, d: int) -> np.ndarray:
    """The d x d diagonal blocks of a sparse matrix known to be block-diagonal."""
    coo = m.tocoo()
    idx = (coo.row // d) * d * d + (coo.row % d) * d + coo.col % d
    return np.bincount(idx, weights=coo.data, minlength=q * d * d).reshape(q, d, d)


def _batched_inv_logdet(D: np.ndarray) -> tuple[np.ndarray, float]:
    """Inverse and log-determinant of a stack of SPD matrices (all >= I here)."""
    d = D.shape[1]
    if d == 1:
        v = D[:, 0, 0]
        return (1.0 / v)[:, None, None], float(np.sum(np.log(v)))
    if d == 2:
        a, b, c = D[:, 0, 0], D[:, 1, 0], D[:, 1, 1]
        det = a * c - b * b
        inv = np.empty_like(D)
        inv[:, 0, 0] = c / det
        inv[:, 1, 1] = a / det
        inv[:, 0, 1] = inv[:, 1, 0] = -b / det
        return inv, float(np.sum(np.log(det)))
    L = np.linalg.cholesky(D)
    logdet = 2.0 * float(np.sum(np.log(np.diagonal(L, axis1=1, axis2=2))))
    eye = np.broadcast_to(np.eye(d), D.shape)
    Linv = np.linalg.solve(L, eye)
    return np.einsum("qki,qkj->qij", Linv, Linv), logdet


def _cm_LtAL(L: np.ndarray, A: np.ndarray) -> np.ndarray:
    """L' A L for a component-major stack A of shape (d, d, q)."""
    d = L.shape[0]
    T = [[sum(A[i, k] * L[k, m] for k in range(m, d)) for m in range(d)] for i in range(d)]
    out = np.empty_like(A)
    for i in range(d):
        for m in range(i, d):
            v = sum(L[j, i] * T[j][m] for j in range(i, d))
            out[i, m] = v
            if m != i:
                out[m, i] = v
    return out


def _cm_inv_logdet(D: np.ndarray) -> tuple[np.ndarray, float]:
    """Inverse and log-determinant of a component-major stack (d, d, q) of SPD matrices."""
    d = D.shape[0]
    if d == 1:
        return 1.0 / D, float(np.sum(np.log(D[0, 0])))
    if d == 2:
        a, b, c = D[0, 0], D[1, 0], D[1, 1]
        det = a * c - b * b
        inv = np.empty_like(D)
        inv[0, 0] = c / det
        inv[1, 1] = a / det
        inv[0, 1] = inv[1, 0] = -b / det
        return inv, float(np.sum(np.log(det)))
    inv, ld = _batched_inv_logdet(np.ascontiguousarray(D.transpose(2, 0, 1)))
    return np.ascontiguousarray(inv.transpose(1, 2, 0)), ld


@dataclass
class Factorization:
    """Quantities of one evaluation, kept for the final solution."""

    logdet_re: float
    logdet_x: float
    pwrss: float
    # Per batched term k: inverse diagonal blocks, E_k and the column blocks
    # B(j, k) for j > k at the time k was eliminated.
    dinv: list[np.ndarray]
    e: list[np.ndarray]
    b: list[dict[int, sp.csr_matrix]]
    dense_factor: np.ndarray | None
    n_dense_re: int
    # Lower-triangular factor of X'V^-1X / sigma^2 (R_X' in lme4's notation).
    rx: np.ndarray | None = None
    # Sparse remainder: (W = M^-1 [E_X E_y], Cholesky factor of the Schur complement of [X y]).
    sparse: tuple[np.ndarray, np.ndarray] | None = None
    # The theta of this factorisation.
    theta: np.ndarray | None = None
