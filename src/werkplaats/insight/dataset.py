"""The data of a study's analysis, built from the database under the study's plan.

Only clients whose consent for the study stands *now* are in it; every key that points
to a person is a keyed hash per study (clients through
:func:`werkplaats.core.pseudonyms.study_pseudonym`, professionals likewise), so the same
client has unrelated keys in two studies. No names, no dates of birth, no calendar dates:
time is counted in years since the trajectory started; where another planned study shares
clients, in whole months, with per-client values coarsened and a client's series of an
outcome in one study's data only (:mod:`werkplaats.insight.linkage`).

* :func:`catalogue` lists the variables a plan can use (name, level, type, description,
  how it is computed, how many clients have it; the definitions are in
  :mod:`werkplaats.insight.variables`); :func:`catalogue_frame` computes them, one row
  per trajectory.
* The outcome's scores come from :mod:`werkplaats.insight.outcomes` (re-exported here).
* :func:`study_data` joins them into the rows the plan's analyses run on;
  :func:`item_answers` gives the outcome's item-level answers for re-analysis.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.utils.crypto import salted_hmac

from werkplaats.casework.models import (
    ActorKind,
    Contact,
    NetworkMember,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.context import selectors as context_selectors
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.insight import linkage
from werkplaats.insight.outcomes import (
    consenting_trajectories,
    gas_clients,
    gas_last_per_trajectory,
    measurements,
    outcome_info,
    outcome_options,
    scores_for,
)
from werkplaats.insight.plan import OutcomeInfo, Plan
from werkplaats.insight.variables import (
    AGE_BANDS,
    DUTCH,
    Variable,
    age_band,
    characteristics,
    code_name,
    definitions,
)
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.programme.models import Study

__all__ = [
    "AGE_BANDS",
    "KEYS",
    "StudyData",
    "Variable",
    "catalogue",
    "catalogue_frame",
    "code_name",
    "consenting_trajectories",
    "definitions",
    "gas_clients",
    "gas_last_per_trajectory",
    "item_answers",
    "measurements",
    "outcome_info",
    "outcome_options",
    "scores_for",
    "study_data",
    "trajectory_frame",
]

# The columns every analysis row carries besides the plan's variables.
KEYS = ["client", "trajectory", "professional", "team", "organisation", "municipality"]


def _key(study: Study, kind: str, pk: int) -> str:
    digest = salted_hmac(
        "werkplaats.study-key", f"{study.pk}:{kind}:{pk}", algorithm="sha256"
    ).hexdigest()
    return f"{kind[0].upper()}{study.pk}-{digest[:8].upper()}"


def trajectory_frame(study: Study) -> pd.DataFrame:
    """One row per trajectory of a consenting client: keys, where, for whom."""
    rows = list(
        consenting_trajectories(study).values_list(
            "pk",
            "client_id",
            "client__birth_year",
            "client__language",
            "client__neighbourhood__name",
            "client__neighbourhood__municipality__name",
            "client__neighbourhood__municipality_id",
            "lead_professional_id",
            "team_id",
            "team__name",
            "team__organisation_id",
            "team__organisation__name",
            "method_id",
            "start",
        )
    )
    cols = [
        "trajectory_id",
        "client_id",
        "birth_year",
        "language",
        "neighbourhood",
        "municipality",
        "municipality_id",
        "professional_id",
        "team_id",
        "team",
        "organisation_id",
        "organisation",
        "method_id",
        "start",
    ]
    t = pd.DataFrame(rows, columns=cols)
    if t.empty:
        return t
    groups: dict[int, list[str]] = defaultdict(list)
    for tid, code in (
        Trajectory.target_groups.through.objects.filter(
            trajectory_id__in=consenting_trajectories(study).values("pk")
        )
        .values_list("trajectory_id", "targetgroup__code")
        .order_by("trajectory_id", "targetgroup__code")
    ):
        groups[tid].append(code)
    t["codes"] = t["trajectory_id"].map(lambda x: groups.get(x, []))
    main = ("frail-elderly", "young-adults", "multi-problem-household")
    t["target_group"] = t["codes"].map(
        lambda g: next((m for m in main if m in g), g[0] if g else "?")
    )
    t["age_band"] = [age_band(b, s.year) for b, s in zip(t["birth_year"], t["start"], strict=True)]
    t["client"] = [study_pseudonym(study.pk, c) for c in t["client_id"]]
    order = t.groupby("client_id")["start"].rank(method="first").astype(int)
    t["trajectory"] = t["client"] + "/" + order.astype(str)
    keys = {p: _key(study, "professional", p) for p in t["professional_id"].unique()}
    t["professional"] = t["professional_id"].map(keys)
    return t


def _networks(study: Study) -> pd.DataFrame:
    """The first network snapshot of each trajectory: size and informal members."""
    rows = list(
        NetworkMember.objects.filter(
            snapshot__trajectory__in=consenting_trajectories(study)
        ).values_list("snapshot_id", "snapshot__trajectory_id", "snapshot__date", "formal")
    )
    m = pd.DataFrame(rows, columns=["snapshot_id", "trajectory_id", "date", "formal"])
    if m.empty:
        return pd.DataFrame(columns=["network_size_start", "informal_size_start"])
    g = (
        m.groupby(["snapshot_id", "trajectory_id", "date"])
        .agg(size=("formal", "size"), formal_n=("formal", "sum"))
        .reset_index()
        .sort_values(["date", "snapshot_id"])
        .groupby("trajectory_id")
        .first()
    )
    return pd.DataFrame(
        {
            "network_size_start": g["size"].astype(float),
            "informal_size_start": (g["size"] - g["formal_n"]).astype(float),
        }
    )


def _contacts(study: Study, t: pd.DataFrame) -> pd.DataFrame:
    """Per trajectory: alliance, contacts per month, video share, informal presence and
    the share of contacts with each working principle (own, and the professional's)."""
    qs = Contact.objects.filter(trajectory__in=consenting_trajectories(study))
    c = pd.DataFrame(
        list(
            qs.values_list(
                "pk",
                "trajectory_id",
                "date",
                "mode",
                "alliance_heard",
                "alliance_my_goals",
                "alliance_trust",
                "alliance_next",
            )
        ),
        columns=["contact_id", "trajectory_id", "date", "mode", "a1", "a2", "a3", "a4"],
    )
    if c.empty:
        return pd.DataFrame()
    c["alliance"] = c[["a1", "a2", "a3", "a4"]].astype(float).mean(axis=1)
    pr = pd.DataFrame(
        list(
            Contact.principles.through.objects.filter(contact__in=qs).values_list(
                "contact_id", "workingprinciple__code"
            )
        ),
        columns=["contact_id", "code"],
    )
    informal = list(ActorKind.objects.filter(code="informal-network").values_list("pk", flat=True))
    present = set(
        Contact.actors.through.objects.filter(
            contact__in=qs, actorkind_id__in=informal
        ).values_list("contact_id", flat=True)
    )
    c["informal_present"] = c["contact_id"].isin(present).astype(float)
    g = c.groupby("trajectory_id")
    out = pd.DataFrame(
        {
            "alliance_mean": g["alliance"].mean(),
            "informal_present_share": g["informal_present"].mean(),
        }
    )
    start = t.set_index("trajectory_id")["start"]
    last = g["date"].max()
    months = (pd.to_datetime(last) - pd.to_datetime(start.reindex(last.index))).dt.days / 30.44
    out["contacts_per_month"] = g.size() / months.clip(lower=1)
    remote = c[c["mode"].isin(["video", "phone"])]
    out["video_share"] = (remote["mode"] == "video").groupby(remote["trajectory_id"]).mean()
    prof_of = t.set_index("trajectory_id")["professional_id"]
    c["professional_id"] = c["trajectory_id"].map(prof_of)
    n_traj = g.size()
    n_prof = c.groupby("professional_id").size()
    for code in WorkingPrinciple.objects.values_list("code", flat=True):
        with_p = set(pr.loc[pr["code"] == code, "contact_id"])
        has = c["contact_id"].isin(with_p)
        own = has.groupby(c["trajectory_id"]).sum() / n_traj
        out[f"share_{code_name(code)}"] = own
        by_prof = has.groupby(c["professional_id"]).sum() / n_prof
        out[f"professional_share_{code_name(code)}"] = prof_of.reindex(out.index).map(by_prof)
    return out


def catalogue_frame(study: Study, names: list[str] | None = None) -> pd.DataFrame:
    """The catalogue's variables, one row per trajectory of a consenting client, with the
    trajectory's keys (``names``: only these variables, besides the keys)."""
    t = trajectory_frame(study)
    variables = definitions()
    wanted = {v.name for v in variables} if names is None else set(names)
    if t.empty:
        return pd.DataFrame(columns=["trajectory_id", *KEYS, *sorted(wanted)])
    f = t.set_index("trajectory_id", drop=False)
    out = f[
        [
            "trajectory_id",
            "client_id",
            *KEYS,
            "target_group",
            "age_band",
            "language",
            "neighbourhood",
            "start",
        ]
    ].copy()
    out["age_at_start"] = [
        (s.year - int(b)) if b is not None and not pd.isna(b) else np.nan
        for b, s in zip(f["birth_year"], f["start"], strict=True)
    ]
    lang = f["language"].fillna("").str.strip()
    out["language_other"] = np.where(
        lang == "", np.nan, (~lang.str.lower().isin(DUTCH)).astype(float)
    )
    for tg in TargetGroup.objects.values_list("code", flat=True):
        out[f"is_{code_name(tg)}"] = f["codes"].map(lambda g, c=tg: float(c in g))
    out["has_method"] = f["method_id"].notna().astype(float)
    if wanted & {"network_size_start", "informal_size_start", "informal_share_start"}:
        net = _networks(study)
        out = out.join(net, how="left")
        for col in ("network_size_start", "informal_size_start"):
            if col not in out:
                out[col] = np.nan
        out["informal_share_start"] = out["informal_size_start"] / out[
            "network_size_start"
        ].replace(0, np.nan)
    process = {v.name for v in variables if v.level == "process"} - {"has_method"}
    if wanted & process:
        contacts = _contacts(study, t)
        out = out.join(contacts, how="left")
    for model, prefix, name, _label in characteristics():
        column = f"{prefix}_{name}"
        if column not in wanted:
            continue
        fk = {
            "organisation": "organisation_id",
            "team": "team_id",
            "municipality": "municipality_id",
        }[prefix]
        values = dict(model.objects.values_list("pk", name))  # type: ignore[attr-defined]
        out[column] = f[fk].map(values).astype(float)
    measured = {name for name, _l, _c in context_selectors.catalogue_variables()} & wanted
    if measured:
        ends = dict(Trajectory.objects.filter(pk__in=list(f.index)).values_list("pk", "end"))
        units = {"team": "team_id", "organisation": "organisation_id"}
        for column in sorted(measured - set(out.columns)):
            fk = units.get(column.partition("_")[0], "municipality_id")
            rows = [
                (None if pd.isna(u) else int(u), s, ends.get(t))
                for u, s, t in zip(f[fk], f["start"], f.index, strict=True)
            ]
            out[column] = context_selectors.values_during(column, rows)
    for v in variables:
        if v.name not in out:
            out[v.name] = np.nan
    keep = [
        "trajectory_id",
        "client_id",
        *KEYS,
        "target_group",
        "age_band",
        "language",
        "neighbourhood",
        "start",
    ]
    return out[keep + [v.name for v in variables if v.name in wanted]].reset_index(drop=True)


def catalogue(study: Study) -> list[Variable]:
    """The variables a plan of ``study`` can use, with the number of clients having each."""
    variables = definitions()
    frame = catalogue_frame(study)
    for v in variables:
        if v.name in frame and len(frame):
            v.clients = int(frame.loc[frame[v.name].notna(), "client_id"].nunique())
    return variables


@dataclass
class StudyData:
    """What a plan's analyses read: every outcome row with the trajectory's variables."""

    rows: pd.DataFrame  # one row per measurement: keys, wave, time, informant, score, variables
    info: OutcomeInfo
    # clients whose series of this outcome is in an earlier study's data (insight.linkage)
    withheld_clients: int = 0
    withheld_for: tuple[str, ...] = ()
    # variables the plan keeps exact although another planned study shares clients
    linkable_on: tuple[str, ...] = ()
    # another planned study shares clients: time in whole months, per-client values coarse
    coarsened: bool = False


def study_data(study: Study, plan: Plan) -> StudyData:
    """The outcome rows joined with the catalogue variables the plan uses."""
    names = plan.variables()
    t = catalogue_frame(study, names)
    m = measurements(study, plan.outcome)
    info = outcome_info(
        study, plan.outcome, [int(v) for v in m["version_id"].dropna()] if len(m) else []
    )
    base = ["client", "trajectory", "professional", "team", "organisation", "municipality"]
    cols = [
        *base,
        "target_group",
        "age_band",
        "language",
        "neighbourhood",
        "wave",
        "time",
        "informant",
        "score",
        *names,
    ]
    if t.empty or m.empty:
        return StudyData(pd.DataFrame(columns=cols), info)
    guard = linkage.protection(study, plan, consenting_trajectories)
    left_out = t[
        t["trajectory_id"].isin(guard.withheld) & t["trajectory_id"].isin(m["trajectory_id"])
    ]
    m = m[~m["trajectory_id"].isin(guard.withheld)]
    f = m.merge(t, on="trajectory_id", how="inner")
    since = linkage.months_since_start if guard.coarsen else linkage.years_since_start
    f["time"] = since(f["wave_date"], f["start"])
    f["score"] = f["score"].astype(float)
    if guard.coarsen:
        f = linkage.coarsen(f, {v.name: v for v in definitions()}, plan.exact)
    f = f.sort_values(["trajectory", "wave_date", "informant"]).reset_index(drop=True)
    return StudyData(
        f[cols],
        info,
        withheld_clients=int(left_out["client"].nunique()),
        withheld_for=tuple(s.title for s in guard.withheld_for),
        linkable_on=plan.exact if guard.coarsen else (),
        coarsened=guard.coarsen,
    )


def item_answers(study: Study, plan: Plan) -> pd.DataFrame:
    """Item-level answers of the plan's instrument, for re-analysis (keys, no dates)."""
    cols = ["client", "trajectory", "wave", "time", "informant", "version", "item", "value"]
    if plan.outcome.is_gas:
        return pd.DataFrame(columns=cols)
    traj = trajectory_frame(study)
    if traj.empty:
        return pd.DataFrame(columns=cols)
    rows = list(
        Answer.objects.filter(
            assessment__trajectory__in=consenting_trajectories(study),
            assessment__instrument__slug=plan.outcome.instrument,
            assessment__status=Assessment.Status.COMPLETE,
        )
        .values_list(
            "assessment__trajectory_id",
            "assessment__wave",
            "assessment__wave_date",
            "assessment__informant",
            "assessment__version__label",
            "item_id",
            "value",
        )
        .order_by("assessment__trajectory_id", "assessment__wave_date", "assessment_id", "item_id")
    )
    a = pd.DataFrame(
        rows,
        columns=["trajectory_id", "wave", "wave_date", "informant", "version", "item", "value"],
    )
    if a.empty:
        return pd.DataFrame(columns=cols)
    guard = linkage.protection(study, plan, consenting_trajectories)
    a = a[~a["trajectory_id"].isin(guard.withheld)]
    a = a.merge(traj[["trajectory_id", "client", "trajectory", "start"]], on="trajectory_id")
    since = linkage.months_since_start if guard.coarsen else linkage.years_since_start
    a["time"] = since(a["wave_date"], a["start"])
    return a[cols]
