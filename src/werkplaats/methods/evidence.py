"""Practice-based evidence on a method's page: the workplace's own data, shaped for
:func:`werkplaats.stats.practice_evidence.practice_evidence`.

For each of the method's measures (the primary scale of each instrument in its
measurement plans: the default and each organisation's own; answered by the client
where a plan asks the client), one row per client: their latest trajectory with at least two scores, in a target group where the
method is used; whether it followed the method; its mean fidelity (share of checklist
items done over its fidelity records); and the change from first to last score, signed
so that positive is better. Aggregates over all of the workplace's trajectories, like
the team and organisation feedback: only disclosure-controlled figures leave here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Count, Q

from werkplaats.casework.models import Method, TargetGroup, Trajectory
from werkplaats.core.i18n import current_language
from werkplaats.insight.feedback import main_groups
from werkplaats.insight.models import AnalysisPlan
from werkplaats.insight.outcomes import scores_for
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.measurements.models import MethodSchedule, OrganisationSchedule, planned_entries
from werkplaats.methods.models import FidelityAnswer
from werkplaats.stats.definition import pick_text
from werkplaats.stats.practice_evidence import ARMS, HIGH_FIDELITY, practice_evidence
from werkplaats.stats.sdc import TOTAL


@dataclass
class MeasureEvidence:
    """The protected table of one measure, ready for the page."""

    label: str
    higher_is: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    clients: int = 0


def planned_measures(method: Method) -> list[dict[str, Any]]:
    """The instruments the method's trajectories are measured with, over the plans in
    force: the method's default and every organisation's own plan for it (the evidence
    spans organisations). Each instrument once, in the order first planned; a client
    informant where any plan asks the client."""
    schedules: list[MethodSchedule | OrganisationSchedule | None] = [
        MethodSchedule.objects.filter(method=method).first(),
        *OrganisationSchedule.objects.filter(method=method).order_by("organisation_id"),
    ]
    merged: dict[str, list[str]] = {}
    for schedule in schedules:
        for entry in planned_entries(schedule):
            informants = merged.setdefault(entry["instrument"], [])
            informants.extend(i for i in entry.get("informants") or [] if i not in informants)
    return [{"instrument": k, "informants": v} for k, v in merged.items()]


def measures(method: Method) -> list[tuple[str, str, str, str, str, tuple[float, float]]]:
    """(instrument, scale, informant, label, higher_is, change range) per planned instrument."""
    out = []
    for entry in planned_measures(method):
        version = (
            InstrumentVersion.objects.filter(instrument__slug=entry["instrument"])
            .order_by("-pk")
            .first()
        )
        if version is None:
            continue
        d = version.parsed
        scale = d.primary_scale
        if scale is None or scale.method == "gas":
            continue
        informants = entry.get("informants") or ["client"]
        informant = "client" if "client" in informants else informants[0]
        low, high = d.scale_range(scale)
        label = f"{version.instrument}: {pick_text(scale.label, current_language()) or scale.id}"
        out.append(
            (
                entry["instrument"],
                scale.id,
                informant,
                label,
                scale.higher_is,
                (low - high, high - low),
            )
        )
    return out


def fidelity_by_trajectory(trajectories: Any) -> dict[int, float]:
    """Mean share of checklist items done over each trajectory's fidelity records."""
    rows = list(
        FidelityAnswer.objects.filter(record__trajectory__in=trajectories)
        .values("record__trajectory_id", "record_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(done=True)))
    )
    if not rows:
        return {}
    f = pd.DataFrame(rows)
    f["share"] = f["done"] / f["total"]
    return {int(k): float(v) for k, v in f.groupby("record__trajectory_id")["share"].mean().items()}


def client_rows(
    method: Method, instrument: str, scale: str, informant: str, higher_is: str
) -> pd.DataFrame:
    """One row per client for :func:`practice_evidence` (see the module's docstring)."""
    cols = ["client", "group", "arm", "fidelity", "change"]
    with_method = Trajectory.objects.filter(method=method)
    groups = main_groups(Trajectory.objects.all())
    used_in = {groups[t] for t in with_method.values_list("pk", flat=True) if t in groups}
    if not used_in:
        return pd.DataFrame(columns=cols)
    candidates = Trajectory.objects.filter(pk__in=[t for t, g in groups.items() if g in used_in])
    s = scores_for(candidates, instrument, scale, informant)  # only the measure's informant
    s = s[s["score"].notna()]
    if s.empty:
        return pd.DataFrame(columns=cols)
    s = s.sort_values(["trajectory_id", "wave_date", "assessment_id"])
    g = s.groupby("trajectory_id")["score"].agg(["first", "last", "size"])
    g = g[g["size"] >= 2]
    sign = 1.0 if higher_is == "better" else -1.0
    info = {
        pk: (client, start, method_id)
        for pk, client, start, method_id in candidates.filter(pk__in=list(g.index)).values_list(
            "pk", "client_id", "start", "method_id"
        )
    }
    fidelity = fidelity_by_trajectory(candidates.filter(method=method))
    rows = []
    for tid, r in g.iterrows():
        client, start, method_id = info[int(tid)]
        followed = method_id == method.pk
        rows.append(
            (
                client,
                start,
                groups[int(tid)],
                "method" if followed else "without",
                fidelity.get(int(tid)) if followed else None,
                (float(r["last"]) - float(r["first"])) * sign,
            )
        )
    f = pd.DataFrame(rows, columns=["client", "start", "group", "arm", "fidelity", "change"])
    f = f.sort_values(["client", "start"]).groupby("client").tail(1)  # each client once
    return f[cols].reset_index(drop=True)


def method_evidence(method: Method) -> list[MeasureEvidence]:
    """The protected practice-based evidence table of each of the method's measures."""
    names = {tg.code: str(tg) for tg in TargetGroup.objects.all()}
    out = []
    for instrument, scale, informant, label, higher_is, change_range in measures(method):
        m = MeasureEvidence(label, higher_is)
        rows = client_rows(method, instrument, scale, informant, higher_is)
        if rows.empty:
            out.append(m)
            continue
        e = practice_evidence(rows, value_range=change_range)
        m.clients = e.clients
        for g in e.means.index:
            m.rows.append(
                {
                    "group": names.get(g, g) if g != TOTAL else None,
                    "cells": [
                        (e.counts.published.loc[g, a], e.means.loc[g, a])
                        if a in e.means.columns
                        else (0, None)
                        for a in [*ARMS, TOTAL]
                    ],
                    "difference": e.difference.loc[g, "method"],
                    "difference_high": e.difference.loc[g, "high"],
                    "difference_low": e.difference.loc[g, "low"],
                }
            )
        out.append(m)
    return out


def studies_estimating(method: Method) -> list[Any]:
    """Studies whose latest analysis plan takes following a method as a moderator: their
    report estimates the difference properly (multilevel, with the plan's covariates)."""
    latest: dict[int, AnalysisPlan] = {}
    for plan in AnalysisPlan.objects.select_related("study").order_by("study_id", "-version"):
        latest.setdefault(plan.study_id, plan)
    return [
        p.study
        for p in latest.values()
        if "has_method" in (p.content.get("moderators", {}).get("process") or [])
    ]


HIGH_FIDELITY_PERCENT = round(100 * HIGH_FIDELITY)
