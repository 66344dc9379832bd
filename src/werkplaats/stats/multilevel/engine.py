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

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .errors import DesignTooLargeError

__all__ = ["ReBlock", "Engine"]

# Largest dense remainder (crossed random effects + fixed effects) accepted;
# a dense matrix of this order takes 8 * 12000^2 bytes = 1.1 GiB.
MAX_DENSE = 12000


@dataclass
class ReBlock:
    """One random-effects term as the engine sees it."""

    codes: np.ndarray  # (n,) level index of each row, 0..q-1
    Z: np.ndarray  # (n, d) the term's model-matrix columns
    q: int  # number of levels

    @property
    def d(self) -> int:
        return self.Z.shape[1]

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
        self.blocks = blocks
        self.n, self.p = X.shape
        F = np.column_stack([X, y])
        self.K = len(blocks)
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

        # Cross-products, computed once.
        self.A = [_grouped_cross(b.codes, b.Z, b.Z, b.q) for b in blocks]
        self.E0 = [_grouped_cross(b.codes, b.Z, F, b.q) for b in blocks]
        self.FF = F.T @ F
        # Off-diagonal blocks (j, i), j > i: pairs of levels that share rows.
        self.pairs: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for i in range(self.K):
            for j in range(i + 1, self.K):
                bi, bj = blocks[i], blocks[j]
                key = bj.codes * np.int64(bi.q) + bi.codes
                uniq, inv = np.unique(key, return_inverse=True)
                rows = uniq // bi.q
                cols = uniq % bi.q
                data = np.empty((uniq.size, bj.d, bi.d))
                for s in range(bj.d):
                    for t in range(bi.d):
                        data[:, s, t] = np.bincount(inv, weights=bj.Z[:, s] * bi.Z[:, t], minlength=uniq.size)
                indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=bj.q))])
                self.pairs[(j, i)] = (cols, indptr, data)
        self.n_batched = self._symbolic()
        dense_dim = sum(b.q * b.d for b in blocks[self.n_batched :]) + self.p + 1
        if dense_dim > MAX_DENSE:
            raise DesignTooLargeError(
                f"the crossed random effects need a dense matrix of order {dense_dim}, "
                f"more than the {MAX_DENSE} this engine handles; terms with many levels "
                "that are crossed (not nested) with the largest factor cannot be fitted here"
            )

    # ------------------------------------------------------------------
    def _symbolic(self) -> int:
        """Number of leading terms that stay block-diagonal during elimination.

        Works on level-incidence patterns with positive entries, so no
        numerical cancellation can hide a fill-in.
        """
        pat: dict[tuple[int, int], sp.csr_matrix] = {}
        for (j, i), (cols, indptr, data) in self.pairs.items():
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
                    fill = pat[(a, k)] @ pat[(b, k)].T
                    if a == b:
                        off = fill.tocoo()
                        if np.any(off.row != off.col):
                            diag_ok[a] = False
                    else:
                        pat[(a, b)] = (pat[(a, b)] + fill).tocsr()
        return m

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
        # Scaled diagonal blocks Lambda' A Lambda + I and E = Lambda' Z'F.
        D = []
        E = []
        for k in range(K):
            L = lam[k]
            if L.shape[0] == 1:
                D.append(self.A[k] * (L[0, 0] ** 2) + 1.0)
                E.append(self.E0[k] * L[0, 0])
            else:
                Dk = np.einsum("ji,qjk,kl->qil", L, self.A[k], L, optimize=True)
                Dk += np.eye(L.shape[0])
                D.append(Dk)
                E.append(np.einsum("ji,qja->qia", L, self.E0[k], optimize=True))
        B: dict[tuple[int, int], sp.csr_matrix] = {}
        for (j, i), (cols, indptr, data) in self.pairs.items():
            Lj, Li = lam[j], lam[i]
            bj, bi = self.blocks[j], self.blocks[i]
            if Lj.shape[0] == 1 and Li.shape[0] == 1:
                B[(j, i)] = sp.csr_matrix(
                    (data[:, 0, 0] * (Lj[0, 0] * Li[0, 0]), cols, indptr), shape=(bj.q, bi.q)
                )
            else:
                sd = np.einsum("ba,pbc,cd->pad", Lj, data, Li, optimize=True)
                B[(j, i)] = sp.bsr_matrix(
                    (sd, cols, indptr), shape=(bj.q * bj.d, bi.q * bi.d)
                ).tocsr()
        FF = self.FF.copy()
        dense_upd: dict[int, np.ndarray] = {}
        logdet_re = 0.0
        keep_dinv, keep_e, keep_b = [], [], []

        for k in range(m):
            bk = self.blocks[k]
            Dinv, ld = _batched_inv_logdet(D[k])
            logdet_re += ld
            W = np.einsum("qij,qja->qia", Dinv, E[k], optimize=True)
            FF -= np.einsum("qia,qib->ab", E[k], W, optimize=True)
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
                            Ud = U.toarray()
                            dense_upd[a] = Ud if prev is None else prev + Ud
                    else:
                        B[(a, b)] = (B[(a, b)] - U).tocsr()

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
            return f.logdet_re + f.logdet_x + nmp * (1.0 + np.log(2.0 * np.pi * f.pwrss / nmp))
        return f.logdet_re + n * (1.0 + np.log(2.0 * np.pi * f.pwrss / n))

    # ------------------------------------------------------------------
    def solve(self, theta: np.ndarray) -> tuple[Factorization, np.ndarray, list[np.ndarray]]:
        """Factorise and return (factorization, beta, u per term as (q, d))."""
        f = self.factor(theta, keep=True)
        if f is None:
            raise np.linalg.LinAlgError("the penalised system is not positive definite")
        c = f.dense_factor
        assert c is not None  # keep=True always stores it (internal invariant)
        n_re, p, m = f.n_dense_re, self.p, self.n_batched
        Lsys = c[:-1, :-1]
        rhs = c[-1, :-1]
        x = scipy.linalg.solve_triangular(Lsys, rhs, lower=True, trans="T")
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
        return f, beta, u

    def cond_var_u(self, f: Factorization, max_dim: int = 6000, chunk: int = 4096) -> list[np.ndarray] | None:
        """Diagonal blocks of (Lambda'Z'Z Lambda + I)^-1, one (q, d, d) array per term.

        The inverse of everything after the first term is formed densely,
        so this is only done when that part has at most ``max_dim`` rows;
        ``None`` otherwise.
        """
        K, m = self.K, self.n_batched
        later_dim = sum(b.q * b.d for b in self.blocks[1:])
        if later_dim > max_dim:
            return None
        c = f.dense_factor
        assert c is not None
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
                    d = bk.d
                    for start in range(0, bk.q, chunk):
                        stop = min(bk.q, start + chunk)
                        cols = slice(start * d, stop * d)
                        Gc = G[:, cols]
                        H = np.asarray((Gc.T @ Sigma).T)
                        for s in range(d):
                            Gs = Gc[:, s::d]
                            for t in range(d):
                                blocks[start:stop, s, t] += np.asarray(
                                    Gs.multiply(H[:, t::d]).sum(axis=0)
                                ).ravel()
                out[0] = blocks
        diag_blocks(Sigma, order)
        return out
