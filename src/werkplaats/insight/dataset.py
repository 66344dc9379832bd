"""The tidy analysis data set of a study: one row per measurement, built from the database.

Only clients whose consent for the study stands *now* are in it; every key that points
to a person is a keyed hash per study (clients through
:func:`werkplaats.core.pseudonyms.study_pseudonym`, professionals likewise), so the same
client has unrelated keys in two studies. No names, no dates of birth, no calendar dates:
time is counted in years since the trajectory started. See docs/insight.md for the columns.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from django.utils.crypto import salted_hmac

from werkplaats.casework.models import (
    ActorKind,
    Contact,
    GoalScore,
    NetworkMember,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.core.pseudonyms import study_pseudonym
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import Answer, Assessment
from werkplaats.programme.models import Consent, Study
from werkplaats.stats.gas import gas_t_score
from werkplaats.stats.scoring import score

INSTRUMENT = "pearlin-mastery"
SCALE = "mastery"
AGE_BANDS = [
    (0, 27, "18-26"),
    (27, 45, "27-44"),
    (45, 65, "45-64"),
    (65, 75, "65-74"),
    (75, 200, "75+"),
]

# Column -> (label, value labels or None); also the codebook and the SPSS/Stata labels.
VARIABLES: dict[str, tuple[str, dict[Any, str] | None]] = {
    "client": ("Client, keyed hash per study", None),
    "trajectory": ("Trajectory of the client (client key / number)", None),
    "professional": ("Lead professional, keyed hash per study", None),
    "team": ("Team", None),
    "organisation": ("Practice organisation", None),
    "municipality": ("Municipality of the client's neighbourhood", None),
    "neighbourhood": ("Neighbourhood", None),
    "wave": ("Measurement wave (intake, m03, m06, ...)", None),
    "time": ("Years since the trajectory started", None),
    "informant": ("Who answered", None),
    "instrument": ("Instrument", None),
    "version": ("Instrument version (label and hash)", None),
    "score": ("Scale score (Pearlin Mastery 7-28, higher = more mastery)", None),
    "target_group": ("First target group", None),
    "frail": ("Target group frail elderly", {0: "no", 1: "yes"}),
    "mph": ("Target group multi-problem household", {0: "no", 1: "yes"}),
    "debt": ("Target group debt", {0: "no", 1: "yes"}),
    "young_adults": ("Target group young adults", {0: "no", 1: "yes"}),
    "age_band": ("Age band at the start", None),
    "language": ("Language at home", None),
    "method": ("Method followed (none if empty)", None),
    "has_method": ("Follows a method", {0: "no", 1: "yes"}),
    "network_size": ("Network members at the wave (latest snapshot)", None),
    "informal_n": ("Informal network members at the wave", None),
    "informal_share": ("Share of the network that is informal", None),
    "net0": ("Informal network members at the first snapshot", None),
    "contacts": ("Contacts in the period before the wave", None),
    "sb_share": ("Share of contacts in the period with the principle strengths-based", None),
    "out_share": ("Share of contacts in the period with the principle outreach", None),
    "informal_present": ("Share of contacts in the period with the informal network present", None),
    "sectors": ("Formal sectors involved in the period", None),
    "alliance": ("Mean alliance check (1-5) in the period", None),
    "alliance_trajectory": ("Mean alliance check (1-5) over the whole trajectory", None),
    "video_share": ("Share of remote contacts by video rather than phone (trajectory)", None),
    "sb_prof": ("Professional's share of strengths-based contacts (all clients)", None),
    "out_prof": ("Professional's share of outreach contacts (all clients)", None),
    "policy": ("Organisation's strengths-based policy (1-5)", None),
    "gas_t": ("GAS T-score of the goals at the wave", None),
}


def _key(study: Study, kind: str, pk: int) -> str:
    digest = salted_hmac(
        "werkplaats.study-key", f"{study.pk}:{kind}:{pk}", algorithm="sha256"
    ).hexdigest()
    return f"{kind[0].upper()}{study.pk}-{digest[:8].upper()}"


def consenting_trajectories(study: Study) -> Any:
    """Trajectories of clients whose consent for ``study`` stands now.

    A plain (uncorrelated) subquery: SQLite evaluates it once, where a correlated EXISTS
    was evaluated per row and made the data set quadratic in size.
    """
    active = Consent.objects.standing(study).values("client_id")
    return Trajectory.objects.filter(client_id__in=active)


def _age_band(birth_year: float | None, start_year: int) -> str:
    if birth_year is None or pd.isna(birth_year):
        return "?"
    age = start_year - int(birth_year)
    for lo, hi, label in AGE_BANDS:
        if lo <= age < hi:
            return label
    return "?"


def trajectory_frame(study: Study) -> pd.DataFrame:
    """One row per trajectory of a consenting client: who, where, for whom."""
    rows = list(
        consenting_trajectories(study).values_list(
            "pk",
            "client_id",
            "client__birth_year",
            "client__language",
            "client__neighbourhood__name",
            "client__neighbourhood__municipality__name",
            "lead_professional_id",
            "team__name",
            "team__organisation__name",
            "team__organisation__strengths_based_policy",
            "method__name",
            "start",
            "status",
        )
    )
    cols = [
        "trajectory_id",
        "client_id",
        "birth_year",
        "language",
        "neighbourhood",
        "municipality",
        "professional_id",
        "team",
        "organisation",
        "policy",
        "method",
        "start",
        "status",
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
    tg = t["trajectory_id"].map(lambda x: groups.get(x, []))
    t["target_group"] = tg.map(lambda g: g[0] if g else "?")
    for col, code in (
        ("frail", "frail-elderly"),
        ("mph", "multi-problem-household"),
        ("debt", "debt"),
        ("young_adults", "young-adults"),
    ):
        t[col] = tg.map(lambda g, c=code: int(c in g))
    # the first target group is the main one when a second (debt) was added
    t.loc[t["mph"] == 1, "target_group"] = "multi-problem-household"
    t.loc[t["young_adults"] == 1, "target_group"] = "young-adults"
    t.loc[t["frail"] == 1, "target_group"] = "frail-elderly"
    t["age_band"] = [_age_band(b, s.year) for b, s in zip(t["birth_year"], t["start"], strict=True)]
    t["has_method"] = t["method"].notna().astype(int)
    t["method"] = t["method"].fillna("")
    t["client"] = [study_pseudonym(study.pk, c) for c in t["client_id"]]
    order = t.groupby("client_id")["start"].rank(method="first").astype(int)
    t["trajectory"] = t["client"] + "/" + order.astype(str)
    keys = {p: _key(study, "professional", p) for p in t["professional_id"].unique()}
    t["professional"] = t["professional_id"].map(keys)
    return t


def _scores(study: Study, instrument: str, scale: str) -> pd.DataFrame:
    return scores_for(consenting_trajectories(study), instrument, scale)


def scores_for(trajectories: Any, instrument: str = INSTRUMENT, scale: str = SCALE) -> pd.DataFrame:
    """Completed assessments of ``trajectories`` with their scale score, one row each."""
    rows = list(
        Assessment.objects.filter(
            trajectory__in=trajectories,
            instrument__slug=instrument,
            status=Assessment.Status.COMPLETE,
        ).values_list("pk", "trajectory_id", "wave", "wave_date", "informant", "version_id")
    )
    a = pd.DataFrame(
        rows,
        columns=["assessment_id", "trajectory_id", "wave", "wave_date", "informant", "version_id"],
    )
    if a.empty:
        return a.assign(score=pd.Series(dtype=float), version="")
    answers: dict[int, dict[str, int]] = defaultdict(dict)
    for aid, item, value in (
        Answer.objects.filter(
            assessment__trajectory__in=trajectories,
            assessment__instrument__slug=instrument,
            assessment__status=Assessment.Status.COMPLETE,
        )
        .values_list("assessment_id", "item_id", "value")
        .iterator(chunk_size=20000)
    ):
        answers[aid][item] = value
    versions = {v.pk: v for v in InstrumentVersion.objects.filter(pk__in=set(a["version_id"]))}
    labels = {pk: f"{v.label} ({v.short_hash})" for pk, v in versions.items()}
    definitions = {pk: v.parsed for pk, v in versions.items()}
    cache: dict[tuple[int, tuple[tuple[str, int], ...]], float | None] = {}
    values = []
    for aid, vid in zip(a["assessment_id"], a["version_id"], strict=True):
        key = (vid, tuple(sorted(answers.get(aid, {}).items())))
        if key not in cache:
            cache[key] = score(definitions[vid], dict(key[1]))[scale].value
        values.append(cache[key])
    a["score"] = values
    a["version"] = a["version_id"].map(labels)
    a["instrument"] = instrument
    return a


def _networks(study: Study) -> pd.DataFrame:
    rows = list(
        NetworkMember.objects.filter(
            snapshot__trajectory__in=consenting_trajectories(study)
        ).values_list("snapshot_id", "snapshot__trajectory_id", "snapshot__date", "formal")
    )
    m = pd.DataFrame(rows, columns=["snapshot_id", "trajectory_id", "date", "formal"])
    if m.empty:
        return pd.DataFrame(columns=["trajectory_id", "date", "network_size", "informal_n"])
    g = (
        m.groupby(["snapshot_id", "trajectory_id", "date"])
        .agg(network_size=("formal", "size"), formal_n=("formal", "sum"))
        .reset_index()
    )
    g["informal_n"] = g["network_size"] - g["formal_n"]
    return g[["trajectory_id", "date", "network_size", "informal_n"]]


def _contacts(study: Study) -> pd.DataFrame:
    qs = Contact.objects.filter(trajectory__in=consenting_trajectories(study))
    rows = list(
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
    )
    c = pd.DataFrame(
        rows, columns=["contact_id", "trajectory_id", "date", "mode", "a1", "a2", "a3", "a4"]
    )
    if c.empty:
        return c
    c["alliance"] = c[["a1", "a2", "a3", "a4"]].astype(float).mean(axis=1)
    sb = WorkingPrinciple.objects.filter(code="strengths-based").values_list("pk", flat=True)
    out = WorkingPrinciple.objects.filter(code="outreach").values_list("pk", flat=True)
    pr = pd.DataFrame(
        list(
            Contact.principles.through.objects.filter(contact__in=qs).values_list(
                "contact_id", "workingprinciple_id"
            )
        ),
        columns=["contact_id", "p"],
    )
    c["sb"] = c["contact_id"].isin(pr.loc[pr["p"].isin(list(sb)), "contact_id"]).astype(float)
    c["out"] = c["contact_id"].isin(pr.loc[pr["p"].isin(list(out)), "contact_id"]).astype(float)
    kinds = {k.pk: k for k in ActorKind.objects.all()}
    ac = pd.DataFrame(
        list(
            Contact.actors.through.objects.filter(contact__in=qs).values_list(
                "contact_id", "actorkind_id"
            )
        ),
        columns=["contact_id", "k"],
    )
    informal = [pk for pk, k in kinds.items() if k.code == "informal-network"]
    formal = [pk for pk, k in kinds.items() if k.formal]
    c["informal_present"] = (
        c["contact_id"].isin(ac.loc[ac["k"].isin(informal), "contact_id"]).astype(float)
    )
    sectors = ac[ac["k"].isin(formal)].groupby("contact_id")["k"].nunique()
    c["sectors"] = c["contact_id"].map(sectors).fillna(0).astype(float)
    return c


def _gas(study: Study, measured: pd.DataFrame) -> pd.Series:
    """GAS T-score per measurement row: each goal's latest level on or before the wave."""
    rows = list(
        GoalScore.objects.filter(goal__trajectory__in=consenting_trajectories(study)).values_list(
            "goal__trajectory_id", "goal_id", "goal__weight", "date", "level"
        )
    )
    if not rows:
        return pd.Series(np.nan, index=measured.index)
    by_traj: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for tid, gid, weight, day, level in rows:
        by_traj[tid].append((day, gid, weight, level))
    for v in by_traj.values():
        v.sort()
    out = []
    for tid, day in zip(measured["trajectory_id"], measured["wave_date"], strict=True):
        latest: dict[int, tuple[int, int]] = {}
        for d, gid, weight, level in by_traj.get(tid, ()):
            if d > day:
                break
            latest[gid] = (level, weight)
        if latest:
            levels = [lv for lv, _w in latest.values()]
            weights = [w for _lv, w in latest.values()]
            out.append(gas_t_score(levels, weights))
        else:
            out.append(np.nan)
    return pd.Series(out, index=measured.index)


def analysis_frame(study: Study, instrument: str = INSTRUMENT, scale: str = SCALE) -> pd.DataFrame:
    """The tidy data set: one row per completed measurement of a consenting client."""
    t = trajectory_frame(study)
    columns = list(VARIABLES)
    if t.empty:
        return pd.DataFrame(columns=columns)
    s = _scores(study, instrument, scale)
    if s.empty:
        return pd.DataFrame(columns=columns)
    f = s.merge(t, on="trajectory_id", how="inner")
    f["time"] = (pd.to_datetime(f["wave_date"]) - pd.to_datetime(f["start"])).dt.days / 365.25
    f = f.sort_values(["trajectory_id", "wave_date", "informant"]).reset_index(drop=True)

    # network at the wave: the latest snapshot on or before the wave date (a week's grace)
    n = _networks(study)
    if len(n):
        n = n.assign(date=pd.to_datetime(n["date"]).astype("datetime64[ns]")).sort_values("date")
        left = (
            f[["trajectory_id", "wave_date"]]
            .assign(
                date=(pd.to_datetime(f["wave_date"]) + pd.Timedelta(days=7)).astype(
                    "datetime64[ns]"
                )
            )
            .reset_index()
        )
        joined = (
            pd.merge_asof(
                left.sort_values("date"), n, on="date", by="trajectory_id", direction="backward"
            )
            .set_index("index")
            .sort_index()
        )
        f["network_size"] = joined["network_size"]
        f["informal_n"] = joined["informal_n"]
        first = n.sort_values("date").groupby("trajectory_id")["informal_n"].first()
        f["net0"] = f["trajectory_id"].map(first)
    else:
        f["network_size"] = f["informal_n"] = f["net0"] = np.nan
    f["informal_share"] = f["informal_n"] / f["network_size"].replace(0, np.nan)

    # contacts in the period before each wave: after the previous wave, up to this one
    c = _contacts(study)
    if len(c):
        waves = (
            f[["trajectory_id", "wave_date"]]
            .drop_duplicates()
            .sort_values(["trajectory_id", "wave_date"])
        )
        waves["wave_at"] = pd.to_datetime(waves["wave_date"]).astype("datetime64[ns]")
        c["date"] = pd.to_datetime(c["date"]).astype("datetime64[ns]")
        assigned = pd.merge_asof(
            c.sort_values("date"),
            waves.sort_values("wave_at"),
            left_on="date",
            right_on="wave_at",
            by="trajectory_id",
            direction="forward",
        )
        period = (
            assigned.dropna(subset=["wave_date"])
            .groupby(["trajectory_id", "wave_date"])
            .agg(
                contacts=("contact_id", "size"),
                sb_share=("sb", "mean"),
                out_share=("out", "mean"),
                informal_present=("informal_present", "mean"),
                sectors=("sectors", "mean"),
                alliance=("alliance", "mean"),
            )
            .reset_index()
        )
        f = f.merge(period, on=["trajectory_id", "wave_date"], how="left")
        f["contacts"] = f["contacts"].fillna(0)
        f["alliance_trajectory"] = f["trajectory_id"].map(
            c.groupby("trajectory_id")["alliance"].mean()
        )
        prof_of = t.set_index("trajectory_id")["professional_id"]
        c["professional_id"] = c["trajectory_id"].map(prof_of)
        by_prof = c.groupby("professional_id")[["sb", "out"]].mean()
        remote = c[c["mode"].isin(["video", "phone"])]
        video = (remote["mode"] == "video").groupby(remote["trajectory_id"]).mean()
        f["video_share"] = f["trajectory_id"].map(video)
        f["sb_prof"] = f["professional_id"].map(by_prof["sb"])
        f["out_prof"] = f["professional_id"].map(by_prof["out"])
    else:
        for col in (
            "contacts",
            "sb_share",
            "out_share",
            "informal_present",
            "sectors",
            "alliance",
            "alliance_trajectory",
            "sb_prof",
            "out_prof",
            "video_share",
        ):
            f[col] = np.nan
    f["gas_t"] = _gas(study, f)
    return f[columns]
