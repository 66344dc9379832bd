"""One PIRLS step for the common GLMM designs, without the general blocked engine.

Most GLMMs in practice have one large random-effects term (clients, subjects,
herds: possibly with a random slope) and a few small scalar terms (items,
professionals, teams, crossed or nested).  For those the penalised system

    M = Lambda'Z'WZ Lambda + I    (and, for nAGQ = 0, bordered by the X columns)

is solved here by eliminating the large term's diagonal blocks (one d0 x d0
block per level, inverted in a batch) and factorising the Schur complement of
the rest, a dense matrix of the small terms' levels (and X), with LAPACK.
Everything that depends on the rows is a few ``bincount`` passes per step
with index structures found once, instead of the engine's many small
operations; the result (conditional
modes, log|L|^2) is the same to rounding.  ``SchurSystem.eligible`` says when
the design fits; otherwise :class:`.engine.Engine` is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .blocks import ReBlock, _batched_inv_logdet

__all__ = ["SchurSystem", "SchurSolution"]

# The dense part (levels of the small terms, plus X) is factorised with LAPACK:
# above this order a dense Cholesky per PIRLS step costs more than the engine.
REST_MAX = 1500
# Pairs of (large-term level, small-term level) sharing a large-term level: the
# fill of the Schur complement.  Above this count the engine is used.
TRIPLES_MAX = 4_000_000


def _gsum(codes: np.ndarray, q: int, rows: list[np.ndarray]) -> np.ndarray:
    """Sums by group (``codes`` in 0..q-1) of several vectors: ``rows`` are (n,) or
    (m, n) arrays; returns (q x total m).

    One ``bincount`` per vector: stacking the vectors as columns of an (n x m) array
    for one sparse product is a strided copy that cost more than the sums
    themselves at 200,000 rows.
    """
    vecs = [v for r in rows for v in ([r] if r.ndim == 1 else list(r))]
    out = np.empty((q, len(vecs)))
    for j, v in enumerate(vecs):
        out[:, j] = np.bincount(codes, weights=v, minlength=q)
    return out


def _indicator(codes: np.ndarray, m: int) -> sp.csr_matrix:
    """The (m x n) 0/1 matrix that sums rows by code."""
    n = codes.size
    return sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(m, n))


def bmv(M: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Batched matrix-vector products M[i] @ x[i] for small d (a loop over d, not einsum,
    whose per-element overhead dominates for d = 1 or 2)."""
    out: np.ndarray = M[:, :, 0] * x[:, 0:1]
    for t in range(1, M.shape[2]):
        out = out + M[:, :, t] * x[:, t : t + 1]
    return out


def rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot products of two (m, d) arrays for small d."""
    out: np.ndarray = a[:, 0] * b[:, 0]
    for t in range(1, a.shape[1]):
        out = out + a[:, t] * b[:, t]
    return out


@dataclass
class SchurSolution:
    """The solution of one step: modes per term (original level order), beta, log|L|^2."""

    u: list[np.ndarray]
    beta: np.ndarray | None
    logdet: float
    d0: np.ndarray  # the large term's diagonal blocks of M, (q0, d0, d0)


@dataclass
class Factored:
    """The factorisation of M at the last (u-only) step."""

    v0: np.ndarray  # (n, d0) rows of Z Lambda for term 0
    a: list[np.ndarray]  # (n,) rows of Z Lambda for each small term
    w: np.ndarray
    Dinv: np.ndarray  # (q0, d0, d0)
    C: np.ndarray  # (pairs, d0)
    Cf: np.ndarray | None  # dense pair block (q0 d0, R), crossed designs
    GC: np.ndarray | None  # D^-1 C per pair, nested designs
    cf: np.ndarray  # lower Cholesky factor of the Schur complement S


class SchurSystem:
    """Index structures of the two-part elimination for fixed data (see the module)."""

    @staticmethod
    def eligible(blocks: list[ReBlock]) -> bool:
        if len(blocks) < 2 or any(b.d != 1 for b in blocks[1:]):
            return False
        if sum(b.q for b in blocks[1:]) > REST_MAX:
            return False
        return True

    def __init__(self, blocks: list[ReBlock], X: np.ndarray) -> None:
        self.blocks = blocks
        b0 = blocks[0]
        self.n = b0.codes.size
        self.q0, self.d0 = b0.q, b0.d
        self.X = X
        self.p = X.shape[1]
        self.rest = blocks[1:]
        self.offs = np.concatenate([[0], np.cumsum([b.q for b in self.rest])]).astype(np.int64)
        self.R = int(self.offs[-1])
        self.XT = np.ascontiguousarray(X.T)
        # Pairs (level of term 0, level of a small term) that share rows.
        pair_a, pair_r = [], []
        self.pair_of_row: list[np.ndarray] = []
        for k, b in enumerate(self.rest):
            key = b0.codes * np.int64(b.q) + b.codes
            uniq, inv = np.unique(key, return_inverse=True)
            pair_a.append(uniq // b.q)
            pair_r.append(self.offs[k] + uniq % b.q)
            self.pair_of_row.append(inv.reshape(-1))
        self.pair_start = [0, *np.cumsum([x.size for x in pair_a]).tolist()]
        self.pa = np.concatenate(pair_a)
        self.pr = np.concatenate(pair_r)
        npairs = self.pa.size
        # Pairs grouped by term-0 level: every two of them sharing a level give
        # fill at (r_alpha, r_beta) of the Schur complement.
        order = np.argsort(self.pa, kind="stable")
        cnt = np.bincount(self.pa, minlength=self.q0)
        nc = cnt * cnt
        total = int(nc.sum())
        self._npairs = npairs
        self.Rind = _indicator(self.pr, self.R)
        self.Aind = _indicator(self.pa, self.q0)
        # Small-term pairs within a row (k < l): their cross-products.
        self.rr = [
            (k, j, (self.offs[k] + self.rest[k].codes) * self.R + self.offs[j] + self.rest[j].codes)
            for k in range(len(self.rest))
            for j in range(k + 1, len(self.rest))
        ]
        # Crossed designs (every large-term level meets many small-term levels):
        # the pair block as a dense (q0 d0 x R) matrix and BLAS products.  Nested
        # designs: a list of pairs sharing a large-term level ("triples").
        self.dense = self.q0 * self.d0 * self.R <= 2 * total
        self.ok = self.dense or total <= TRIPLES_MAX
        starts = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        self._grouped = (order, starts, cnt)
        self._row_pairs: tuple[np.ndarray, ...] | None = None
        if not self.ok or self.dense:
            return
        lev = np.repeat(np.arange(self.q0), nc)
        within = np.arange(total) - np.repeat(np.cumsum(nc) - nc, nc)
        self.ta = order[starts[lev] + within // cnt[lev]]
        self.tb = order[starts[lev] + within % cnt[lev]]
        self.tflat = self.pr[self.ta] * self.R + self.pr[self.tb]

    # ------------------------------------------------------------------
    def solve(
        self, lam: list[np.ndarray], w: np.ndarray, target: np.ndarray, with_x: bool
    ) -> SchurSolution | None:
        """Solve M [u; beta] = [Lambda'Z'; X'] W target; ``None`` if not positive definite.

        ``target`` is the working response without the offset (and without
        X beta when ``with_x`` is False, in which case beta is not estimated).
        """
        b0 = self.blocks[0]
        d0, q0, R, p = self.d0, self.q0, self.R, self.p
        pe = p if with_x else 0
        v0 = b0.Z @ lam[0]  # rows of Z Lambda for term 0, (n, d0)
        wv = v0 * w[:, None]
        # Per term-0 level: the d0 x d0 block, the right-hand side and the X columns.
        cols = [wv[:, s] * v0[:, t] for s in range(d0) for t in range(s, d0)]
        cols += [wv[:, s] * target for s in range(d0)]
        if with_x:
            cols += [self.XT * wv[:, s] for s in range(d0)]
        sums = _gsum(b0.codes, q0, cols)
        D = np.empty((q0, d0, d0))
        c = 0
        for s in range(d0):
            for t in range(s, d0):
                D[:, s, t] = sums[:, c]
                D[:, t, s] = sums[:, c]
                c += 1
            D[:, s, s] += 1.0
        rhs0 = sums[:, c : c + d0]
        c += d0
        CX = sums[:, c:].reshape(q0, d0, pe) if with_x else np.zeros((q0, d0, 0))
        Dinv, logdet = _batched_inv_logdet(D)
        # Small terms: their rows of Z Lambda are theta_k z_k.
        a = [float(lam[k + 1][0, 0]) * blk.Z[:, 0] for k, blk in enumerate(self.rest)]
        T = R + pe
        S = np.zeros((T, T))
        rhs = np.zeros(T)
        C = np.empty((self._npairs, d0))
        for k, blk in enumerate(self.rest):
            wa = w * a[k]
            o, qk = int(self.offs[k]), blk.q
            colk = [wa * a[k], wa * target] + ([self.XT * wa] if with_x else [])
            sk = _gsum(blk.codes, qk, colk)
            idx = np.arange(o, o + qk)
            S[idx, idx] = sk[:, 0]
            rhs[o : o + qk] = sk[:, 1]
            if with_x:
                S[o : o + qk, R:] = sk[:, 2:]
            lo, hi = self.pair_start[k], self.pair_start[k + 1]
            C[lo:hi] = _gsum(self.pair_of_row[k], hi - lo, [wv[:, s] * a[k] for s in range(d0)])
        for k, l_, flat in self.rr:
            vals = np.bincount(flat, weights=w * a[k] * a[l_], minlength=R * R).reshape(R, R)
            S[:R, :R] += vals + vals.T
        S[np.arange(R), np.arange(R)] += 1.0
        if with_x:
            S[R:, R:] = self.X.T @ (self.X * w[:, None])
            rhs[R:] = self.X.T @ (w * target)
        # Eliminate term 0: S -= C' D^-1 C, rhs -= C' D^-1 rhs0.
        g0 = bmv(Dinv, rhs0)
        GX = np.matmul(Dinv, CX) if with_x else CX
        if self.dense:
            Cd = np.zeros((q0, R, d0))
            Cd[self.pa, self.pr] = C
            Cd = np.ascontiguousarray(Cd.transpose(0, 2, 1))  # (q0, d0, R)
            GCd = np.einsum("qst,qtr->qsr", Dinv, Cd) if d0 > 1 else Cd * Dinv
            Cf = Cd.reshape(q0 * d0, R)
            S[:R, :R] -= Cf.T @ GCd.reshape(q0 * d0, R)
            rhs[:R] -= Cf.T @ g0.reshape(-1)
            if with_x:
                S[:R, R:] -= Cf.T @ GX.reshape(q0 * d0, pe)
        else:
            GC = bmv(Dinv[self.pa], C) if d0 > 1 else C * Dinv[self.pa, 0]
            fill = rowdot(C[self.ta], GC[self.tb])
            S[:R, :R] -= np.bincount(self.tflat, weights=fill, minlength=R * R).reshape(R, R)
            rhs[:R] -= self.Rind @ rowdot(C, g0[self.pa])
            if with_x:
                S[:R, R:] -= self.Rind @ sum(C[:, s, None] * GX[self.pa, s] for s in range(d0))
        if with_x:
            S[R:, R:] -= CX.reshape(-1, pe).T @ GX.reshape(-1, pe)
            S[R:, :R] = S[:R, R:].T
            rhs[R:] -= CX.reshape(-1, pe).T @ g0.reshape(-1)
        try:
            cf, info = scipy.linalg.lapack.dpotrf(S, lower=1, clean=1, overwrite_a=1)
        except ValueError:
            return None
        if info != 0:
            return None
        diag = np.diagonal(cf)
        if np.any(diag <= 0):
            return None
        logdet += 2.0 * float(np.sum(np.log(diag[:R])))
        x = scipy.linalg.cho_solve((cf, True), rhs, check_finite=False)
        xr = x[:R]
        beta = x[R:] if with_x else None
        # Back-substitute term 0: u0 = D^-1 (rhs0 - C x_R - CX beta).
        if self.dense:
            cx = (Cf @ xr).reshape(q0, d0)
        else:
            cx = np.column_stack([self.Aind @ (C[:, s] * xr[self.pr]) for s in range(d0)])
        u0 = g0 - bmv(Dinv, cx)
        if with_x and beta is not None:
            u0 -= GX @ beta
        nr = len(self.rest)
        u = [u0] + [xr[int(self.offs[k]) : int(self.offs[k + 1])][:, None] for k in range(nr)]
        if not with_x:
            # Kept for the gradient of the Laplace deviance (laplace_gradient.py).
            self.state = Factored(
                v0, a, w, Dinv, C, Cf if self.dense else None, None if self.dense else GC, cf
            )
        return SchurSolution(u, beta, logdet, D)

    def row_pairs(self) -> tuple[np.ndarray, ...]:
        """Per row, the pairs of its term-0 level: (row, pair, term of the pair) per
        entry, and the entries of the same row two by two (for the leverages)."""
        if self._row_pairs is None:
            order, starts, cnt = self._grouped
            c0 = self.blocks[0].codes
            m = cnt[c0]
            E = int(m.sum())
            row = np.repeat(np.arange(self.n), m)
            first = np.cumsum(m) - m
            within = np.arange(E) - first[row]
            pair = order[starts[c0[row]] + within]
            term = np.searchsorted(np.asarray(self.pair_start[1:]), pair, side="right")
            m2 = m * m
            trow = np.repeat(np.arange(self.n), m2)
            w2 = np.arange(int(m2.sum())) - (np.cumsum(m2) - m2)[trow]
            e1 = first[trow] + w2 // m[trow]
            e2 = first[trow] + w2 % m[trow]
            self._row_pairs = (row, pair, term, e1, e2)
        return self._row_pairs

    def msolve(self, b0: np.ndarray, bR: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """M^-1 [b0; bR] with the last factorisation (b0: (q0, d0), bR: (R,))."""
        f = self.state
        q0, d0 = self.q0, self.d0
        g0 = bmv(f.Dinv, b0)
        if f.Cf is not None:
            r = bR - f.Cf.T @ g0.reshape(-1)
        else:
            r = bR - self.Rind @ rowdot(f.C, g0[self.pa])
        xr = scipy.linalg.cho_solve((f.cf, True), r, check_finite=False)
        if f.Cf is not None:
            t = (f.Cf @ xr).reshape(q0, d0)
        else:
            t = np.column_stack([self.Aind @ (f.C[:, s] * xr[self.pr]) for s in range(d0)])
        return g0 - bmv(f.Dinv, t), xr
