"""A study's analysis plan: what the outcome is, for whom, with whom, in which context.

The plan is a small document (``werkplaats.plan/1``, YAML or JSON)::

    format: werkplaats.plan/1
    outcome: {instrument: zelfregie-kort, scale: total, informant: client}   # or: gas_t
    moderators:
      client: [is_frail_elderly, network_size_start]   # for whom
      process: [share_strengths_based, share_outreach]  # with and by whom, how
      context: []                                       # organisation, team, municipality
    interactions: []                                    # e.g. [[share_strengths_based, network_size_start]]
    random: [professional]                              # plus (1 + time | client) always
    centring: grand_mean                                # grand_mean | group_mean | none
    mediators: []                                       # e.g. [[has_method, alliance_mean]]
    exact: []                                           # e.g. [network_size_start]

``exact`` names plan variables that must keep their exact values even when another
study shares clients (insight.linkage); the report then says the export is linkable on
them. This module is plain Python: :func:`parse_plan` checks the shape (every problem names
its key), :func:`check_against` checks the names against a study's catalogue and data,
:func:`centre` computes the centres from the analysed data, and :func:`growth_spec`
turns the plan into the :class:`~werkplaats.stats.growth.GrowthSpec` whose lme4 formula
is fitted. No Django here: the messages are English msgids (marked for the catalogue),
which the Django side translates.

Over 500 lines because it is one document format read in one place: parse_plan and
check_against walk the same keys in the same order and share the problem messages, and
centre and growth_spec read the Plan they build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from werkplaats.stats.growth import GrowthSpec


def gettext_noop(message: str) -> str:
    """Marks an English msgid for the catalogue (makemessages reads the name); plain Python,
    so the pipeline stays free of Django."""
    return message


FORMAT = "werkplaats.plan/1"
LEVELS = ("client", "process", "context")
CENTRINGS = ("grand_mean", "group_mean", "none")
INFORMANTS = ("client", "professional", "network_member")
RANDOM_GROUPS = ("professional", "team", "organisation", "municipality")
GAS = "gas_t"
KEYS = {
    "format",
    "outcome",
    "moderators",
    "interactions",
    "random",
    "centring",
    "mediators",
    "exact",
}


@dataclass(frozen=True)
class PlanProblem:
    """One problem with a plan: the key it concerns and an English msgid with params."""

    key: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, translate: Any = None) -> str:
        msg = translate(self.message) if translate else self.message
        return f"{self.key}: {msg % dict(self.params)}" if self.params else f"{self.key}: {msg}"


class PlanError(ValueError):
    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.text() for p in problems))


@dataclass(frozen=True)
class Outcome:
    instrument: str  # an instrument slug, or "gas_t"
    scale: str = ""
    informant: str = "client"

    @property
    def is_gas(self) -> bool:
        return self.instrument == GAS

    def as_dict(self) -> dict[str, str] | str:
        if self.is_gas:
            return GAS
        return {"instrument": self.instrument, "scale": self.scale, "informant": self.informant}


@dataclass(frozen=True)
class Plan:
    outcome: Outcome
    client: tuple[str, ...] = ()
    process: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    interactions: tuple[tuple[str, str], ...] = ()
    random: tuple[str, ...] = ("professional",)
    centring: str = "grand_mean"
    mediators: tuple[tuple[str, str], ...] = ()
    exact: tuple[str, ...] = ()  # variables kept exact although another study shares clients

    def moderators(self) -> list[str]:
        return [*self.client, *self.process, *self.context]

    def level_of(self, name: str) -> str:
        for level in LEVELS:
            if name in getattr(self, level):
                return level
        return ""

    def variables(self) -> list[str]:
        """Every catalogue variable the plan uses (moderators and mediation variables)."""
        names = self.moderators()
        for x, m in self.mediators:
            names += [x, m]
        return list(dict.fromkeys(names))

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "outcome": self.outcome.as_dict(),
            "moderators": {
                "client": list(self.client),
                "process": list(self.process),
                "context": list(self.context),
            },
            "interactions": [list(p) for p in self.interactions],
            "random": list(self.random),
            "centring": self.centring,
            "mediators": [list(p) for p in self.mediators],
            # only when set, so that the hash of every plan without it stays the same
            **({"exact": list(self.exact)} if self.exact else {}),
        }

    def canonical(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.as_dict(), sort_keys=False, allow_unicode=True)


def load_text(text: str) -> Any:
    """YAML (a superset of JSON) to plain data; a syntax error is a plan problem."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise PlanError(
            [
                PlanProblem(
                    where, gettext_noop("not valid YAML or JSON: %(error)s"), {"error": str(exc)}
                )
            ]
        ) from exc


def _names(value: Any, key: str, problems: list[PlanProblem]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.append(PlanProblem(key, gettext_noop("must be a list of variable names")))
        return ()
    if len(set(value)) != len(value):
        problems.append(PlanProblem(key, gettext_noop("names a variable twice")))
    return tuple(value)


def _pairs(value: Any, key: str, problems: list[PlanProblem]) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    ok = isinstance(value, list) and all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(v, str) and v for v in p)
        for p in value
    )
    if not ok:
        problems.append(
            PlanProblem(
                key, gettext_noop("must be a list of pairs of variable names, e.g. [[a, b]]")
            )
        )
        return ()
    return tuple((a, b) for a, b in value)


def parse_plan(data: Any) -> Plan:
    """Check the shape of a plan document; raise :class:`PlanError` naming every bad key."""
    problems: list[PlanProblem] = []
    if not isinstance(data, dict):
        raise PlanError(
            [
                PlanProblem(
                    "plan", gettext_noop("must be a mapping with the keys format, outcome, …")
                )
            ]
        )
    if data.get("format") != FORMAT:
        problems.append(
            PlanProblem(
                "format",
                gettext_noop("must be %(format)s, not %(got)r"),
                {"format": FORMAT, "got": data.get("format")},
            )
        )
    for key in sorted(set(data) - KEYS):
        problems.append(
            PlanProblem(
                key,
                gettext_noop("unknown key; allowed: %(keys)s"),
                {"keys": ", ".join(sorted(KEYS))},
            )
        )
    raw = data.get("outcome")
    # GAS levels are scored by the professional (GoalScore.recorded_by): the T-score rows
    # carry informant "professional", so the model and the change read those rows.
    outcome = Outcome(GAS, "", "professional")
    if raw == GAS or (isinstance(raw, dict) and raw.get("instrument") == GAS):
        outcome = Outcome(GAS, "", "professional")
    elif isinstance(raw, dict):
        for sub in sorted(set(raw) - {"instrument", "scale", "informant"}):
            problems.append(
                PlanProblem(
                    f"outcome.{sub}",
                    gettext_noop("unknown key; allowed: instrument, scale, informant"),
                )
            )
        inst, scale, informant = (
            raw.get("instrument"),
            raw.get("scale"),
            raw.get("informant", "client"),
        )
        if not isinstance(inst, str) or not inst:
            problems.append(
                PlanProblem(
                    "outcome.instrument",
                    gettext_noop("is required (an instrument identifier, or gas_t)"),
                )
            )
        if not isinstance(scale, str) or not scale:
            problems.append(
                PlanProblem(
                    "outcome.scale", gettext_noop("is required (a scale of the instrument)")
                )
            )
        if informant not in INFORMANTS:
            problems.append(
                PlanProblem(
                    "outcome.informant",
                    gettext_noop("must be one of %(choices)s"),
                    {"choices": ", ".join(INFORMANTS)},
                )
            )
        outcome = Outcome(str(inst or ""), str(scale or ""), str(informant))
    else:
        problems.append(
            PlanProblem(
                "outcome", gettext_noop("is required: {instrument, scale, informant} or gas_t")
            )
        )
    mods = data.get("moderators") or {}
    if not isinstance(mods, dict):
        problems.append(
            PlanProblem(
                "moderators", gettext_noop("must be a mapping with client, process and context")
            )
        )
        mods = {}
    for sub in sorted(set(mods) - set(LEVELS)):
        problems.append(
            PlanProblem(
                f"moderators.{sub}",
                gettext_noop("unknown level; allowed: client, process, context"),
            )
        )
    levels = {lv: _names(mods.get(lv), f"moderators.{lv}", problems) for lv in LEVELS}
    seen: dict[str, str] = {}
    for lv, names in levels.items():
        for n in names:
            if n in seen and seen[n] != lv:
                problems.append(
                    PlanProblem(
                        f"moderators.{lv}",
                        gettext_noop("%(name)s is already at level %(level)s"),
                        {"name": n, "level": seen[n]},
                    )
                )
            seen[n] = lv
    interactions = _pairs(data.get("interactions"), "interactions", problems)
    for i, (a, b) in enumerate(interactions):
        for n in (a, b):
            if n not in seen:
                problems.append(
                    PlanProblem(
                        f"interactions[{i}]",
                        gettext_noop("%(name)s is not one of the moderators"),
                        {"name": n},
                    )
                )
        if a == b:
            problems.append(
                PlanProblem(
                    f"interactions[{i}]",
                    gettext_noop("an interaction needs two different moderators"),
                )
            )
    random = _names(data.get("random", ["professional"]), "random", problems)
    for g in random:
        if g not in RANDOM_GROUPS:
            problems.append(
                PlanProblem(
                    "random",
                    gettext_noop("%(name)s cannot be a random effect; choose from %(choices)s"),
                    {"name": g, "choices": ", ".join(RANDOM_GROUPS)},
                )
            )
    centring = data.get("centring", "grand_mean")
    if centring not in CENTRINGS:
        problems.append(
            PlanProblem(
                "centring",
                gettext_noop("must be one of %(choices)s"),
                {"choices": ", ".join(CENTRINGS)},
            )
        )
    if centring == "group_mean" and not random:
        problems.append(
            PlanProblem(
                "centring", gettext_noop("group_mean needs a random effect to name the group")
            )
        )
    mediators = _pairs(data.get("mediators"), "mediators", problems)
    exact = _names(data.get("exact"), "exact", problems)
    used = set(seen) | {n for pair in mediators for n in pair}
    for n in exact:
        if n not in used:
            problems.append(
                PlanProblem(
                    "exact",
                    gettext_noop("%(name)s is not one of the plan's moderators or mediators"),
                    {"name": n},
                )
            )
    if problems:
        raise PlanError(problems)
    return Plan(
        outcome,
        levels["client"],
        levels["process"],
        levels["context"],
        interactions,
        random,
        str(centring),
        mediators,
        exact,
    )


@dataclass(frozen=True)
class CatalogueEntry:
    """What the plan checker needs to know of one catalogue variable."""

    name: str
    level: str
    kind: str  # "number" or "indicator"
    clients: int  # clients with a value


@dataclass(frozen=True)
class OutcomeOption:
    instrument: str
    scale: str
    informant: str
    clients: int


@dataclass(frozen=True)
class InstrumentScales:
    """What the instrument library defines: the scales and informants of an instrument."""

    slug: str
    scales: frozenset[str]
    informants: frozenset[str]


def check_against(
    plan: Plan,
    catalogue: Mapping[str, CatalogueEntry],
    instruments: Mapping[str, InstrumentScales],
    outcomes: list[OutcomeOption],
    gas_clients: int,
) -> tuple[list[PlanProblem], list[PlanProblem]]:
    """(errors, warnings) of a plan for a study.

    Errors: names the workplace does not know (an instrument, scale or informant the
    library does not define, a variable not in the catalogue or at another level). A
    plan may be pre-registered before any data are collected, so what the data do not
    hold yet (no measurements of the outcome, no client with a value) is a warning.
    """
    errors: list[PlanProblem] = []
    warnings: list[PlanProblem] = []
    o = plan.outcome
    if o.is_gas:
        if gas_clients == 0:
            warnings.append(
                PlanProblem(
                    "outcome",
                    gettext_noop("no client in this study has goal attainment scores yet"),
                )
            )
    else:
        known = instruments.get(o.instrument)
        if known is None:
            errors.append(
                PlanProblem(
                    "outcome.instrument",
                    gettext_noop("%(name)s is not an instrument of this workplace"),
                    {"name": o.instrument},
                )
            )
        elif o.scale not in known.scales:
            errors.append(
                PlanProblem(
                    "outcome.scale",
                    gettext_noop(
                        "%(name)s is not a scale of %(instrument)s; its scales: %(choices)s"
                    ),
                    {
                        "name": o.scale,
                        "instrument": o.instrument,
                        "choices": ", ".join(sorted(known.scales)),
                    },
                )
            )
        elif o.informant not in known.informants:
            errors.append(
                PlanProblem(
                    "outcome.informant",
                    gettext_noop(
                        "%(instrument)s is not answered by %(informant)s; it is by %(choices)s"
                    ),
                    {
                        "informant": o.informant,
                        "instrument": o.instrument,
                        "choices": ", ".join(sorted(known.informants)),
                    },
                )
            )
        elif not any(
            x.instrument == o.instrument and x.scale == o.scale and x.informant == o.informant
            for x in outcomes
        ):
            warnings.append(
                PlanProblem(
                    "outcome",
                    gettext_noop("no %(informant)s in this study has answered %(instrument)s yet"),
                    {"informant": o.informant, "instrument": o.instrument},
                )
            )
    for lv in LEVELS:
        for n in getattr(plan, lv):
            entry = catalogue.get(n)
            if entry is None:
                errors.append(
                    PlanProblem(
                        f"moderators.{lv}",
                        gettext_noop(
                            "%(name)s is not in the catalogue (werkplaats plan variables)"
                        ),
                        {"name": n},
                    )
                )
            elif entry.level != lv:
                errors.append(
                    PlanProblem(
                        f"moderators.{lv}",
                        gettext_noop("%(name)s is a %(level)s-level variable"),
                        {"name": n, "level": entry.level},
                    )
                )
            elif entry.clients == 0:
                warnings.append(
                    PlanProblem(
                        f"moderators.{lv}",
                        gettext_noop("no client in this study has a value for %(name)s yet"),
                        {"name": n},
                    )
                )
    for i, (x, m) in enumerate(plan.mediators):
        for n in (x, m):
            if n not in catalogue:
                errors.append(
                    PlanProblem(
                        f"mediators[{i}]",
                        gettext_noop(
                            "%(name)s is not in the catalogue (werkplaats plan variables)"
                        ),
                        {"name": n},
                    )
                )
    return errors, warnings


@dataclass
class OutcomeInfo:
    """The outcome's scale as the instrument defines it: label, range, direction, norms."""

    label: str
    low: float | None = None
    high: float | None = None
    higher_is: str = "better"
    norms: dict[str, float | None] | None = None
    informants: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Centre:
    variable: str
    column: str  # the centred column in the model's data
    method: str  # grand_mean, group_mean (within ``group``) or none
    value: float | None  # the grand mean; None for group means
    group: str = ""
    groups: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "column": self.column,
            "method": self.method,
            "value": self.value,
            "group": self.group or None,
            "groups": self.groups or None,
        }


def centre(
    data: pd.DataFrame, plan: Plan, kinds: Mapping[str, str], unit: str = "trajectory"
) -> tuple[pd.DataFrame, list[Centre]]:
    """Add the centred moderators to ``data``; the centres come from these data.

    Means are taken over ``unit`` (one value per trajectory, so a trajectory measured
    nine times weighs as much as one measured twice). Indicators (0/1) are not centred:
    their main effect stays the difference between the two groups. With ``group_mean``
    a variable is centred at the mean of its group (the plan's first random effect),
    unless it is constant within that group (the professional's own style, a team's or
    an organisation's characteristic), which is centred at the grand mean.
    """
    out = data.copy()
    centres: list[Centre] = []
    group = plan.random[0] if plan.random else ""
    for name in plan.moderators():
        values = out[name].astype(float)
        if kinds.get(name) == "indicator" or plan.centring == "none":
            out[name] = values
            centres.append(Centre(name, name, "none", None))
            continue
        column = f"{name}_c"
        per_unit = out[[unit, name] + ([group] if group else [])].drop_duplicates(unit)
        if plan.centring == "group_mean":
            within = per_unit.groupby(group)[name].nunique(dropna=True)
            if (within > 1).any():
                means = per_unit.groupby(group)[name].mean()
                out[column] = values - out[group].map(means).astype(float)
                centres.append(Centre(name, column, "group_mean", None, group, int(means.size)))
                continue
        mean = float(per_unit[name].astype(float).mean())
        out[column] = values - mean
        centres.append(Centre(name, column, "grand_mean", mean if np.isfinite(mean) else None))
    return out, centres


def growth_spec(plan: Plan, centres: list[Centre]) -> GrowthSpec:
    """The growth model of a plan, over the centred columns."""
    col = {c.variable: c.column for c in centres}
    return GrowthSpec(
        outcome="score",
        client_level=[col[n] for n in plan.client],
        with_whom=[col[n] for n in plan.process],
        context=[col[n] for n in plan.context],
        interactions=[(col[a], col[b]) for a, b in plan.interactions],
        random=list(plan.random),
    )


def formula_preview(plan: Plan, kinds: Mapping[str, str]) -> str:
    """The formula the plan will fit, before any data are read (centred names with _c)."""
    centres = [
        Centre(
            n, n if kinds.get(n) == "indicator" or plan.centring == "none" else f"{n}_c", "", None
        )
        for n in plan.moderators()
    ]
    return growth_spec(plan, centres).formula()
