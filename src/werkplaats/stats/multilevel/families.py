"""Response distributions and link functions of the generalised mixed models.

The definitions follow R's ``binomial()`` and ``poisson()`` family objects,
including their guards against probabilities of exactly 0 or 1, so that the
deviance and the log-likelihood agree with ``glmer`` to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import scipy.special
import scipy.stats

__all__ = ["Family", "make_family", "LINKS"]

EPS = np.finfo(float).eps
# R's binomial logit guards: exp(eta) is kept within [eps, 1/eps].
_THRESH = 30.0
_MTHRESH = -30.0
LINKS = {"binomial": ("logit", "probit", "cloglog"), "poisson": ("log",)}


@dataclass(frozen=True)
class Family:
    """A response distribution with a link, as R's family objects."""

    name: str
    link: str

    # -- link -----------------------------------------------------------
    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            e = np.exp(np.clip(eta, _MTHRESH, _THRESH))
            e = np.where(eta < _MTHRESH, EPS, np.where(eta > _THRESH, 1 / EPS, e))
            return e / (1.0 + e)
        if self.link == "probit":
            thresh = -scipy.stats.norm.ppf(EPS)
            return cast("np.ndarray", scipy.special.ndtr(np.clip(eta, -thresh, thresh)))
        if self.link == "cloglog":
            return cast("np.ndarray", np.clip(-np.expm1(-np.exp(eta)), EPS, 1 - EPS))
        return cast("np.ndarray", np.maximum(np.exp(eta), EPS))  # log

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            opexp = 1.0 + np.exp(np.clip(eta, _MTHRESH, _THRESH))
            out = (opexp - 1.0) / (opexp * opexp)
            return np.where((eta > _THRESH) | (eta < _MTHRESH), EPS, out)
        if self.link == "probit":
            return cast("np.ndarray", np.maximum(scipy.stats.norm.pdf(eta), EPS))
        if self.link == "cloglog":
            eta = np.minimum(eta, 700.0)
            return cast("np.ndarray", np.maximum(np.exp(eta) * np.exp(-np.exp(eta)), EPS))
        return cast("np.ndarray", np.maximum(np.exp(eta), EPS))

    def mu_eta2(self, eta: np.ndarray, mu_eta: np.ndarray) -> np.ndarray:
        """Second derivative of the inverse link, given its first (``mu_eta``)."""
        if self.link == "logit":
            return mu_eta * (1.0 - 2.0 * self.linkinv(eta))
        if self.link == "probit":
            return cast("np.ndarray", -eta * mu_eta)
        if self.link == "cloglog":
            return cast("np.ndarray", mu_eta * (1.0 - np.exp(np.minimum(eta, 700.0))))
        return mu_eta  # log

    def linkfun(self, mu: np.ndarray) -> np.ndarray:
        if self.link == "logit":
            return np.log(mu / (1.0 - mu))
        if self.link == "probit":
            return cast("np.ndarray", scipy.stats.norm.ppf(mu))
        if self.link == "cloglog":
            return cast("np.ndarray", np.log(-np.log1p(-mu)))
        return cast("np.ndarray", np.log(mu))

    # -- distribution ---------------------------------------------------
    def variance(self, mu: np.ndarray) -> np.ndarray:
        if self.name == "binomial":
            return mu * (1.0 - mu)
        return mu

    def variance_deriv(self, mu: np.ndarray) -> np.ndarray:
        """Derivative of the variance function."""
        if self.name == "binomial":
            return 1.0 - 2.0 * mu
        return np.ones_like(mu)

    @property
    def canonical(self) -> bool:
        return (self.name, self.link) in {("binomial", "logit"), ("poisson", "log")}

    def dev_resids(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """Squared deviance residuals (R's ``dev.resids``)."""
        if self.name == "binomial":
            return cast(
                "np.ndarray",
                2.0
                * wt
                * (
                    scipy.special.xlogy(y, y / mu)
                    + scipy.special.xlogy(1.0 - y, (1.0 - y) / (1.0 - mu))
                ),
            )
        return cast("np.ndarray", 2.0 * wt * (scipy.special.xlogy(y, y / mu) - (y - mu)))

    def neg2ll(
        self, y: np.ndarray, mu: np.ndarray, trials: np.ndarray, pw: np.ndarray
    ) -> np.ndarray:
        """-2 log-likelihood per observation (the terms of R's ``family$aic``).

        Binomial: ``y`` is the proportion of successes out of ``trials``;
        ``pw`` are the prior weights that multiply each row's contribution.
        """
        if self.name == "binomial":
            m = np.round(trials)
            k = np.round(trials * y)
            logc = (
                scipy.special.gammaln(m + 1)
                - scipy.special.gammaln(k + 1)
                - scipy.special.gammaln(m - k + 1)
            )
            ll = logc + scipy.special.xlogy(k, mu) + scipy.special.xlog1py(m - k, -mu)
            return -2.0 * np.where(m > 0, pw * ll, 0.0)
        ll = scipy.special.xlogy(y, mu) - mu - scipy.special.gammaln(y + 1.0)
        return cast("np.ndarray", -2.0 * pw * ll)

    def start_mu(self, y: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """R's ``family$initialize`` starting values."""
        if self.name == "binomial":
            return cast("np.ndarray", (wt * y + 0.5) / (wt + 1.0))
        return y + 0.1

    @property
    def ratio_name(self) -> str:
        if self.link == "logit":
            return "odds ratio"
        if self.link == "log":
            return "rate ratio"
        if self.link == "cloglog":
            return "hazard ratio"
        return ""


def make_family(family: str | Family, link: str | None = None) -> Family:
    """``"binomial"`` (links logit, probit, cloglog) or ``"poisson"`` (log)."""
    if isinstance(family, Family):
        return family
    name = str(family).strip().lower()
    if name not in LINKS:
        raise ValueError(f"family {family!r} is not supported; use 'binomial' or 'poisson'")
    if link is None:
        link = LINKS[name][0]
    if link not in LINKS[name]:
        raise ValueError(
            f"the {name} family supports the link(s) {', '.join(LINKS[name])}, not {link!r}"
        )
    return Family(name, link)
