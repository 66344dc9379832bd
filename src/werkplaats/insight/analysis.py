"""The analysis pipeline of a study report: plain Python over the tidy data set.

No Django here: :func:`run_analyses` takes the DataFrames the selectors built and returns
plain results that the report renders. Every step that cannot run on the data it got
says why (``message``) instead of printing numbers that mean nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from werkplaats.stats.change import reliable_change
from werkplaats.stats.effects import Effect, paired_effect
from werkplaats.stats.growth import GrowthResult, GrowthSpec, TooFewError, fit_growth
from werkplaats.stats.mediation import MediationResult, mediation
from werkplaats.stats.multilevel import MultilevelError
from werkplaats.stats.raters import BlandAltman, IccResult, bland_altman, discrepancy_by_group, icc
from werkplaats.stats.voices import representation

# Centres for the model's moderators, so that main effects read at a typical value.
CENTRES = {"net0": 3.5, "sb_prof": 0.5, "out_prof": 0.3, "policy": 3.0, "video_share": 0.5}

DEFAULT_SPEC = GrowthSpec(
    outcome="score",
    client_level=["net0_c", "frail", "video_c"],
    with_whom=["sb_c", "out_c"],
    context=["policy_c"],
    interactions=[("sb_c", "net0_c"), ("out_c", "frail")],
)

MEDIATORS = [("has_method", "alliance_trajectory"), ("has_method", "sb_trajectory")]


@dataclass
class Section:
    """One analysis: its result, or a message saying why it could not run."""

    result: Any = None
    message: str = ""

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
    spec: GrowthSpec
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
    steps: list[str] = field(default_factory=list)


def model_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The client's own scores with the centred moderators the model uses."""
    f = frame[frame["informant"] == "client"].copy()
    f["net0_c"] = f["net0"].astype(float) - CENTRES["net0"]
    f["sb_c"] = f["sb_prof"].astype(float) - CENTRES["sb_prof"]
    f["out_c"] = f["out_prof"].astype(float) - CENTRES["out_prof"]
    f["policy_c"] = f["policy"].astype(float) - CENTRES["policy"]
    f["video_c"] = f["video_share"].astype(float) - CENTRES["video_share"]
    f["score"] = f["score"].astype(float)
    return f


def per_trajectory(frame: pd.DataFrame) -> pd.DataFrame:
    """First and last client score per trajectory, with trajectory-level working factors."""
    f = frame[(frame["informant"] == "client") & frame["score"].notna()]
    f = f.sort_values(["trajectory", "time"])
    g = f.groupby("trajectory")
    out = pd.DataFrame(
        {
            "before": g["score"].first(),
            "after": g["score"].last(),
            "waves": g.size(),
            "years": g["time"].last() - g["time"].first(),
            "has_method": g["has_method"].first(),
            "alliance_trajectory": g["alliance_trajectory"].first(),
            "sb_trajectory": g["sb_share"].mean(),
            "professional": g["professional"].first(),
            "target_group": g["target_group"].first(),
            "gas_t": g["gas_t"].last(),
        }
    )
    out = out[out["waves"] >= 2]
    out["change"] = out["after"] - out["before"]
    return out


def _change(traj: pd.DataFrame, norms: dict[str, float | None] | None) -> Section:
    if len(traj) < 3:
        return Section(message=f"Only {len(traj)} trajectories with two or more scores.")
    try:
        effect = paired_effect(traj["before"], traj["after"])
    except ValueError as exc:
        return Section(message=str(exc))
    counts = {"improved": 0, "unchanged": 0, "deteriorated": 0}
    sd = (norms or {}).get("sd")
    reliability = (norms or {}).get("reliability")
    if sd and reliability:
        for b, a in zip(traj["before"], traj["after"], strict=True):
            rc = reliable_change(b, a, sd=sd, reliability=reliability)
            counts[rc.direction] += 1
    # "norm_mean": the norms allow clinically significant change; "no_norm_mean": they don't
    clinical = "norm_mean" if norms and norms.get("mean") is not None else "no_norm_mean"
    return Section(
        ChangeSummary(
            len(traj),
            float(traj["before"].mean()),
            float(traj["after"].mean()),
            effect,
            clinical=clinical,
            **counts,
        )
    )


def _gas(traj: pd.DataFrame) -> Section:
    g = traj["gas_t"].dropna()
    if len(g) < 3:
        return Section(message="Too few trajectories with goal attainment scores.")
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


def _agreement(frame: pd.DataFrame) -> Section:
    wide = frame.pivot_table(
        index=["trajectory", "wave"], columns="informant", values="score", aggfunc="first"
    )
    if "client" not in wide or "professional" not in wide:
        return Section(message="No waves where both the client and the professional answered.")
    pairs = wide[["client", "professional"]].dropna().reset_index()
    if len(pairs) < 10:
        return Section(message=f"Only {len(pairs)} waves with both informants; 10 needed.")
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


def _growth(f: pd.DataFrame, spec: GrowthSpec) -> Section:
    """The growth model, or the plain reason it could not be fitted."""
    if not len(f):
        return Section(message="No client scores in this study.")
    try:
        return Section(fit_growth(f, spec))
    except TooFewError as exc:
        return Section(message=str(exc))
    except (MultilevelError, np.linalg.LinAlgError) as exc:
        # The engine's own refusals (formula, data, design) and a numerically singular
        # system carry a plain message; anything else is a bug and is not hidden here.
        return Section(message=f"The growth model could not be fitted: {exc}")


def run_analyses(
    frame: pd.DataFrame,
    *,
    spec: GrowthSpec | None = None,
    norms: dict[str, float | None] | None = None,
    caseload: pd.DataFrame | None = None,
    n_boot: int = 500,
    seed: int = 1,
) -> Results:
    """Every analysis of the study report, in order; see docs/insight.md."""
    spec = spec or DEFAULT_SPEC
    steps = []
    f = model_frame(frame)
    waves = (
        frame.groupby(["wave", "informant"]).size().unstack(fill_value=0)
        if len(frame)
        else pd.DataFrame()
    )
    traj = (
        per_trajectory(frame)
        if len(frame)
        else pd.DataFrame(columns=["before", "after", "gas_t", "change"])
    )
    steps.append("change per trajectory (first and last client score)")
    change = _change(traj, norms)
    gas = _gas(traj)
    steps.append(f"growth model: {spec.formula()}")
    growth = _growth(f, spec)
    meds = []
    for exposure, mediator in MEDIATORS:
        steps.append(f"mediation: {exposure} -> {mediator} -> change ({n_boot} cluster bootstraps)")
        if traj.empty:
            # Without trajectories there are no columns to name: say what is missing.
            meds.append(Section(message="No trajectories with two or more scores."))
            continue
        try:
            meds.append(
                Section(
                    mediation(
                        traj,
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
        except (ValueError, KeyError) as exc:
            meds.append(Section(message=str(exc)))
    steps.append("agreement between client and professional at the same wave")
    agreement = _agreement(frame) if len(frame) else Section(message="No measurements.")
    voices = Section(message="No caseload given.")
    if caseload is not None and len(caseload):
        steps.append("representation: respondents and storytellers against the caseload")
        voices = Section(
            representation(caseload, ["target_group", "age_band", "neighbourhood", "language"])
        )
    results = Results(
        spec,
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
