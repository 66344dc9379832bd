"""Conditional variances of the random effects: diagonal blocks of (Lambda'Z'Z Lambda + I)^-1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .blocks import Factorization, _block_diag_sparse

if TYPE_CHECKING:
    from .engine import Engine


def cond_var_u(
    self: Engine, f: Factorization, max_dim: int = 6000, chunk: int = 4096
) -> list[np.ndarray] | None:
    """Diagonal blocks of (Lambda'Z'Z Lambda + I)^-1, one (q, d, d) array per term.

    The inverse of everything after the first term is formed densely,
    so this is only done when that part has at most ``max_dim`` rows;
    ``None`` otherwise.
    """
    K, m = self.K, self.n_batched
    later_dim = sum(b.q * b.d for b in self.blocks[1:])
    if later_dim > max_dim or f.sparse is not None:
        return None
    c = f.dense_factor
    if c is None:
        raise ValueError("cond_var_u needs a dense factorisation made with keep=True")
    n_re = f.n_dense_re
    out: list[np.ndarray] = [np.empty(0)] * K
    # Covariance of the dense remainder's RE coordinates.
    if n_re:
        # (Lr Lr')^-1 by LAPACK's dpotri (a third of the work of L^-1 by a
        # triangular solve against the identity and the product L^-T L^-1).
        inv, info = scipy.linalg.lapack.dpotri(c[:n_re, :n_re], lower=1)
        if info != 0:
            raise np.linalg.LinAlgError("the random-effects factor is singular")
        Sigma = np.tril(inv)
        Sigma += np.tril(Sigma, -1).T
    else:
        Sigma = np.zeros((0, 0))
    order = list(range(m, K))  # terms covered by Sigma, in coordinate order

    def diag_blocks(S: np.ndarray, terms: list[int]) -> None:
        o = 0
        for j in terms:
            bj = self.blocks[j]
            sz = bj.q * bj.d
            sub = S[o : o + sz, o : o + sz]
            idx = np.arange(bj.q)[:, None] * bj.d + np.arange(bj.d)[None, :]
            out[j] = sub[idx[:, :, None], idx[:, None, :]]
            o += sz

    cg = self.crossed_gradient_plan()
    for k in range(m - 1, -1, -1):
        bk = self.blocks[k]
        Dinv = f.dinv[k]
        if k == 0 and cg is not None and f.theta is not None:
            # The crossed path: (Omega^-1)_gg = 1/D_g + c_g' Sigma c_g / D_g^2, the
            # quadratic forms from the fill plan's matrix (see crossed_gradient.py).
            dinv = Dinv[:, 0, 0]
            quad = cg.first_term_quadratic(f, float(f.theta[0]), f.theta, Sigma, False)
            out[0] = np.empty_like(Dinv)
            out[0][self.perm0, 0, 0] = dinv + quad * dinv**2
            break
        if order:
            Bk = sp.vstack([f.b[k][j] for j in order]).tocsr()
            G = (Bk @ _block_diag_sparse(Dinv)).tocsc()
        else:
            G = None
        if k > 0:
            if G is None:
                Skk = scipy.linalg.block_diag(*Dinv)
                Sigma = Skk
            else:
                H = np.asarray(G.T @ Sigma).T  # Sigma_later G  (later x qd)
                Skk = scipy.linalg.block_diag(*Dinv) + np.asarray(G.T @ H)
                Sigma = np.block([[Skk, -H.T], [-H, Sigma]])
            order = [k] + order
        else:
            blocks = Dinv.copy()
            if G is not None:
                # Diagonal blocks of G' Sigma G: only pairs of nonzeros of
                # G in the same level's columns contribute.
                d = bk.d
                Gc = G.tocoo()
                lev = Gc.col // d
                order_ = np.argsort(lev, kind="stable")
                cnt = np.bincount(lev, minlength=bk.q)
                start_ = np.concatenate([[0], np.cumsum(cnt)[:-1]])
                npair = cnt * cnt
                # Batches of levels holding about ``chunk * 256`` pairs each: a
                # crossed design has many pairs per level (1M ratings of 6,000
                # users: 167M), and one batch of all levels took 9 GiB.
                cum = np.cumsum(npair)
                budget = chunk * 256
                lo = 0
                while lo < bk.q:
                    base = int(cum[lo - 1]) if lo else 0
                    hi = int(np.searchsorted(cum, base + budget, side="right"))
                    hi = min(bk.q, max(hi, lo + 1))
                    npc = npair[lo:hi]
                    levs = np.repeat(np.arange(lo, hi), npc)
                    within = np.arange(int(npc.sum())) - np.repeat(np.cumsum(npc) - npc, npc)
                    e1 = order_[start_[levs] + within // cnt[levs]]
                    e2 = order_[start_[levs] + within % cnt[levs]]
                    vals = Gc.data[e1] * Sigma[Gc.row[e1], Gc.row[e2]] * Gc.data[e2]
                    tgt = (levs * d + Gc.col[e1] % d) * d + Gc.col[e2] % d
                    blocks.reshape(-1)[:] += np.bincount(tgt, weights=vals, minlength=bk.q * d * d)
                    lo = hi
            out[0] = np.empty_like(blocks)
            out[0][self.perm0] = blocks
    diag_blocks(Sigma, order)
    return out
