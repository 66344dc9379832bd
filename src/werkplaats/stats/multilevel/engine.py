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

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["ReBlock", "Engine"]

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


class Engine:
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
        self._setup_first()
        self._numeric([b.Z for b in blocks], F)
        self.sparse = sum(b.q * b.d for b in blocks[self.n_batched :]) > SPARSE_MIN
        self._order: np.ndarray | None = None

    # ------------------------------------------------------------------
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
    def _setup_first(self) -> None:
        """Index structures for eliminating the first (largest) term.

        The first term is where the work scales with the data, so it is
        eliminated with vectorised operations on component-major arrays
        (one contiguous vector of length q per matrix entry) instead of
        sparse products.  For each pair of later terms (a, b) the "triples"
        list the pairs of nonzero blocks B(a, 0)[p_a] and B(b, 0)[p_b] that
        share a level of the first term; their products are the fill-in.
        """
        b0 = self.blocks[0]
        self.first_rows: dict[int, np.ndarray] = {}
        self.first_data: dict[int, np.ndarray] = {}
        self.first_identity: dict[int, bool] = {}
        self.first_tpl: dict[int, sp.csr_matrix] = {}
        self.first_csr: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]] = {}
        order: dict[int, np.ndarray] = {}
        starts: dict[int, np.ndarray] = {}
        counts: dict[int, np.ndarray] = {}
        for j in range(1, self.K):
            cols, indptr, data = self.pairs[(j, 0)]
            self.first_rows[j] = np.repeat(np.arange(self.blocks[j].q), np.diff(indptr))
            # Nested in term j with levels renumbered: pair p is level p of
            # term 0, so gathers by ``cols`` are the identity and are skipped.
            self.first_identity[j] = cols.size == b0.q and np.array_equal(cols, np.arange(b0.q))
            # CSR layout of B(j, 0) and the map from the component-major data
            # (s, t, pair) to CSR slots, so each evaluation fills it in one take.
            dj, npairs = self.blocks[j].d, cols.size
            s_, t_, p_ = np.meshgrid(
                np.arange(dj), np.arange(b0.d), np.arange(npairs), indexing="ij"
            )
            ids = (s_ * b0.d + t_) * npairs + p_
            coo = sp.coo_matrix(
                (
                    ids.ravel() + 1.0,
                    ((self.first_rows[j][p_] * dj + s_).ravel(), (cols[p_] * b0.d + t_).ravel()),
                ),
                shape=(self.blocks[j].q * dj, b0.q * b0.d),
            )
            csr = coo.tocsr()
            self.first_csr[j] = (csr.data.astype(np.int64) - 1, csr.indices, csr.indptr, csr.shape)
            # A template whose data array is replaced at each evaluation:
            # building a new csr_matrix re-validates the whole structure.
            self.first_tpl[j] = csr.copy()
            order[j] = np.argsort(cols, kind="stable")
            counts[j] = np.bincount(cols, minlength=b0.q)
            starts[j] = np.concatenate([[0], np.cumsum(counts[j])[:-1]])
        self.triples: dict[tuple[int, int], tuple[np.ndarray | None, np.ndarray | None] | None] = {}
        for a in range(1, self.K):
            for b in range(1, a + 1):
                ca, cb = counts[a], counts[b]
                nc = ca * cb
                total = int(nc.sum())
                if total > 4 * max(1, self.first_rows[a].size, self.first_rows[b].size):
                    # Crossed with the first term: many level pairs share a
                    # first-term level; a sparse product is cheaper than
                    # listing them all (and needs no memory for the list).
                    self.triples[(a, b)] = None
                    continue
                c_of = np.repeat(np.arange(b0.q), nc)
                within = np.arange(total) - np.repeat(np.cumsum(nc) - nc, nc)
                ia = within // cb[c_of]
                ib = within % cb[c_of]
                pa = order[a][starts[a][c_of] + ia]
                pb = order[b][starts[b][c_of] + ib]
                # In a nested design both lists are 0, 1, 2, ...: mark them so
                # that no gather is done at all (None means "identity").
                ar = np.arange(total)
                self.triples[(a, b)] = (
                    None if np.array_equal(pa, ar) else pa,
                    None if np.array_equal(pb, ar) else pb,
                )

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

    def reweight(self, sqrtw: np.ndarray, F: np.ndarray) -> None:
        """Refill the cross-products for rows weighted by ``sqrtw**2`` and new columns ``F``.

        Used by the penalised iteratively reweighted least squares of a GLMM:
        the structure (level pairs, elimination order, fill pattern) is kept,
        only the values change.  ``F`` is [X y] (or [y] for an engine built
        with no fixed-effect columns), already multiplied by ``sqrtw``.
        """
        self._numeric([b.Z * sqrtw[:, None] for b in self.blocks], F)

    def _eliminate_first(
        self, lam: list[np.ndarray], FF: np.ndarray, keep: bool
    ) -> tuple[float, Any, dict[tuple[int, int], Any], tuple[Any, ...] | None]:
        """Eliminate term 0; returns its pieces and the updates of later blocks."""
        b0 = self.blocks[0]
        q0, d0, p1 = b0.q, b0.d, self.p + 1
        L0 = lam[0]
        D0 = _cm_LtAL(L0, self.A0)
        for i in range(d0):
            D0[i, i] += 1.0
        Dinv, logdet = _cm_inv_logdet(D0)
        # E0s = L0' Z0'F  (d0, p+1, q0)
        E0s = np.empty_like(self.E00)
        for i in range(d0):
            E0s[i] = sum(L0[j, i] * self.E00[j] for j in range(i, d0))
        W = np.empty_like(E0s)
        for i in range(d0):
            W[i] = sum(Dinv[i, j][None, :] * E0s[j] for j in range(d0))
        for i in range(d0):
            FF -= E0s[i] @ W[i].T
        Bd: dict[int, np.ndarray] = {}
        Bcsr: dict[int, sp.csr_matrix] = {}
        Wflat: np.ndarray | None = None
        G: dict[int, np.ndarray] = {}
        e_upd: dict[int, np.ndarray] = {}
        for j in range(1, self.K):
            cols = self.pairs[(j, 0)][0]
            Lj = lam[j]
            dj = Lj.shape[0]
            raw = self.first_data[j]
            # B(j,0) = Lj' raw L0, component-major (dj, d0, npairs).
            T = [
                [sum(raw[s, u] * L0[u, t] for u in range(t, d0)) for t in range(d0)]
                for s in range(dj)
            ]
            Bj = np.empty_like(raw)
            for s in range(dj):
                for t in range(d0):
                    Bj[s, t] = sum(Lj[r, s] * T[r][t] for r in range(s, dj))
            Bd[j] = Bj
            if self.first_identity[j]:
                Dc = [[Dinv[u, t] for t in range(d0)] for u in range(d0)]
            else:
                Dc = [[Dinv[u, t][cols] for t in range(d0)] for u in range(d0)]
            Gj = np.empty_like(Bj)
            for s in range(dj):
                for t in range(d0):
                    Gj[s, t] = sum(Bj[s, u] * Dc[u][t] for u in range(d0))
            G[j] = Gj
            perm = self.first_csr[j][0]
            tpl = self.first_tpl[j]
            tpl.data = Bj.ravel()[perm]
            Bcsr[j] = tpl.copy() if keep else tpl
            if Wflat is None:
                Wflat = np.ascontiguousarray(W.transpose(2, 0, 1)).reshape(q0 * d0, p1)
            e_upd[j] = (Bcsr[j] @ Wflat).reshape(self.blocks[j].q, dj, p1)
        fill: dict[tuple[int, int], object] = {}
        Dbd0 = None
        for (a, b), tri in self.triples.items():
            if tri is None:
                if Dbd0 is None:
                    Dbd0 = _block_diag_sparse(np.ascontiguousarray(Dinv.transpose(2, 0, 1)))
                fill[(a, b)] = (Bcsr[a] @ Dbd0) @ Bcsr[b].T
                continue
            pa, pb = tri
            da, db = lam[a].shape[0], lam[b].shape[0]
            Ga = G[a] if pa is None else G[a][:, :, pa]
            Bb = Bd[b] if pb is None else Bd[b][:, :, pb]
            vals = np.empty((da, db, Ga.shape[2]))
            for s in range(da):
                for t in range(db):
                    vals[s, t] = sum(Ga[s, u] * Bb[t, u] for u in range(d0))
            fill[(a, b)] = (
                self.first_rows[a] if pa is None else self.first_rows[a][pa],
                self.first_rows[b] if pb is None else self.first_rows[b][pb],
                vals,
            )
        kept = None
        if keep:
            kept = (
                np.ascontiguousarray(Dinv.transpose(2, 0, 1)),
                np.ascontiguousarray(E0s.transpose(2, 0, 1)),
                Bcsr,
            )
        return logdet, e_upd, fill, kept

    # ------------------------------------------------------------------
    def lambdas(self, theta: np.ndarray) -> list[np.ndarray]:
        """Relative covariance factors Lambda_k (lower triangular d x d)."""
        out = []
        for blk, sl, (r, c) in zip(self.blocks, self.theta_slices, self._tri):
            L = np.zeros((blk.d, blk.d))
            L[r, c] = theta[sl]
            out.append(L)
        return out

    def factor(self, theta: np.ndarray, keep: bool = False) -> Factorization | None:
        """Factorise the blocked matrix at ``theta``; ``None`` if not positive definite."""
        lam = self.lambdas(theta)
        K, m, p = self.K, self.n_batched, self.p
        FF = self.FF.copy()
        logdet_re, e_upd, fill, kept = self._eliminate_first(lam, FF, keep)
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
            fk = fill[(k, k)]
            if not isinstance(fk, tuple):
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
        B: dict[tuple[int, int], sp.csr_matrix] = {}
        for (j, i), (cols, indptr, data) in self.pairs.items():
            if i == 0:
                continue
            Lj, Li = lam[j], lam[i]
            bj, bi = self.blocks[j], self.blocks[i]
            if Lj.shape[0] == 1 and Li.shape[0] == 1:
                Bji = sp.csr_matrix(
                    (data[:, 0, 0] * (Lj[0, 0] * Li[0, 0]), cols, indptr), shape=(bj.q, bi.q)
                )
            else:
                sd = Lj.T @ data @ Li
                Bji = sp.bsr_matrix((sd, cols, indptr), shape=(bj.q * bj.d, bi.q * bi.d)).tocsr()
            fji = fill[(j, i)]
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
            return self._factor_sparse(
                D, E, B, dense_upd, FF, logdet_re, keep_dinv, keep_e, keep_b, keep
            )
        # Dense remainder: terms m..K-1 and [X y].
        dims = [self.blocks[j].q * self.blocks[j].d for j in range(m, K)]
        n_re = int(sum(dims))
        T = n_re + p + 1
        M = np.zeros((T, T))
        offs = np.concatenate([[0], np.cumsum(dims)]).astype(int)
        for idx, j in enumerate(range(m, K)):
            o = offs[idx]
            bj = self.blocks[j]
            blk = scipy.linalg.block_diag(*D[j]) if bj.d > 1 else np.diag(D[j][:, 0, 0])
            if j in dense_upd:
                blk = blk - dense_upd[j]
            M[o : o + dims[idx], o : o + dims[idx]] = blk
            for idx2, i in enumerate(range(m, j)):
                o2 = offs[idx2]
                M[o : o + dims[idx], o2 : o2 + dims[idx2]] = B[(j, i)].toarray()
            M[n_re:, o : o + dims[idx]] = E[j].reshape(dims[idx], p + 1).T
        M[n_re:, n_re:] = FF
        c, info = scipy.linalg.lapack.dpotrf(M, lower=1, clean=1, overwrite_a=1)
        if info != 0:
            return None
        diag = np.diagonal(c)
        if np.any(diag[:-1] <= 0):
            return None
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
        )

    def _factor_sparse(
        self,
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
        c, info = scipy.linalg.lapack.dpotrf(S, lower=1, clean=1)
        if info != 0:
            return None
        cd = np.diagonal(c)
        if np.any(cd[:-1] <= 0):
            return None
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
        n_re, p, m = f.n_dense_re, self.p, self.n_batched
        if f.sparse is not None:
            W, cS = f.sparse
            beta = scipy.linalg.solve_triangular(cS[:p, :p], cS[p, :p], lower=True, trans="T")
            x = W[:, p] - W[:, :p] @ beta
        else:
            c = f.dense_factor
            if c is None:  # keep=True always stores it; guard for type checkers
                raise RuntimeError("factorisation kept no dense factor")
            x = scipy.linalg.solve_triangular(c[:-1, :-1], c[-1, :-1], lower=True, trans="T")
            beta = x[n_re:]
        u: list[np.ndarray] = [np.empty(0)] * self.K
        off = 0
        for j in range(m, self.K):
            bj = self.blocks[j]
            u[j] = x[off : off + bj.q * bj.d].reshape(bj.q, bj.d)
            off += bj.q * bj.d
        for k in range(m - 1, -1, -1):
            bk = self.blocks[k]
            r = f.e[k][:, :, p] - f.e[k][:, :, :p] @ beta
            rf = r.reshape(-1)
            for j, Bjk in f.b[k].items():
                rf = rf - Bjk.T @ u[j].reshape(-1)
            r = rf.reshape(bk.q, bk.d)
            u[k] = np.einsum("qij,qj->qi", f.dinv[k], r)
        u0 = np.empty_like(u[0])
        u0[self.perm0] = u[0]
        u[0] = u0
        return f, beta, u

    def cond_var_u(
        self, f: Factorization, max_dim: int = 6000, chunk: int = 4096
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
            Lr = c[:n_re, :n_re]
            Linv = scipy.linalg.solve_triangular(Lr, np.eye(n_re), lower=True)
            Sigma = Linv.T @ Linv
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

        for k in range(m - 1, -1, -1):
            bk = self.blocks[k]
            Dinv = f.dinv[k]
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
                    for lo in range(0, bk.q, chunk * 16):
                        hi = min(bk.q, lo + chunk * 16)
                        npc = npair[lo:hi]
                        levs = np.repeat(np.arange(lo, hi), npc)
                        within = np.arange(int(npc.sum())) - np.repeat(np.cumsum(npc) - npc, npc)
                        e1 = order_[start_[levs] + within // cnt[levs]]
                        e2 = order_[start_[levs] + within % cnt[levs]]
                        vals = Gc.data[e1] * Sigma[Gc.row[e1], Gc.row[e2]] * Gc.data[e2]
                        tgt = (levs * d + Gc.col[e1] % d) * d + Gc.col[e2] % d
                        blocks.reshape(-1)[:] += np.bincount(
                            tgt, weights=vals, minlength=bk.q * d * d
                        )
                out[0] = np.empty_like(blocks)
                out[0][self.perm0] = blocks
        diag_blocks(Sigma, order)
        return out
