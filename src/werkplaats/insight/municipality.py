"""The municipality's outcomes: clients by neighbourhood × target group and their mean
change on each outcome measure of the organisations working there, disclosure-controlled
(``stats.sdc``), for its policy makers; kept until the data they read change
(``core.data_versions``, ``insight.inputs``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from django.utils import translation
from django.utils.translation import gettext as _

from werkplaats.casework.models import TargetGroup, Trajectory
from werkplaats.insight.feedback import MAX, MIN, OUTCOME, main_groups
from werkplaats.insight.outcomes import first_and_last
from werkplaats.stats.sdc import TOTAL, ProtectedTable, protect_means, protect_table


@dataclass
class MunicipalityTable:
    name: str
    counts: ProtectedTable
    means: pd.DataFrame
    columns: list[str]
    rows: list[tuple[str, list[Any], list[Any]]]
    measure: Any = None  # measure_feedback.MeasureInfo


def municipality_tables(municipality: Any) -> list[MunicipalityTable]:
    """One table per outcome measure of the organisations working in the municipality
    (none: the Pearlin Mastery Scale).

    Kept in the shared cache until one of the tables they read is written to
    (``core.data_versions``, ``insight.inputs``), per municipality and language: reading
    20,000 clients' scores and auditing the disclosure control take about 0.4 s of CPU,
    and the answer is the same for every policy maker of the municipality.
    """
    from werkplaats.core.data_versions import kept
    from werkplaats.insight import inputs

    return kept(
        f"insight:municipality:{municipality.pk}:{translation.get_language()}",
        inputs.municipality_outcomes(),
        lambda: _municipality_tables(municipality),
    )


def _municipality_tables(municipality: Any) -> list[MunicipalityTable]:
    from werkplaats.insight.measure_feedback import municipality_measures

    measures = municipality_measures(municipality)
    if not measures:
        return [municipality_table(municipality)]
    return [municipality_table(municipality, info) for info in measures]


def municipality_table(municipality: Any, info: Any = None) -> MunicipalityTable:
    """Clients by neighbourhood × target group, and their mean change on ``info`` (an
    outcome measure; default the Pearlin Mastery Scale); protected.

    Each client is counted once (distinct clients, not trajectories), in the target group
    of their latest trajectory; their change runs from their first to their last own
    measurement by the measure's informant, signed so that positive is better. A mean is
    shown only where 10 or more clients contribute (stats.sdc).
    """
    from werkplaats.insight.measure_feedback import MeasureInfo

    if info is None:
        info = MeasureInfo(*OUTCOME, "client", _("Mastery"), "better", float(MIN), float(MAX))
    trajectories = Trajectory.objects.filter(client__neighbourhood__municipality=municipality)
    rows = list(trajectories.values_list("pk", "client_id", "client__neighbourhood__name", "start"))
    per_trajectory = pd.DataFrame(
        rows, columns=["trajectory_id", "client_id", "neighbourhood", "start"]
    )
    groups = main_groups(trajectories)  # one query, not one object per trajectory
    per_trajectory["target_group"] = per_trajectory["trajectory_id"].map(
        lambda t: groups.get(t, "?")
    )
    frame = (
        per_trajectory.sort_values(["client_id", "start", "trajectory_id"])
        .groupby("client_id", as_index=False)
        .last()
    )
    counts = (
        pd.crosstab(frame["neighbourhood"], frame["target_group"])
        if len(frame)
        else (pd.DataFrame([[0]], index=["—"], columns=["—"]))
    )
    # each client's first and last score, by the database: one row per client
    ends = first_and_last(trajectories, info.instrument, info.scale, info.informant)
    change = ends[ends["n"] >= 2]
    frame["change"] = frame["client_id"].map((change["last"] - change["first"]) * info.sign)
    means, contributors = (
        (
            frame.pivot_table(
                index="neighbourhood",
                columns="target_group",
                values="change",
                aggfunc=how,
                margins=True,
                margins_name=TOTAL,
            )
            if frame["change"].notna().any()
            else pd.DataFrame()
        )
        for how in ("mean", "count")
    )
    protected = protect_table(counts)
    span = (
        (info.high - info.low)
        if info.low is not None and info.high is not None
        else float(ends["high"].max() - ends["low"].min())
        if len(ends)
        else 1.0
    )
    shown = protect_means(means, protected, contributors, value_range=(-span, span))
    table_rows = [
        (
            str(idx),
            list(protected.published.loc[idx]),
            [None if v is None or pd.isna(v) else v for v in shown.loc[idx]],
        )
        for idx in protected.published.index
    ]
    names = {g.code: str(g) for g in TargetGroup.objects.all()} | {TOTAL: _("total")}
    return MunicipalityTable(
        municipality.name,
        protected,
        shown,
        [names.get(str(c), str(c)) for c in protected.published.columns],
        [(_("total") if name == TOTAL else name, n, m) for name, n, m in table_rows],
        info,
    )
