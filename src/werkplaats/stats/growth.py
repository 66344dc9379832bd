"""The multilevel growth model of *what works for whom*: specification and fit.

A :class:`GrowthSpec` names the moderators at each level and turns them into one lme4
formula: every moderator enters as a main effect on the level at the start and as an
interaction with time (does it change growth?); interactions between moderators (two-way
moderation, and cross-level ones such as client × organisation context) are listed apart.
Random intercepts and slopes of time per client and per professional; teams,
organisations and municipalities enter as context variables (or as random intercepts
when asked and there are enough of them).

Examples
--------
>>> GrowthSpec(client_level=["frail"], with_whom=["sb_c"], context=["policy_c"],
...            interactions=[("sb_c", "frail")]).formula()
'score ~ time * (frail + sb_c + policy_c + sb_c:frail) + (1 + time | client) + (1 + time | professional)'
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .multilevel import LmmResult, MultilevelWarning, fit_lmm
from .multilevel.fit import FEW_CLUSTERS

LEVELS = ("client_level", "with_whom", "context")


class TooFewError(ValueError):
    """The data are too thin for the model; the message says what is missing.

    ``code`` and ``params`` let a caller say the same in the reader's language.
    """

    def __init__(self, message: str, code: str = "", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


@dataclass
class GrowthSpec:
    outcome: str = "score"
    time: str = "time"
    client: str = "client"
    client_level: list[str] = field(default_factory=list)  # for whom
    with_whom: list[str] = field(default_factory=list)  # with and by whom
    context: list[str] = field(default_factory=list)  # organisation and policy context
    interactions: list[tuple[str, str]] = field(default_factory=list)
    random: list[str] = field(default_factory=lambda: ["professional"])
    random_intercepts: list[str] = field(default_factory=list)  # e.g. team, municipality

    def moderators(self) -> list[str]:
        return [*self.client_level, *self.with_whom, *self.context]

    def level_of(self, term: str) -> str:
        names = [p for p in term.split(":") if p != self.time]
        for level in ("context", "with_whom", "client_level"):
            if any(n in getattr(self, level) for n in names):
                return level
        return "growth" if self.time in term.split(":") else "intercept"

    def formula(self) -> str:
        inner = [*self.moderators(), *(f"{a}:{b}" for a, b in self.interactions)]
        fixed = f"{self.time} * ({' + '.join(inner)})" if inner else self.time
        randoms = [f"(1 + {self.time} | {self.client})"]
        randoms += [f"(1 + {self.time} | {g})" for g in self.random]
        randoms += [f"(1 | {g})" for g in self.random_intercepts]
        return f"{self.outcome} ~ {fixed} + {' + '.join(randoms)}"

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "time": self.time,
            "client": self.client,
            "client_level": self.client_level,
            "with_whom": self.with_whom,
            "context": self.context,
            "interactions": [list(p) for p in self.interactions],
            "random": self.random,
            "random_intercepts": self.random_intercepts,
            "formula": self.formula(),
        }


@dataclass
class GrowthResult:
    spec: GrowthSpec
    model: LmmResult
    # term, level, estimate, se, df, low, high, p, clusters, grouping, few_clusters
    terms: pd.DataFrame
    icc: pd.DataFrame
    n_clients: int
    n_obs: int
    interval: str = "satterthwaite"  # or "wald" when the df could not be computed

    def few_clusters(self) -> pd.DataFrame:
        """Terms that rest on fewer than 20 clusters (their intervals are wide for that)."""
        return self.terms[self.terms["few_clusters"]]


MIN_CLIENTS = 30
MIN_WAVES_PER_CLIENT = 2


def check_size(data: pd.DataFrame, spec: GrowthSpec) -> None:
    """Raise :class:`TooFewError` when a growth model would print nonsense."""
    n_clients = data[spec.client].nunique()
    if n_clients < MIN_CLIENTS:
        raise TooFewError(
            f"Only {n_clients} clients with scores; a growth model needs at least {MIN_CLIENTS}.",
            "clients",
            n=n_clients,
            min=MIN_CLIENTS,
        )
    repeated = (data.groupby(spec.client).size() >= MIN_WAVES_PER_CLIENT).sum()
    if repeated < MIN_CLIENTS:
        raise TooFewError(
            f"Only {repeated} clients were measured twice or more; growth needs at least "
            f"{MIN_CLIENTS}.",
            "repeated",
            n=int(repeated),
            min=MIN_CLIENTS,
        )
    k = 2 * (1 + len(spec.moderators())) + 2 * len(spec.interactions)
    if repeated < 5 * k:
        raise TooFewError(
            f"{k} fixed effects for {repeated} clients with repeated scores; use fewer "
            "moderators or gather more data (about 5 clients per effect).",
            "effects",
            k=k,
            n=int(repeated),
        )
    for g in spec.random:
        if data[g].nunique() < 5:
            raise TooFewError(
                f"Only {data[g].nunique()} levels of {g}; a random effect needs 5.",
                "groups",
                n=int(data[g].nunique()),
                group=g,
                min=5,
            )


def fit_growth(data: pd.DataFrame, spec: GrowthSpec, level: float = 0.95) -> GrowthResult:
    """Fit the growth model: t intervals and p-values with Satterthwaite df per fixed effect.

    The denominator degrees of freedom are lmerTest's (Satterthwaite); an effect carried
    by a few professionals or organisations gets few df and a wide interval, where the
    Wald z interval was too narrow (0.80-0.83 coverage at 12 professionals in 2
    organisations). ``clusters`` says on how many levels of which grouping factor each
    term rests, ``few_clusters`` marks those under 20. Should the df not be computable
    (a numerically singular Hessian of the variance parameters) the Wald z interval is
    used and ``interval`` says ``"wald"``.
    """
    cols = [
        spec.outcome,
        spec.time,
        spec.client,
        *spec.moderators(),
        *spec.random,
        *spec.random_intercepts,
    ]
    d = data[list(dict.fromkeys(cols))].dropna()
    check_size(d, spec)
    with warnings.catch_warnings():
        # The few-clusters warning is carried in the terms (few_clusters) instead.
        warnings.filterwarnings("ignore", message="few clusters", category=MultilevelWarning)
        model = fit_lmm(spec.formula(), d, reml=True)
    est = model.fixef
    se = model.se
    interval = "satterthwaite"
    try:
        satt = model.satterthwaite(level)
        df = satt["df"].to_numpy()
        low, high = satt.iloc[:, -2].to_numpy(), satt.iloc[:, -1].to_numpy()
        p = satt["Pr(>|t|)"].to_numpy()
    except (np.linalg.LinAlgError, ValueError):
        interval = "wald"
        z = stats.norm.ppf(0.5 + level / 2)
        df = np.full(len(est), np.inf)
        low, high = (est - z * se).to_numpy(), (est + z * se).to_numpy()
        p = 2 * stats.norm.sf(np.abs((est / se).to_numpy()))
    clusters = pd.Series(np.nan, index=est.index)
    grouping = pd.Series("", index=est.index)
    if model.clusters is not None:
        c = model.clusters.set_index("term")
        clusters = c["clusters"].reindex(est.index)
        grouping = c["grouping"].reindex(est.index).fillna("")
    terms = pd.DataFrame(
        {
            "term": est.index,
            "level": [spec.level_of(t) for t in est.index],
            "estimate": est.to_numpy(),
            "se": se.to_numpy(),
            "df": df,
            "low": low,
            "high": high,
            "p": p,
            "clusters": clusters.to_numpy(),
            "grouping": grouping.to_numpy(),
            "few_clusters": (clusters < FEW_CLUSTERS).to_numpy(),
        }
    )
    return GrowthResult(
        spec, model, terms, model.icc, int(d[spec.client].nunique()), len(d), interval
    )
