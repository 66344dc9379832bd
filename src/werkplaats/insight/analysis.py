"""The analysis pipeline of a study report, as the study's plan says.

No Django here: :func:`run_analyses` takes the rows :func:`werkplaats.insight.dataset.study_data`
built and the plan, and returns plain results that the report renders. Every step that
cannot run on the data it got says why instead of printing numbers that mean nothing: its
``message`` is an English msgid with ``params``, which the report translates
(:func:`werkplaats.insight.report.localise`) into the reader's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from werkplaats.insight.engine_messages import engine_refusal, growth_notes
from werkplaats.insight.plan import Centre, OutcomeInfo, Plan, centre, growth_spec
from werkplaats.insight.plan import gettext_noop as _
from werkplaats.stats.change import reliable_change
from werkplaats.stats.effects import Effect, paired_effect
from werkplaats.stats.growth import GrowthResult, GrowthSpec, TooFewError, fit_growth
from werkplaats.stats.mediation import MediationResult, mediation
from werkplaats.stats.multilevel import MultilevelError
from werkplaats.stats.raters import BlandAltman, IccResult, bland_altman, discrepancy_by_group, icc
from werkplaats.stats.voices import representation


@dataclass
class Section:
    """One analysis: its result, or a message saying why it could not run."""

    result: Any = None
    message: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, translate: Any = None) -> str:
        """The message in the reader's language (``translate``: gettext) with its values."""
        msg = translate(self.message) if translate else self.message
        return msg % self.params if self.params else msg

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass
class ChangeSummary:
    n: int
    mean_before: float
    mean_after: float
    effect: Effect
    improved: int
    unchanged: int
    deteriorated: int
    clinical: str  # why clinically significant change is or is not reported
    norms: bool = True  # whether the instrument gives norms for reliable change


@dataclass
class Agreement:
    icc: IccResult
    bland_altman: BlandAltman
    by_group: pd.DataFrame
    pairs: pd.DataFrame
    icc_three: IccResult | None = None  # client, professional and network member
    network: BlandAltman | None = None  # client − network member


@dataclass
class Results:
    plan: Plan
    spec: GrowthSpec
    centres: list[Centre]
    model_data: pd.DataFrame  # exactly the columns of the growth model, complete cases
    n_clients: int
    n_trajectories: int
    n_measurements: int
    waves: pd.DataFrame
    change: Section
    gas: Section
    growth: Section
    mediation: list[Section] = field(default_factory=list)
    agreement: Section = field(default_factory=Section)
    voices: Section = field(default_factory=Section)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    steps: list[Section] = field(default_factory=list)  # what ran, as messages
    # the growth model's warnings (singular, convergence, rank, few clusters), as messages
    growth_notes: list[Section] = field(default_factory=list)


def model_frame(
    frame: pd.DataFrame, plan: Plan, kinds: dict[str, str]
) -> tuple[pd.DataFrame, GrowthSpec, list[Centre]]:
    """The plan's informant's scores with the centred moderators, exactly the columns of
    the growth model (complete cases), its specification and the centres used."""
    f = frame[frame["informant"] == plan.outcome.informant]
    needed = ["score", "time", "client", "trajectory", *plan.random, *plan.moderators()]
    f = f[list(dict.fromkeys(needed))].dropna().copy()
    f["score"] = f["score"].astype(float)
    f, centres = centre(f, plan, kinds)
    spec = growth_spec(plan, centres)
    columns = ["score", "time", "client", *plan.random, *(c.column for c in centres)]
    return f[list(dict.fromkeys(columns))].reset_index(drop=True), spec, centres


def per_trajectory(frame: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """First and last score of the plan's informant per trajectory, with the trajectory's
    variables of the plan (they are constant within a trajectory)."""
    f = frame[(frame["informant"] == plan.outcome.informant) & frame["score"].notna()]
    f = f.sort_values(["trajectory", "time"])
    g = f.groupby("trajectory")
    out = pd.DataFrame(
        {
            "before": g["score"].first(),
            "after": g["score"].last(),
            "waves": g.size(),
            "years": g["time"].last() - g["time"].first(),
            "professional": g["professional"].first(),
            "target_group": g["target_group"].first(),
        }
    )
    for name in plan.variables():
        out[name] = g[name].first().astype(float)
    out = out[out["waves"] >= 2]
    out["change"] = out["after"] - out["before"]
    return out


def _change(traj: pd.DataFrame, info: OutcomeInfo) -> Section:
    if len(traj) < 3:
        return Section(
            message=_("Too few trajectories with two or more scores: %(n)s."),
            params={"n": len(traj)},
        )
    try:
        effect = paired_effect(traj["before"], traj["after"])
    except ValueError:
        return Section(message=_("The scores do not vary, so change cannot be standardised."))
    counts = {"improved": 0, "unchanged": 0, "deteriorated": 0}
    norms = info.norms or {}
    sd, reliability = norms.get("sd"), norms.get("reliability")
    if sd and reliability:
        for b, a in zip(traj["before"], traj["after"], strict=True):
            rc = reliable_change(b, a, sd=sd, reliability=reliability, higher_is=info.higher_is)
            counts[rc.direction] += 1
    # "norm_mean": the norms allow clinically significant change; "no_norm_mean": they don't
    clinical = "norm_mean" if norms.get("mean") is not None else "no_norm_mean"
    return Section(
        ChangeSummary(
            len(traj),
            float(traj["before"].mean()),
            float(traj["after"].mean()),
            effect,
            clinical=clinical,
            norms=bool(sd and reliability),
            **counts,
        )
    )


def _gas(gas_last: pd.Series | None) -> Section:
    g = gas_last.dropna() if gas_last is not None else pd.Series(dtype=float)
    if len(g) < 3:
        return Section(message=_("Too few trajectories with goal attainment scores."))
    se = float(g.std(ddof=1) / math.sqrt(len(g)))
    m = float(g.mean())
    return Section(
        {
            "n": len(g),
            "mean": m,
            "low": m - 1.96 * se,
            "high": m + 1.96 * se,
            "share_expected": float((g >= 50).mean()),
        }
    )


def _agreement(frame: pd.DataFrame, info: OutcomeInfo) -> Section:
    wide = frame.pivot_table(
        index=["trajectory", "wave"], columns="informant", values="score", aggfunc="first"
    )
    if "client" not in wide or "professional" not in wide:
        if len(info.informants) < 2:
            return Section(
                message=_("The outcome has one informant, so there is no agreement to study.")
            )
        return Section(message=_("No waves where both the client and the professional answered."))
    pairs = wide[["client", "professional"]].dropna().reset_index()
    if len(pairs) < 10:
        return Section(
            message=_("Too few waves with both informants: %(n)s; 10 needed."),
            params={"n": len(pairs)},
        )
    groups = frame.drop_duplicates("trajectory").set_index("trajectory")["target_group"]
    pairs["target_group"] = pairs["trajectory"].map(groups)
    result = Agreement(
        icc(pairs[["client", "professional"]].to_numpy()),
        bland_altman(pairs["client"], pairs["professional"]),
        discrepancy_by_group(pairs, "client", "professional", "target_group"),
        pairs,
    )
    if "network_member" in wide:
        three = wide[["client", "professional", "network_member"]].dropna()
        if len(three) >= 10:
            result.icc_three = icc(three.to_numpy())
        duo = wide[["client", "network_member"]].dropna()
        if len(duo) >= 10:
            result.network = bland_altman(duo["client"], duo["network_member"])
    return Section(result)


def too_few_section(exc: TooFewError) -> Section:
    """The statistics core's refusal in the reader's language."""
    msgid = {
        "clients": _("Clients with scores: %(n)s; a growth model needs at least %(min)s."),
        "repeated": _("Clients measured twice or more: %(n)s; growth needs at least %(min)s."),
        "effects": _(
            "%(k)s fixed effects for %(n)s clients with repeated scores; use fewer "
            "moderators or gather more data (about 5 clients per effect)."
        ),
        "groups": _("Levels of %(group)s: %(n)s; a random effect needs at least %(min)s."),
    }.get(exc.code)
    if msgid is None:
        return Section(message=str(exc))
    return Section(message=msgid, params=dict(exc.params))


def _growth(model_data: pd.DataFrame, spec: GrowthSpec) -> Section:
    """The growth model, or the engine's own plain reason why it cannot be fitted.

    Only the engine's refusals (too few clients, a formula or design it rejects, a
    matrix that is not positive definite) become a message; anything else is a bug and
    is raised, not hidden in the report.
    """
    if not len(model_data):
        return Section(message=_("No scores of the plan's outcome in this study."))
    try:
        return Section(fit_growth(model_data, spec))
    except TooFewError as exc:
        return too_few_section(exc)
    except (MultilevelError, np.linalg.LinAlgError) as exc:
        return Section(message=engine_refusal(exc))


def run_analyses(
    frame: pd.DataFrame,
    plan: Plan,
    *,
    kinds: dict[str, str] | None = None,
    info: OutcomeInfo | None = None,
    gas_last: pd.Series | None = None,
    caseload: pd.DataFrame | None = None,
    n_boot: int = 500,
    seed: int = 1,
) -> Results:
    """Every analysis of the study report, in order, as the plan says; see docs/insight.md."""
    kinds = kinds or {}
    info = info or OutcomeInfo("score")
    model_data, spec, centres = model_frame(frame, plan, kinds)
    waves = (
        frame.groupby(["wave", "informant"]).size().unstack(fill_value=0)
        if len(frame) and not plan.outcome.is_gas
        else pd.DataFrame()
    )
    traj = (
        per_trajectory(frame, plan)
        if len(frame)
        else pd.DataFrame(columns=["before", "after", "change", *plan.variables()])
    )
    steps: list[Section] = []
    steps.append(Section(message=_("change per trajectory (first and last score)")))
    change = _change(traj, info)
    gas = _gas(gas_last)
    steps.append(
        Section(message=_("growth model: %(formula)s"), params={"formula": spec.formula()})
    )
    growth = _growth(model_data, spec)
    meds = []
    for exposure, mediator in plan.mediators:
        steps.append(
            Section(
                message=_("mediation: %(x)s -> %(m)s -> change (%(n)s cluster bootstraps)"),
                params={"x": exposure, "m": mediator, "n": n_boot},
            )
        )
        if traj.empty:
            # Without trajectories there are no columns to name: say what is missing.
            meds.append(Section(message=_("No trajectories with two or more scores.")))
            continue
        try:
            meds.append(
                Section(
                    mediation(
                        traj.dropna(subset=[exposure, mediator]),
                        exposure,
                        mediator,
                        "change",
                        ["before"],
                        cluster="professional",
                        n_boot=n_boot,
                        seed=seed,
                    )
                )
            )
        except (ValueError, KeyError):
            meds.append(
                Section(
                    message=_("The mediation %(x)s -> %(m)s cannot be estimated on these data."),
                    params={"x": exposure, "m": mediator},
                )
            )
    steps.append(Section(message=_("agreement between informants at the same wave")))
    agreement = _agreement(frame, info) if len(frame) else Section(message=_("No measurements."))
    voices = Section(message=_("No caseload given."))
    if caseload is not None and len(caseload):
        steps.append(
            Section(message=_("representation: respondents and storytellers against the caseload"))
        )
        voices = Section(
            representation(caseload, ["target_group", "age_band", "neighbourhood", "language"])
        )
    results = Results(
        plan,
        spec,
        centres,
        model_data,
        int(frame["client"].nunique()) if len(frame) else 0,
        int(frame["trajectory"].nunique()) if len(frame) else 0,
        len(frame),
        waves,
        change,
        gas,
        growth,
        meds,
        agreement,
        voices,
        steps=steps,
        growth_notes=(
            [Section(message=m, params=p) for m, p in growth_notes(growth.result.model)]
            if growth.ok
            else []
        ),
    )
    results.evidence = evidence_index(results)
    return results


def evidence_index(results: Results) -> dict[str, dict[str, Any]]:
    """Every estimate a CMO configuration can point to: model terms and mediation paths."""
    out: dict[str, dict[str, Any]] = {}
    if results.growth.ok:
        g: GrowthResult = results.growth.result
        for row in g.terms.itertuples():
            out[str(row.term)] = {
                "estimate": row.estimate,
                "low": row.low,
                "high": row.high,
                "p": row.p,
                "kind": "moderator",
            }
    for sec in results.mediation:
        if sec.ok:
            m: MediationResult = sec.result
            out[f"indirect:{m.exposure}->{m.mediator}"] = {
                "estimate": m.indirect,
                "low": m.boot_low,
                "high": m.boot_high,
                "p": m.sobel_p,
                "kind": "mediator",
            }
    return out


def significant(row: dict[str, Any]) -> bool:
    return bool(row["low"] > 0 or row["high"] < 0)


def expected_course(frame: pd.DataFrame) -> pd.DataFrame:
    """Reference for the not-on-track signal: change since intake per client and wave."""
    f = frame[(frame["informant"] == "client") & frame["score"].notna()].sort_values("time")
    first = f.groupby("trajectory")["score"].transform("first")
    return pd.DataFrame(
        {"group": f["target_group"], "months": f["time"] * 12, "change": f["score"] - first}
    )


def _nan_to_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value
