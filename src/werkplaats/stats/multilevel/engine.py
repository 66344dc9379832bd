"""The numerical core: profiled (RE)ML deviance by blocked Cholesky factorisation.

Notation follows Bates, Mächler, Bolker & Walker (2015), "Fitting linear
mixed-effects models using lme4", J. Stat. Softw. 67(1):

    y = X beta + Z Lambda_theta u + e,   u ~ N(0, sigma^2 I),  e ~ N(0, sigma^2 I).

For a given theta the penalised least-squares problem is solved by a
Cholesky factorisation of the symmetric matrix

    [ Lambda'Z'Z Lambda + I   Lambda'Z'X   Lambda'Z'y ]
    [ X'Z Lambda              X'X          X'y        ]
    [ y'Z Lambda              y'X          y'y        ]

whose last diagonal element of the factor is the square root of the
penalised residual sum of squares.  As in MixedModels.jl the matrix is kept
in blocks, one block row per random-effects term (terms ordered by number of
levels, largest first) and one for [X y].  The cross-products Z'Z, Z'X, ...
are computed once; an evaluation of the objective never touches the n rows.

Elimination proceeds term by term.  A term whose current diagonal block is
block-diagonal (one small d x d block per level: always true of the first
term, and of later terms when the grouping factors are nested) is eliminated
with batched numpy operations on arrays of shape (levels, d, d); its effect
on later blocks is a sparse product.  The remaining terms (crossed factors)
and [X y] form a dense matrix that is factorised with LAPACK.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .backsolve import back_substitute
from .blocks import (
    SPARSE_MIN,
    Factorization,
    ReBlock,
    _batched_inv_logdet,
    _block_diag_sparse,
    _extract_diag_blocks,
    _factor_with_y,
    _grouped_cross,
    _lower_index,
)
from .condvar import cond_var_u
from .crossed_gradient import CrossedGradient
from .first_term import FirstTerm
from .gradient_paths import GradientPaths
from .nested_chain import NestedChain
from .sparse_remainder import factor_sparse

__all__ = ["ReBlock", "Engine", "Factorization"]


class Engine(FirstTerm, NestedChain, GradientPaths):
    """Profiled deviance of a linear mixed model for fixed data.

    Parameters
    ----------
    blocks : list of ReBlock
        Random-effects terms, already sorted by number of levels (largest
        first).
    X : ndarray (n, p)
        Full-rank fixed-effects model matrix.
    y : ndarray (n,)
        Response.
    """

    def __init__(self, blocks: list[ReBlock], X: np.ndarray, y: np.ndarray) -> None:
        blocks = list(blocks)
        self.K = len(blocks)
        # Renumber the levels of the first term so that levels sharing the
        # levels of later terms are adjacent (for nested designs: clients of
        # the same professional, professionals of the same team).  The
        # gathers and scatters of the first-term elimination then walk
        # memory in order.  ``perm0[new] = old``.
        b0 = blocks[0]
        if self.K > 1:
            _, first = np.unique(b0.codes, return_index=True)
            keys = [blocks[j].codes[first] for j in range(1, self.K)]
            self.perm0 = np.lexsort(keys)
            new_of_old = np.empty(b0.q, dtype=np.int64)
            new_of_old[self.perm0] = np.arange(b0.q)
            blocks[0] = ReBlock(new_of_old[b0.codes], b0.Z, b0.q)
        else:
            self.perm0 = np.arange(b0.q)
        self.blocks = blocks
        self.n, self.p = X.shape
        F = np.column_stack([X, y])
        self.theta_slices: list[slice] = []
        lower: list[float] = []
        start = 0
        self._tri = []
        for blk in blocks:
            r, c = _lower_index(blk.d)
            self._tri.append((r, c))
            self.theta_slices.append(slice(start, start + blk.n_theta))
            lower.extend(0.0 if i == j else -np.inf for i, j in zip(r, c))
            start += blk.n_theta
        self.n_theta = start
        self.lower = np.array(lower)

        # Off-diagonal blocks (j, i), j > i: pairs of levels that share rows.
        # The structure is found once; the values (cross-products) are filled
        # by _numeric, here and again by reweight() for a GLMM's PIRLS.
        self.pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._pair_inv: dict[tuple[int, int], np.ndarray] = {}
        for i in range(self.K):
            for j in range(i + 1, self.K):
                bi, bj = blocks[i], blocks[j]
                key = bj.codes * np.int64(bi.q) + bi.codes
                uniq, inv = np.unique(key, return_inverse=True)
                rows = uniq // bi.q
                cols = uniq % bi.q
                indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=bj.q))])
                self._pair_inv[(j, i)] = inv.reshape(-1)
                self.pairs[(j, i)] = (cols, indptr, np.ones((uniq.size, bj.d, bi.d)))
        self.n_batched = self._symbolic()
        self.sparse = sum(b.q * b.d for b in blocks[self.n_batched :]) > SPARSE_MIN
        self._setup_first()
        self._setup_fill_slots()
        self._chain = self._setup_chain()
        self._numeric([b.Z for b in blocks], F)
        self._order: np.ndarray | None = None
        self._crossed: list[CrossedGradient | None] = []  # built on first use
        self._gradient_path = self._setup_gradient()

    # ------------------------------------------------------------------
    def _setup_fill_slots(self) -> None:
        """For scalar terms j > i >= 1: the slot in B(j, i)'s pattern of each fill product.

        Eliminating the first term adds products to B(j, i); in a nested design
        they all fall on level pairs that already share rows (a professional and
        the team of the professional's clients), so they can be summed straight
        into B(j, i)'s values with one ``bincount`` at each evaluation, instead of
        building and adding a second sparse matrix.  Where a product falls outside
        the pattern, the pair keeps the general path.
        """
        self._fill_slot: dict[tuple[int, int], np.ndarray] = {}
        for (j, i), (cols, indptr, _data) in self.pairs.items():
            if i == 0 or (j, i) in self.plan_keys:
                continue
            if self.blocks[j].d != 1 or self.blocks[i].d != 1:
                continue
            tri = self.triples.get((j, i))
            if tri is None or cols.size == 0:
                continue
            pa, pb = tri
            ra = self.first_rows[j] if pa is None else self.first_rows[j][pa]
            rb = self.first_rows[i] if pb is None else self.first_rows[i][pb]
            qi = np.int64(self.blocks[i].q)
            rows = np.repeat(np.arange(self.blocks[j].q, dtype=np.int64), np.diff(indptr))
            keys = rows * qi + cols  # ascending: the pairs come from np.unique
            want = ra * qi + rb
            slot = np.minimum(np.searchsorted(keys, want), keys.size - 1)
            if np.array_equal(keys[slot], want):
                self._fill_slot[(j, i)] = slot

    def _symbolic(self) -> int:
        """Number of leading terms that stay block-diagonal during elimination.

        Works on level-incidence patterns with positive entries, so no
        numerical cancellation can hide a fill-in.
        """
        pat: dict[tuple[int, int], sp.csr_matrix] = {}
        for (j, i), (cols, indptr, _data) in self.pairs.items():
            pat[(j, i)] = sp.csr_matrix(
                (np.ones(cols.size), cols, indptr), shape=(self.blocks[j].q, self.blocks[i].q)
            )
        diag_ok = [True] * self.K
        m = 0
        for k in range(self.K):
            if not diag_ok[k]:
                break
            m = k + 1
            later = range(k + 1, self.K)
            for a in later:
                for b in later:
                    if b > a:
                        continue
                    # Guard against forming a huge fill pattern for large
                    # crossed factors: bound its size by the products per
                    # column first; such a term goes to the dense part.
                    ca = np.diff(pat[(a, k)].tocsc().indptr)
                    cb = np.diff(pat[(b, k)].tocsc().indptr)
                    if float(np.dot(ca, cb)) > 5e7:
                        diag_ok[b] = False
                        continue
                    fill = pat[(a, k)] @ pat[(b, k)].T
                    if a == b:
                        off = fill.tocoo()
                        if np.any(off.row != off.col):
                            diag_ok[a] = False
                    else:
                        pat[(a, b)] = (pat[(a, b)] + fill).tocsr()
        return m

    # ------------------------------------------------------------------
    def _numeric(self, Zs: list[np.ndarray], F: np.ndarray) -> None:
        """Cross-products Z'Z, Z'F, F'F and the off-diagonal blocks for model columns ``Zs``, ``F``."""
        blocks = self.blocks
        self.A = [_grouped_cross(b.codes, Z, Z, b.q) for b, Z in zip(blocks, Zs)]
        self.E0 = [_grouped_cross(b.codes, Z, F, b.q) for b, Z in zip(blocks, Zs)]
        self.FF = F.T @ F
        for (j, i), (cols, _indptr, data) in self.pairs.items():
            inv = self._pair_inv[(j, i)]
            for s in range(blocks[j].d):
                for t in range(blocks[i].d):
                    data[:, s, t] = np.bincount(
                        inv, weights=Zs[j][:, s] * Zs[i][:, t], minlength=cols.size
                    )
        self.A0 = np.ascontiguousarray(self.A[0].transpose(1, 2, 0))
        self.E00 = np.ascontiguousarray(self.E0[0].transpose(1, 2, 0))
        self.first_data = {
            j: np.ascontiguousarray(self.pairs[(j, 0)][2].transpose(1, 2, 0))
            for j in range(1, self.K)
        }
        self._fill_plan_values()
        self._first_alias_map = self._first_alias()

    def reweight(self, sqrtw: np.ndarray, F: np.ndarray) -> None:
        """Refill the cross-products for rows weighted by ``sqrtw**2`` and new columns ``F``.

        Used by the penalised iteratively reweighted least squares of a GLMM:
        the structure (level pairs, elimination order, fill pattern) is kept,
        only the values change.  ``F`` is [X y] (or [y] for an engine built
        with no fixed-effect columns), already multiplied by ``sqrtw``.
        """
        self._numeric([b.Z * sqrtw[:, None] for b in self.blocks], F)

    # ------------------------------------------------------------------
    def lambdas(self, theta: np.ndarray) -> list[np.ndarray]:
        """Relative covariance factors Lambda_k (lower triangular d x d)."""
        out = []
        for blk, sl, (r, c) in zip(self.blocks, self.theta_slices, self._tri):
            L = np.zeros((blk.d, blk.d))
            L[r, c] = theta[sl]
            out.append(L)
        return out

    def factor(
        self, theta: np.ndarray, keep: bool = False, rec: dict[str, Any] | None = None
    ) -> Factorization | None:
        """Factorise the blocked matrix at ``theta``; ``None`` if not positive definite.

        ``rec``, when given (the nested path only, ``keep=False``), receives what the
        gradient needs (nested_gradient.py): the Lambdas, the chain's pivots and the
        final factor of [X y].
        """
        lam = self.lambdas(theta)
        if rec is not None:
            rec["lam"] = lam
        K, m, p = self.K, self.n_batched, self.p
        FF = self.FF.copy()
        logdet_re, e_upd, fill, kept, dinv0 = self._eliminate_first(lam, FF, keep, rec)
        keep_dinv, keep_e, keep_b = [], [], []
        if kept is not None:
            keep_dinv.append(kept[0])
            keep_e.append(kept[1])
            keep_b.append(kept[2])
        # Scaled blocks of the later terms: Lambda' A Lambda + I, Lambda' Z'F,
        # then the updates from eliminating term 0.
        D: list[np.ndarray] = [np.empty(0)]
        E: list[np.ndarray] = [np.empty(0)]
        dense_upd: dict[int, np.ndarray] = {}
        for k in range(1, K):
            L = lam[k]
            bk = self.blocks[k]
            if L.shape[0] == 1:
                Dk = self.A[k] * (L[0, 0] ** 2) + 1.0
                Ek = self.E0[k] * L[0, 0]
            else:
                Dk = L.T @ self.A[k] @ L + np.eye(L.shape[0])
                Ek = L.T @ self.E0[k]
            Ek = Ek - e_upd[k]
            fk = fill.get((k, k))
            if fk is None:  # in the fill plan, applied to the dense remainder below
                pass
            elif not isinstance(fk, tuple):
                if k < m:
                    Dk = Dk - _extract_diag_blocks(fk, bk.q, bk.d)
                else:
                    dense_upd[k] = fk.tocsr() if self.sparse else fk.toarray()
            elif k < m:
                # Structurally block-diagonal: rows_a == rows_b.
                rows_a, rows_b, vals = fk
                for s_ in range(bk.d):
                    for t_ in range(bk.d):
                        Dk[:, s_, t_] -= np.bincount(rows_a, weights=vals[s_, t_], minlength=bk.q)
            elif self.sparse:
                rows_a, rows_b, vals = fk
                dq = bk.q * bk.d
                pairs_st = [(s_, t_) for s_ in range(bk.d) for t_ in range(bk.d)]
                sra = np.concatenate([rows_a * bk.d + s_ for s_, _ in pairs_st])
                srb = np.concatenate([rows_b * bk.d + t_ for _, t_ in pairs_st])
                svv = np.concatenate([vals[s_, t_] for s_, t_ in pairs_st])
                dense_upd[k] = sp.csr_matrix((svv, (sra, srb)), shape=(dq, dq))
            else:
                rows_a, rows_b, vals = fk
                dq = bk.q * bk.d
                upd = np.zeros(dq * dq)
                for s_ in range(bk.d):
                    for t_ in range(bk.d):
                        idx = (rows_a * bk.d + s_) * dq + rows_b * bk.d + t_
                        upd += np.bincount(idx, weights=vals[s_, t_], minlength=dq * dq)
                dense_upd[k] = upd.reshape(dq, dq)
            D.append(Dk)
            E.append(Ek)
        if self._chain is not None and not keep:
            return self._factor_chain(lam, D, E, FF, fill, logdet_re, rec)
        B: dict[tuple[int, int], sp.csr_matrix] = {}
        for (j, i), (cols, indptr, data) in self.pairs.items():
            if i == 0:
                continue
            Lj, Li = lam[j], lam[i]
            bj, bi = self.blocks[j], self.blocks[i]
            if Lj.shape[0] == 1 and Li.shape[0] == 1:
                vals_ji = data[:, 0, 0] * (Lj[0, 0] * Li[0, 0])
                slot = self._fill_slot.get((j, i))
                fji = fill.get((j, i))
                if slot is not None and isinstance(fji, tuple):
                    vals_ji -= np.bincount(slot, weights=fji[2][0, 0], minlength=cols.size)
                    B[(j, i)] = sp.csr_matrix((vals_ji, cols, indptr), shape=(bj.q, bi.q))
                    continue
                Bji = sp.csr_matrix((vals_ji, cols, indptr), shape=(bj.q, bi.q))
            else:
                sd = Lj.T @ data @ Li
                Bji = sp.bsr_matrix((sd, cols, indptr), shape=(bj.q * bj.d, bi.q * bi.d)).tocsr()
            fji = fill.get((j, i))
            if fji is None:  # in the fill plan
                B[(j, i)] = Bji
                continue
            if not isinstance(fji, tuple):
                B[(j, i)] = (Bji - fji).tocsr()
                continue
            rows_a, rows_b, vals = fji
            ra, rb, vv = [], [], []
            for s_ in range(bj.d):
                for t_ in range(bi.d):
                    ra.append(rows_a * bj.d + s_)
                    rb.append(rows_b * bi.d + t_)
                    vv.append(vals[s_, t_])
            U = sp.csr_matrix(
                (np.concatenate(vv), (np.concatenate(ra), np.concatenate(rb))),
                shape=(bj.q * bj.d, bi.q * bi.d),
            )
            B[(j, i)] = (Bji - U).tocsr()

        for k in range(1, m):
            bk = self.blocks[k]
            Dinv, ld = _batched_inv_logdet(D[k])
            logdet_re += ld
            W = Dinv @ E[k]
            FF -= E[k].reshape(-1, p + 1).T @ W.reshape(-1, p + 1)
            Wf = W.reshape(bk.q * bk.d, p + 1)
            later = list(range(k + 1, K))
            if keep:
                keep_dinv.append(Dinv)
                keep_e.append(E[k].copy())
                keep_b.append({j: B[(j, k)] for j in later})
            if not later:
                continue
            Dbd = _block_diag_sparse(Dinv)
            G = {}
            for j in later:
                bj = self.blocks[j]
                E[j] = E[j] - (B[(j, k)] @ Wf).reshape(bj.q, bj.d, p + 1)
                G[j] = B[(j, k)] @ Dbd
            for a in later:
                for b in later:
                    if b > a:
                        continue
                    U = G[a] @ B[(b, k)].T
                    if a == b:
                        ba = self.blocks[a]
                        if a < m:
                            D[a] = D[a] - _extract_diag_blocks(U, ba.q, ba.d)
                        else:
                            prev = dense_upd.get(a)
                            Ud = U.tocsr() if self.sparse else U.toarray()
                            dense_upd[a] = Ud if prev is None else prev + Ud
                    else:
                        B[(a, b)] = (B[(a, b)] - U).tocsr()

        if self.sparse:
            return factor_sparse(
                self, D, E, B, dense_upd, FF, logdet_re, keep_dinv, keep_e, keep_b, keep
            )
        # Dense remainder: terms m..K-1 and [X y].
        dims = [self.blocks[j].q * self.blocks[j].d for j in range(m, K)]
        n_re = int(sum(dims))
        T = n_re + p + 1
        # Fortran order: LAPACK factorises it in place, without a transposed copy.
        M = np.zeros((T, T), order="F")
        offs = np.concatenate([[0], np.cumsum(dims)]).astype(int)
        for idx, j in enumerate(range(m, K)):
            o = offs[idx]
            bj = self.blocks[j]
            blk = M[o : o + dims[idx], o : o + dims[idx]]
            if bj.d > 1:
                blk[...] = scipy.linalg.block_diag(*D[j])
            else:  # a diagonal: no dense temporary of the block's size
                blk[np.diag_indices(dims[idx])] = D[j][:, 0, 0]
            if j in dense_upd:
                blk -= dense_upd[j]
            for idx2, i in enumerate(range(m, j)):
                o2 = offs[idx2]
                M[o : o + dims[idx], o2 : o2 + dims[idx2]] = B[(j, i)].toarray()
            M[n_re:, o : o + dims[idx]] = E[j].reshape(dims[idx], p + 1).T
        M[n_re:, n_re:] = FF
        self._apply_fill_plan(M, lam, dinv0)
        c = _factor_with_y(M, overwrite=True)
        if c is None:
            return None
        diag = np.diagonal(c)
        if rec is not None:
            rec["chain"], rec["ff"] = [], c
        logdet_re += 2.0 * float(np.sum(np.log(diag[:n_re])))
        logdet_x = 2.0 * float(np.sum(np.log(diag[n_re : n_re + p])))
        pwrss = float(diag[-1] ** 2)
        return Factorization(
            logdet_re,
            logdet_x,
            pwrss,
            keep_dinv,
            keep_e,
            keep_b,
            c if keep else None,
            n_re,
            rx=c[n_re : n_re + p, n_re : n_re + p],
            theta=theta,
        )

    def objective(self, theta: np.ndarray, reml: bool) -> float:
        """Profiled deviance (ML) or REML criterion at ``theta``."""
        f = self.factor(np.asarray(theta, dtype=float))
        if f is None:
            return np.inf
        return self.criterion(f, reml)

    def criterion(self, f: Factorization, reml: bool) -> float:
        n, p = self.n, self.p
        if f.pwrss <= 0:
            return np.inf
        if reml:
            nmp = n - p
            return cast(
                "float",
                f.logdet_re + f.logdet_x + nmp * (1.0 + np.log(2.0 * np.pi * f.pwrss / nmp)),
            )
        return cast("float", f.logdet_re + n * (1.0 + np.log(2.0 * np.pi * f.pwrss / n)))

    # ------------------------------------------------------------------
    def solve(self, theta: np.ndarray) -> tuple[Factorization, np.ndarray, list[np.ndarray]]:
        """Factorise and return (factorization, beta, u per term as (q, d))."""
        f = self.factor(theta, keep=True)
        if f is None:
            raise np.linalg.LinAlgError("the penalised system is not positive definite")
        beta, u = self.solution(f)
        u0 = np.empty_like(u[0])
        u0[self.perm0] = u[0]
        u[0] = u0
        return f, beta, u

    def solution(self, f: Factorization) -> tuple[np.ndarray, list[np.ndarray]]:
        """(beta, u per term as (q, d)) from a factorisation made with ``keep=True``.

        The first term's levels are in the engine's order (``perm0[new] = old``).
        """
        return back_substitute(self, f)

    def cond_var_u(
        self, f: Factorization, max_dim: int = 6000, chunk: int = 4096
    ) -> list[np.ndarray] | None:
        """Diagonal blocks of (Lambda'Z'Z Lambda + I)^-1 (see condvar.py)."""
        return cond_var_u(self, f, max_dim, chunk)
