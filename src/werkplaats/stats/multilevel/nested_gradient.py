"""The exact gradient of the profiled (RE)ML criterion on the nested path.

The path: a first term of any dimension d0 (``(time | client)``) that every later
term nests, followed by a chain of scalar nested terms (professionals in teams),
eliminated by ``FirstTerm._eliminate_first_nested`` and ``NestedChain._factor_chain``.

With A = P'BP + J, P = diag(Lambda, I), B = [Z X]'[Z X], J = diag(I, 0) (REML: A
holds X; ML: only the random-effects part Omega = Lambda'Z'Z Lambda + I), the
criterion is

    ML:   log|Omega| + n (1 + log(2 pi r^2 / n))
    REML: log|A| + (n - p) (1 + log(2 pi r^2 / (n - p)))

and for theta_m an entry of Lambda (Lambda_m = dLambda/dtheta_m)

    d log|A|   = 2 tr(A^-1 P'B P_m),      P_m = diag(Lambda_m, 0)
    d r^2      = -2 e'Z Lambda_m u        (envelope theorem; e the residuals,
                                           u the spherical modes)

so the gradient is d log|A| + (n or n - p) / r^2 d r^2.

*First term* (entry (r, s) of Lambda_0, levels g): P'B P_m only has the columns of
the levels' component s, equal to P'B's columns of component r, so
tr(A^-1 P'B P_m) = sum_g (T_g)_sr with T_g = (A^-1)_{g,.} (P'B)_{.,g}.  Writing
D_g = Lambda_0'A_g Lambda_0 + I (A_g = Z_g'Z_g), M_g = Lambda_0 D_g^-1 Lambda_0' and
Q_g = R_g Sigma R_g', where R_g = Z_g'[Z_rest Lambda_rest, X] is the level's
coupling to the rest (its professional, its team and X) and Sigma the inverse of
the rest after the first term's elimination, on those entries, the block inverse
gives

    T_g = D_g^-1 Lambda_0' [A_g - Q_g (I - M_g A_g)],

which needs no inverse of Lambda_0 (a boundary fit, a diagonal entry at 0, is no
special case).  Likewise Z_g'e = Z_g'(y - X beta) - A_g b_g - sum_j Z_g'Z_j b_j with
b = Lambda u, and d r^2 = -2 sum_g (Z_g'e)_r u_gs.

*Chain terms* (scalar, Lambda_k = lambda_k I, levels h): with Lambda_k^-1 Lambda_m =
I / lambda_k, d log|A| = 2 (q_k - sum_h (A^-1)_hh) / lambda_k and d r^2 =
-2 sum_h u_h^2 / lambda_k (Z_h'e = u_h / lambda_k).  The criterion depends on
lambda_k only through lambda_k^2, so at lambda_k = 0 both are 0.

*Sigma* (the rest's inverse on the entries the elimination touches) comes from
the chain's own factor by Takahashi's recurrence, Z = D^-1 L^-1 + (I - L')Z for
the unit lower factor L, from the last term back to the first: a level h of term k
with unit-lower entries l_i towards its ancestors a_i (its level in each later
term, and X) gets

    Z(a_j, h) = -sum_i Z(a_j, a_i) l_i,      Z(h, h) = 1/d_h - sum_i l_i Z(a_i, h),

vectorised over the levels of k with gathers of the ancestors' entries, computed
just before.  Nothing of the size of the rest is formed (2,345 columns at
1,000,000 rows), so a gradient costs about two evaluations of the criterion.
Checked against central differences in the tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

if TYPE_CHECKING:
    from .engine import Engine

__all__ = ["applies", "nested_objective_gradient"]


def applies(eng: Engine) -> bool:
    """True when the engine eliminates its terms on the nested path (first term nested
    in every later one, the later ones a scalar nested chain, or no later term)."""
    if eng.sparse or not eng.first_nested or eng.n_batched != eng.K:
        return False
    return eng.K == 1 or eng._chain is not None


def nested_objective_gradient(
    eng: Engine, theta: np.ndarray, reml: bool
) -> tuple[float, np.ndarray]:
    """Criterion and its gradient in theta (see the module docstring)."""
    theta = np.asarray(theta, dtype=float)
    rec: dict[str, Any] = {}
    fct = eng.factor(theta, rec=rec)
    if fct is None:
        return np.inf, np.full(theta.size, np.nan)
    value = eng.criterion(fct, reml)
    lam: list[np.ndarray] = rec["lam"]
    K, p = eng.K, eng.p
    c = rec["ff"]
    q0 = eng.blocks[0].q
    chain: list[tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]] = rec["chain"]
    pwrss = float(c[p, p] ** 2)
    beta = (
        scipy.linalg.solve_triangular(c[:p, :p], c[p, :p], lower=True, trans="T")
        if p
        else np.zeros(0)
    )
    with_x = reml and p > 0
    Zxx = np.zeros((p, p))
    if with_x:
        Li = scipy.linalg.solve_triangular(c[:p, :p], np.eye(p), lower=True)
        Zxx = Li.T @ Li
    up = eng._chain["row"] if eng._chain is not None else {}

    # Chain terms, last to first: modes (back-substitution) and the selected inverse.
    u: dict[int, np.ndarray] = {}
    Zs: dict[int, np.ndarray] = {}  # Z(h, h)
    Za: dict[tuple[int, int], np.ndarray] = {}  # Z(level of j, h), j > k
    Zx: dict[int, np.ndarray] = {}  # Z(X, h): (q_k, p)
    for k in range(K - 1, 0, -1):
        dk, ek, bk = chain[k - 1]
        later = list(range(k + 1, K))
        anc = {j: up[(j, k)] for j in later}
        r = ek[:, p] - ek[:, :p] @ beta
        for j in later:
            r = r - bk[j] * u[j][anc[j]]
        u[k] = r / dk
        lj = {j: bk[j] / dk for j in later}
        Zs[k], Za_k, Zx[k] = _takahashi(
            anc, lj, ek[:, :p] / dk[:, None] if with_x else None, dk, Zs, Za, Zx, Zxx, later
        )
        Za.update({(j, k): v for j, v in Za_k.items()})

    # First term, component-major (one vector over the levels per matrix entry):
    # D_g^-1 and M_g from the elimination, the modes and Z_g'e.
    b0 = eng.blocks[0]
    d0 = b0.d
    L0 = lam[0]
    Dinv = rec["dinv0"]  # (d0, d0, q0)
    M0 = rec["m0"]
    A0 = eng.A0  # (d0, d0, q0)
    E00 = eng.E00  # (d0, p+1, q0)
    later = list(range(1, K))
    anc0 = {j: eng.first_level_of[j] for j in later}
    raw = {j: eng.first_raw[j][0] for j in later}  # Z_g'Z_j: (d0, q0)
    bj = {j: (u[j] * float(lam[j][0, 0]))[anc0[j]] for j in later}
    v = []  # Z_g'(y - X beta - sum_j Z_j b_j)
    for s in range(d0):
        vs = E00[s, p] - beta @ E00[s, :p] if p else E00[s, p].copy()
        for j in later:
            vs -= raw[j][s] * bj[j]
        v.append(vs)
    lv = [sum(float(L0[r, t]) * v[r] for r in range(t, d0)) for t in range(d0)]  # L0' v
    u0 = [sum(Dinv[s, t] * lv[t] for t in range(d0)) for s in range(d0)]
    bv = [sum(float(L0[s, t]) * u0[t] for t in range(s + 1)) for s in range(d0)]  # L0 u
    ze = [v[s] - sum(A0[s, t] * bv[t] for t in range(d0)) for s in range(d0)]

    # Q_g = W_g Sigma_g W_g' with W_g = [Z_g'Z_j lambda_j ..., Z_g'X]: the lambdas are
    # folded into the (level-sized) Sigma entries before they are gathered, the
    # X-X part (Sigma constant) is one BLAS product per column of the first term.
    lamv = {j: float(lam[j][0, 0]) for j in later}
    sig = {(a, b): _entry(a, b, anc0, Zs, Za, lamv[a] * lamv[b]) for a in later for b in later}
    SR = {(a, t): sum(sig[(a, b)] * raw[b][t] for b in later) for a in later for t in range(d0)}
    EX = E00[:, :p, :]  # Z_g'X: (d0, p, q0)
    if with_x:
        zxe = {}
        for a in later:
            zxg = (np.ascontiguousarray(Zx[a].T) * lamv[a])[:, anc0[a]]  # (p, q0)
            for t in range(d0):
                zxe[(a, t)] = np.einsum("pq,pq->q", zxg, EX[t])
        XX = [Zxx @ EX[t] for t in range(d0)]
    Q: list[list[Any]] = [[None] * d0 for _ in range(d0)]
    for s in range(d0):
        for t in range(s, d0):
            qst = np.zeros(q0)
            for a in later:
                qst += raw[a][s] * SR[(a, t)]
                if with_x:
                    qst += raw[a][s] * zxe[(a, t)]
                    qst += raw[a][t] * zxe[(a, s)]
            if with_x:
                qst += np.einsum("pq,pq->q", EX[s], XX[t])
            Q[s][t] = Q[t][s] = qst
    # T_g = D_g^-1 L0' [A_g - Q_g (I - M_g A_g)]; only sum_g T_g is needed.
    Nm = [
        [(1.0 if s == t else 0.0) - sum(M0[s][k] * A0[k, t] for k in range(d0)) for t in range(d0)]
        for s in range(d0)
    ]
    R = [
        [A0[r, t] - sum(Q[r][k] * Nm[k][t] for k in range(d0)) for t in range(d0)]
        for r in range(d0)
    ]
    S = [
        [sum(float(L0[r, k]) * R[r][t] for r in range(k, d0)) for t in range(d0)] for k in range(d0)
    ]
    Tsum = np.array(
        [
            [sum(float(Dinv[s, k] @ S[k][t]) for k in range(d0)) for t in range(d0)]
            for s in range(d0)
        ]
    )
    N = (eng.n - p) if reml else eng.n
    grad = np.zeros(theta.size)
    rows, cols_ = eng._tri[0]
    sl0 = eng.theta_slices[0]
    for i, (rr, ss) in enumerate(zip(rows, cols_)):
        dlog = 2.0 * Tsum[ss, rr]
        dr2 = -2.0 * float(ze[rr] @ u0[ss])
        grad[sl0.start + i] = dlog + N / pwrss * dr2
    for k in later:
        lk = float(lam[k][0, 0])
        if lk == 0.0:
            continue
        dlog = 2.0 * (float(np.sum(1.0 - Zs[k]))) / lk
        dr2 = -2.0 * float(u[k] @ u[k]) / lk
        grad[eng.theta_slices[k].start] = dlog + N / pwrss * dr2
    return value, grad


def _entry(
    a: int,
    b: int,
    anc: dict[int, np.ndarray],
    Zs: dict[int, np.ndarray],
    Za: dict[tuple[int, int], np.ndarray],
    scale: float = 1.0,
) -> np.ndarray:
    """``scale`` Z(a's level, b's level) of each level whose ancestors are ``anc`` (gathered)."""
    if a == b:
        src = Zs[a]
        at = anc[a]
    else:
        lo, hi = min(a, b), max(a, b)
        src = Za[(hi, lo)]
        at = anc[lo]
    out: np.ndarray = (src * scale)[at] if scale != 1.0 else src[at]
    return out


def _takahashi(
    anc: dict[int, np.ndarray],
    lj: dict[int, np.ndarray],
    lx: np.ndarray | None,
    dk: np.ndarray,
    Zs: dict[int, np.ndarray],
    Za: dict[tuple[int, int], np.ndarray],
    Zx: dict[int, np.ndarray],
    Zxx: np.ndarray,
    later: list[int],
) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """One term's entries of the inverse: Z(h, h), Z(ancestor in j, h), Z(X, h)."""
    za: dict[int, np.ndarray] = {}
    for j in later:
        acc = np.zeros(dk.size)
        for i in later:
            acc += _entry(j, i, anc, Zs, Za) * lj[i]
        if lx is not None:
            acc += np.einsum("qp,qp->q", Zx[j][anc[j]], lx)
        za[j] = -acc
    zx = np.zeros((dk.size, Zxx.shape[0]))
    if lx is not None:
        zx = -(lx @ Zxx)
        for i in later:
            zx -= Zx[i][anc[i]] * lj[i][:, None]
    zs = 1.0 / dk
    for i in later:
        zs = zs - lj[i] * za[i]
    if lx is not None:
        zs = zs - np.einsum("qp,qp->q", lx, zx)
    return zs, za, zx
