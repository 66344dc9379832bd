"""The crossed remainder as a sparse matrix, factorised by SuperLU in a fixed order.

Used by :meth:`Engine.factor` when the terms that are not block-diagonal after the
first term's elimination have more than ``SPARSE_MIN`` random effects.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .blocks import Factorization, _block_diag_sparse, _factor_with_y

if TYPE_CHECKING:
    from .engine import Engine


def factor_sparse(
    self: Engine,
    D: Any,
    E: Any,
    B: Any,
    upd: Any,
    FF: np.ndarray,
    logdet_re: float,
    keep_dinv: Any,
    keep_e: Any,
    keep_b: Any,
    keep: bool,
) -> Factorization | None:
    """The crossed remainder as a sparse matrix M; [X y] through its Schur complement.

    M (the random effects of terms m..K-1 after eliminating the block-diagonal
    ones) is factorised by SuperLU without pivoting, in a fill-reducing order
    computed at the first call and reused; then S = FF - E' M^-1 E for the
    p + 1 columns of [X y] is factorised densely.  log|M|, log|R_X|^2 and the
    penalised residual sum of squares come out as from the dense factor.
    """
    K, m, p = self.K, self.n_batched, self.p
    dims = [self.blocks[j].q * self.blocks[j].d for j in range(m, K)]
    n_re = int(sum(dims))
    rows = []
    for j in range(m, K):
        row = []
        for i in range(m, K):
            if i == j:
                blk = _block_diag_sparse(D[j])
                if j in upd:
                    blk = blk - upd[j]
                row.append(blk)
            elif i < j:
                row.append(B[(j, i)])
            else:
                row.append(B[(i, j)].T)
        rows.append(row)
    M = sp.bmat(rows, format="csc")
    Ere = np.vstack([E[j].reshape(dims[idx], p + 1) for idx, j in enumerate(range(m, K))])
    opts = {"SymmetricMode": True}
    try:
        if self._order is None:
            lu0 = spla.splu(M, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options=opts)
            self._order = lu0.perm_c.copy()
        order = self._order
        Mp = M[order][:, order].tocsc()
        lu = spla.splu(Mp, permc_spec="NATURAL", diag_pivot_thresh=0.0, options=opts)
    except RuntimeError:  # exactly singular
        return None
    if not np.array_equal(lu.perm_r, np.arange(n_re)):
        return None  # a pivot was needed: not positive definite
    diag = lu.U.diagonal()
    if np.any(diag <= 0):
        return None
    logdet_re += float(np.sum(np.log(diag)))
    Wp = lu.solve(Ere[order])
    W = np.empty_like(Wp)
    W[order] = Wp
    S = FF - Ere.T @ W
    c = _factor_with_y(S)
    if c is None:
        return None
    cd = np.diagonal(c)
    logdet_x = 2.0 * float(np.sum(np.log(cd[:p])))
    pwrss = float(cd[-1] ** 2)
    return Factorization(
        logdet_re,
        logdet_x,
        pwrss,
        keep_dinv,
        keep_e,
        keep_b,
        None,
        n_re,
        rx=c[:p, :p],
        sparse=(W, c) if keep else None,
    )
