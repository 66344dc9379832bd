"""Penalised iteratively reweighted least squares and the GLMM deviance.

As in lme4 (Bates et al. 2015, section 5 of the lme4 GLMM vignette), for
given relative covariance parameters theta the conditional modes u of the
spherical random effects solve a penalised weighted least-squares problem
that is iterated to convergence (PIRLS).  The Laplace approximation of
-2 log-likelihood is then

    -2 log p(y | u) + |u|^2 + log|L|^2,   L L' = Lambda'Z'WZ Lambda + I,

with W the GLM working weights at the conditional mode.  For ``nAGQ = 0``
the fixed effects are found in the same iteration (jointly with u); for
``nAGQ >= 1`` they are parameters of the outer optimisation, as in lme4.

Each PIRLS step is one evaluation of the blocked factorisation of
:mod:`.engine` after :meth:`Engine.reweight`: the structure of the system is
computed once.  For a single scalar random-effects term the system is
diagonal and is solved directly (per group), which is also where adaptive
Gauss-Hermite quadrature applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.special

from .engine import Engine, Factorization, ReBlock
from .families import Family
from .pirls_schur import SchurSystem

__all__ = ["GlmmProblem", "PirlsState", "gauss_hermite"]

# Convergence: the penalised deviance changes by less than PIRLS_TOL (relative) and no
# conditional mode moves by more than PIRLS_STEP.  The step criterion matters for
# non-canonical links (probit, cloglog), where the iteration converges only linearly:
# a mode that is off by 1e-5 shifts log|L| by about as much, which is noise a
# finite-difference Hessian with steps of 1e-4 cannot absorb.
PIRLS_TOL = 1e-12
PIRLS_STEP = 1e-11
PIRLS_MAXIT = 300
# Where the deviance only guides a start (glmer's stage 1 when the exact gradient
# follows), 1e-9 of the deviance is far below the optimiser's resolution.
LOOSE_TOL = 1e-9
LOOSE_STEP = 1e-6


def gauss_hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the n-point Gauss-Hermite rule for a standard normal
    (weights sum to 1), as lme4's ``GHrule``."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return z, w / w.sum()


@dataclass
class PirlsState:
    """Conditional modes and what goes with them, at one (theta, beta)."""

    u: list[np.ndarray]  # per term, (q, d), levels in the order of the design
    beta: np.ndarray
    eta: np.ndarray
    mu: np.ndarray
    logdet: float
    objective: float  # Laplace (or AGQ) -2 log-likelihood
    factor: Factorization | None  # engine factorisation (None on the scalar path)
    diag: np.ndarray | None  # scalar path: diagonal of L L' per group
    iterations: int
    converged: bool


class GlmmProblem:
    """The data of a GLMM and its deviance as a function of (theta, beta)."""

    def __init__(
        self,
        family: Family,
        blocks: list[ReBlock],
        X: np.ndarray,
        y: np.ndarray,
        trials: np.ndarray,
        pw: np.ndarray,
        offset: np.ndarray,
    ) -> None:
        self.family = family
        self.blocks = blocks
        self.X = X
        self.y = y
        self.trials = trials
        self.pw = pw
        self.wt = trials * pw  # the GLM prior weights
        self.offset = offset
        self.n, self.p = X.shape
        self.scalar = len(blocks) == 1 and blocks[0].d == 1
        # Two engines share nothing but the data: one with the fixed-effect
        # columns (nAGQ = 0, and R_X for the Wald covariance), one without
        # (the u-only system of the Laplace approximation with beta given).
        self.full = Engine(blocks, X, y)
        self.reonly = None if self.scalar else Engine(blocks, np.zeros((self.n, 0)), y)
        # The common designs (one large term, small scalar terms) take a direct
        # two-part elimination per step (pirls_schur.py); the engine factorises
        # the final state for the conditional variances.
        schur = None if self.scalar or not SchurSystem.eligible(blocks) else SchurSystem(blocks, X)
        self.schur = schur if schur is not None and schur.ok else None
        self.lower = self.full.lower
        self.n_theta = self.full.n_theta
        self._u_start: list[np.ndarray] | None = None
        self._beta_start: np.ndarray | None = None
        # The parts of -2 log p(y | mu) that do not depend on mu, computed once.
        if family.name == "binomial":
            m = np.round(trials)
            self._k = np.round(trials * y)
            self._fail = m - self._k
            self._const = np.where(
                m > 0, family.neg2ll(y, np.full(self.n, 0.5), trials, pw), 0.0
            ) + np.where(m > 0, 2.0 * pw * m * np.log(0.5), 0.0)
            self._pw2 = -2.0 * np.where(m > 0, pw, 0.0)
        else:
            self._const = (
                family.neg2ll(y, np.ones(self.n), trials, pw) - 2.0 * pw
            )  # -2 pw (-lgamma(y+1))
            self._pw2 = -2.0 * pw

    def n2ll(self, mu: np.ndarray) -> np.ndarray:
        """-2 log p(y_i | mu_i) per observation (as Family.neg2ll, with its constants cached)."""
        if self.family.name == "binomial":
            return cast(
                "np.ndarray",
                self._const
                + self._pw2
                * (scipy.special.xlogy(self._k, mu) + scipy.special.xlog1py(self._fail, -mu)),
            )
        return cast("np.ndarray", self._const + self._pw2 * (scipy.special.xlogy(self.y, mu) - mu))

    # ------------------------------------------------------------------
    def lambdas(self, theta: np.ndarray) -> list[np.ndarray]:
        return self.full.lambdas(theta)

    def _zlu(self, lam: list[np.ndarray], u: list[np.ndarray]) -> np.ndarray:
        out = np.zeros(self.n)
        for blk, L, uk in zip(self.blocks, lam, u):
            b = uk @ L.T
            out += (
                np.sum(blk.Z * b[blk.codes], axis=1) if blk.d > 1 else blk.Z[:, 0] * b[blk.codes, 0]
            )
        return out

    def _pdev(self, mu: np.ndarray, u: list[np.ndarray]) -> float:
        return float(np.sum(self.n2ll(mu)) + sum(float(np.sum(x * x)) for x in u))

    def zero_u(self) -> list[np.ndarray]:
        return [np.zeros((b.q, b.d)) for b in self.blocks]

    # ------------------------------------------------------------------
    def pirls(
        self,
        theta: np.ndarray,
        beta: np.ndarray | None,
        u0: list[np.ndarray] | None = None,
        loose: bool = False,
    ) -> PirlsState:
        """Conditional modes at theta; beta given (``nAGQ >= 1``) or found jointly (``beta=None``)."""
        fam = self.family
        joint = beta is None
        lam = self.lambdas(theta)
        if u0 is None:
            u0 = self._u_start if self._u_start is not None else self.zero_u()
        u = [x.copy() for x in u0]
        if joint:
            # Start from the GLM working response of R's initialize (lme4's nAGQ = 0 start)
            # unless warm-started.
            if self._beta_start is None:
                eta = fam.linkfun(fam.start_mu(self.y, self.wt))
                u = self.zero_u()
                beta_cur = None
            else:
                beta_cur = self._beta_start.copy()
                eta = self.offset + self.X @ beta_cur + self._zlu(lam, u)
        else:
            beta_cur = np.asarray(beta, dtype=float)
            eta = self.offset + self.X @ beta_cur + self._zlu(lam, u)
        mu = fam.linkinv(eta)
        pdev = self._pdev(mu, u) if beta_cur is not None else np.inf
        fct = None
        diag = None
        converged = False
        flat, last_moved = 0, np.inf
        it = 0
        while it < PIRLS_MAXIT:
            it += 1
            me = fam.mu_eta(eta)
            w = self.wt * me * me / fam.variance(mu)
            sw = np.sqrt(w)
            z = eta - self.offset + (self.y - mu) / me  # working response (without offset)
            if self.schur is not None:
                tgt = z if beta_cur is None or joint else z - self.X @ beta_cur
                sol = self.schur.solve(lam, w, tgt, joint)
                if sol is None:
                    raise np.linalg.LinAlgError("the penalised system is not positive definite")
                unew = sol.u
                bnew = sol.beta if sol.beta is not None else beta_cur
                assert bnew is not None
            elif joint:
                self.full.reweight(sw, np.column_stack([self.X * sw[:, None], sw * z]))
                fct, bnew, unew = self.full.solve(theta)
            elif self.scalar:
                assert beta_cur is not None
                target = z - self.X @ beta_cur
                unew, diag = self._scalar_solve(theta, w, target)
                bnew = beta_cur
            else:
                assert beta_cur is not None and self.reonly is not None
                target = z - self.X @ beta_cur
                self.reonly.reweight(sw, (sw * target)[:, None])
                fct, _, unew = self.reonly.solve(theta)
                bnew = beta_cur
            # Step halving on the penalised deviance, as lme4's pwrssUpdate.
            step = 1.0
            while True:
                if beta_cur is None:
                    bc, uc = bnew, unew
                else:
                    bc = beta_cur + step * (bnew - beta_cur)
                    uc = [a + step * (b - a) for a, b in zip(u, unew)]
                eta_c = self.offset + self.X @ bc + self._zlu(lam, uc)
                mu_c = fam.linkinv(eta_c)
                pdev_c = self._pdev(mu_c, uc)
                if pdev_c <= pdev + 1e-10 * abs(pdev) or step < 1e-4 or not np.isfinite(pdev):
                    break
                step /= 2.0
            if np.isfinite(pdev) and not pdev_c <= pdev + 1e-10 * abs(pdev):
                # Step halving found no decrease: the iteration cannot make progress
                # (at extreme theta or beta the clamped means make the deviance flat
                # where the working weights say otherwise).  Stop here, not converged,
                # instead of accepting an increase and going on to the step limit.
                break
            change = abs(pdev - pdev_c) if np.isfinite(pdev) else np.inf
            moved = max(
                (float(np.max(np.abs(a - b))) for a, b in zip(u, uc) if a.size), default=0.0
            )
            if beta_cur is not None and bc.size:
                moved = max(moved, float(np.max(np.abs(bc - beta_cur))))
            elif beta_cur is None:
                moved = np.inf
            beta_cur, u, eta, mu, pdev = bc, uc, eta_c, mu_c, pdev_c
            tol, stp = (LOOSE_TOL, LOOSE_STEP) if loose else (PIRLS_TOL, PIRLS_STEP)
            if change < tol * (abs(pdev) + 0.1) and moved < stp:
                converged = True
                break
            # At the rounding floor: the penalised deviance no longer changes at all and
            # the steps stop shrinking (an ill-conditioned system at an extreme theta
            # moves the modes by rounding noise, ~1e-7, forever).  A linearly converging
            # iteration (probit, cloglog) still shrinks its steps and goes on.
            flat = flat + 1 if change <= 1e-14 * abs(pdev) and moved >= 0.5 * last_moved else 0
            last_moved = moved
            if flat >= 3:
                converged = True
                break
        # log|L|^2 with the working weights at the conditional mode itself (the
        # last factorisation used those of the previous iterate): the Laplace
        # approximation is then a smooth function of (theta, beta), which the
        # finite-difference Hessian behind the standard errors needs.
        me = fam.mu_eta(eta)
        w = self.wt * me * me / fam.variance(mu)
        if self.scalar and not joint:
            blk = self.blocks[0]
            t = float(theta[0])
            zc = blk.Z[:, 0]
            diag = 1.0 + t * t * np.bincount(blk.codes, weights=w * zc * zc, minlength=blk.q)
            logdet = float(np.sum(np.log(diag)))
        elif self.schur is not None:
            target = z_at = eta - self.offset + (self.y - mu) / me
            if not joint:
                target = z_at - self.X @ beta_cur
            sol = self.schur.solve(lam, w, target, joint)
            if sol is None:
                raise np.linalg.LinAlgError("the penalised system is not positive definite")
            logdet = sol.logdet
        else:
            sw = np.sqrt(w)
            z = eta - self.offset + (self.y - mu) / me
            if joint:
                self.full.reweight(sw, np.column_stack([self.X * sw[:, None], sw * z]))
                fct = self.full.factor(theta, keep=True)
            else:
                assert self.reonly is not None and beta_cur is not None
                self.reonly.reweight(sw, (sw * (z - self.X @ beta_cur))[:, None])
                fct = self.reonly.factor(theta, keep=True)
            assert fct is not None
            logdet = fct.logdet_re
        assert beta_cur is not None
        if converged:  # the next call starts here; never from a failed iteration's modes
            self._u_start = [x.copy() for x in u]
            if joint:
                self._beta_start = beta_cur.copy()
        return PirlsState(u, beta_cur, eta, mu, logdet, pdev + logdet, fct, diag, it, converged)

    def engine_factor(self, theta: np.ndarray, st: PirlsState, joint: bool) -> Factorization | None:
        """The engine's factorisation at a state (for the conditional variances)."""
        if st.factor is not None or self.scalar:
            return st.factor
        fam = self.family
        me = fam.mu_eta(st.eta)
        w = self.wt * me * me / fam.variance(st.mu)
        sw = np.sqrt(w)
        z = st.eta - self.offset + (self.y - st.mu) / me
        if joint:
            self.full.reweight(sw, np.column_stack([self.X * sw[:, None], sw * z]))
            return self.full.factor(theta, keep=True)
        assert self.reonly is not None
        self.reonly.reweight(sw, (sw * (z - self.X @ st.beta))[:, None])
        return self.reonly.factor(theta, keep=True)

    def _scalar_solve(
        self, theta: np.ndarray, w: np.ndarray, target: np.ndarray
    ) -> tuple[list[np.ndarray], np.ndarray]:
        blk = self.blocks[0]
        t = float(theta[0])
        zc = blk.Z[:, 0]
        D = 1.0 + t * t * np.bincount(blk.codes, weights=w * zc * zc, minlength=blk.q)
        rhs = t * np.bincount(blk.codes, weights=w * zc * target, minlength=blk.q)
        return [(rhs / D)[:, None]], D

    # ------------------------------------------------------------------
    def deviance(self, theta: np.ndarray, beta: np.ndarray, nagq: int = 1) -> float:
        """Laplace (``nagq=1``) or adaptive Gauss-Hermite (-2 log-likelihood) at (theta, beta)."""
        st = self.pirls(theta, beta)
        if nagq <= 1:
            return st.objective
        return self.agq(theta, st, nagq)

    def agq(self, theta: np.ndarray, st: PirlsState, nagq: int) -> float:
        """Adaptive Gauss-Hermite quadrature for a single scalar random-effects term.

        Per group i, with conditional mode u_i and s_i = 1 / L_ii,
        -2 log p(y_i) = g_i(u_i) - 2 log(s_i sum_k w_k exp(-(g_i(u_i + s_i z_k) - g_i(u_i))/2 + z_k^2/2)),
        g_i(u) = -2 log p(y_i | u) + u^2; nodes z_k and weights w_k of the
        normal Gauss-Hermite rule.  One node gives the Laplace approximation.
        """
        if not self.scalar or st.diag is None:
            raise ValueError(
                "adaptive Gauss-Hermite quadrature needs a single scalar random-effects term"
            )
        fam = self.family
        blk = self.blocks[0]
        t = float(theta[0])
        zc = blk.Z[:, 0]
        u0 = st.u[0][:, 0]
        s = 1.0 / np.sqrt(st.diag)
        base = self.offset + self.X @ st.beta
        g0 = np.bincount(blk.codes, weights=self.n2ll(st.mu), minlength=blk.q) + u0 * u0
        nodes, weights = gauss_hermite(nagq)
        mult = np.zeros(blk.q)
        for zk, wk in zip(nodes, weights):
            if zk == 0.0:
                mult += wk
                continue
            uk = u0 + zk * s
            mu = fam.linkinv(base + t * zc * uk[blk.codes])
            gk = np.bincount(blk.codes, weights=self.n2ll(mu), minlength=blk.q) + uk * uk
            mult += wk * np.exp(-(gk - g0) / 2.0 + zk * zk / 2.0)
        return float(np.sum(g0) - 2.0 * np.sum(np.log(s * mult)))
