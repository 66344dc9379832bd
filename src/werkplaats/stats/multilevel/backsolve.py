"""Back-substitution: beta and the spherical random effects u from the engine's factor."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg

from .blocks import Factorization

if TYPE_CHECKING:
    from .engine import Engine


def back_substitute(engine: Engine, f: Factorization) -> tuple[np.ndarray, list[np.ndarray]]:
    """(beta, u per term as (q, d)) from a factorisation made with ``keep=True``, by
    back-substitution through the dense (or sparse) remainder and then the batched terms
    in reverse order; the first term's levels are in the engine's order."""
    n_re, p, m = f.n_dense_re, engine.p, engine.n_batched
    if f.sparse is not None:
        W, cS = f.sparse
        beta = scipy.linalg.solve_triangular(cS[:p, :p], cS[p, :p], lower=True, trans="T")
        x = W[:, p] - W[:, :p] @ beta
    else:
        c = f.dense_factor
        if c is None:  # keep=True always stores it; guard for type checkers
            raise RuntimeError("factorisation kept no dense factor")
        # BLAS's dtrsv on the factor in place (solve_triangular copies and checks
        # the whole factor first: 5-15 ms against 2 ms for InstEval's 1,159 columns).
        if c.shape[0] > 1:
            x = scipy.linalg.blas.dtrsv(c[:-1, :-1], c[-1, :-1], lower=1, trans=1)
        else:  # nothing but y in the remainder
            x = np.zeros(0)
        beta = x[n_re:]
    u: list[np.ndarray] = [np.empty(0)] * engine.K
    off = 0
    for j in range(m, engine.K):
        bj = engine.blocks[j]
        u[j] = x[off : off + bj.q * bj.d].reshape(bj.q, bj.d)
        off += bj.q * bj.d
    for k in range(m - 1, -1, -1):
        bk = engine.blocks[k]
        r = f.e[k][:, :, p] - f.e[k][:, :, :p] @ beta
        rf = r.reshape(-1)
        for j, Bjk in f.b[k].items():
            rf = rf - Bjk.T @ u[j].reshape(-1)
        r = rf.reshape(bk.q, bk.d)
        u[k] = np.einsum("qij,qj->qi", f.dinv[k], r)
    return beta, u
