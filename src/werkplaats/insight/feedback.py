"""Feedback, each in its own form: professional, client, team/organisation, municipality."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from werkplaats.casework.models import TargetGroup, Trajectory
from werkplaats.insight import svg
from werkplaats.insight.analysis import expected_course
from werkplaats.insight.dataset import scores_for
from werkplaats.measurements import selectors as measurement_selectors
from werkplaats.stats.progress import expected_change, on_track
from werkplaats.stats.sdc import TOTAL, ProtectedTable, protect_means, protect_table

MAX = 28
MIN = 7


def _target_group(trajectory: Trajectory) -> str:
    codes = [g.code for g in trajectory.target_groups.all()]
    for main in ("frail-elderly", "young-adults", "multi-problem-household", "debt"):
        if main in codes:
            return main
    return codes[0] if codes else "?"


def _reference(trajectory: Trajectory) -> pd.DataFrame:
    """Comparable clients: the same target group in the same organisation."""
    group = _target_group(trajectory)
    peers = Trajectory.objects.filter(
        team__organisation_id=trajectory.team.organisation_id, target_groups__code=group
    ).exclude(pk=trajectory.pk)
    s = scores_for(peers)
    if s.empty:
        return pd.DataFrame(columns=["group", "months", "change"])
    starts = dict(peers.values_list("pk", "start"))
    s = s[s["informant"] == "client"].dropna(subset=["score"]).copy()
    s["time"] = [
        (d - starts[t]).days / 365.25
        for t, d in zip(s["trajectory_id"], s["wave_date"], strict=True)
    ]
    s["trajectory"] = s["trajectory_id"]
    s["target_group"] = group
    return expected_course(s.rename(columns={}))


@dataclass
class Progress:
    trajectory: Trajectory
    points: list[dict[str, Any]] = field(default_factory=list)
    signal: bool | None = None  # True on track, False not on track, None: cannot say
    expected: tuple[float, float, int] | None = None
    alliance: list[tuple[dt.date, float]] = field(default_factory=list)
    alliance_figure: str = ""
    figure: str = ""
    overdue: list[Any] = field(default_factory=list)


def professional_progress(trajectory: Trajectory, today: dt.date) -> Progress:
    """Progress against comparable clients, alliance trend and overdue measurements."""
    p = Progress(trajectory)
    own = scores_for(Trajectory.objects.filter(pk=trajectory.pk))
    own = own[own["informant"] == "client"].dropna(subset=["score"]).sort_values("wave_date")
    if len(own):
        first = float(own["score"].iloc[0])
        for wave, day, value in zip(own["wave"], own["wave_date"], own["score"], strict=True):
            p.points.append({"wave": wave, "date": day, "score": value, "change": value - first})
        last = p.points[-1]
        months = (last["date"] - trajectory.start).days / 30.44
        reference = _reference(trajectory)
        group = _target_group(trajectory)
        p.expected = (
            expected_change(reference.assign(group=group), group, months)
            if len(reference)
            else None
        )
        if len(p.points) >= 2 and len(reference):
            p.signal = on_track(reference.assign(group=group), group, months, last["change"])
        p.figure = svg.lines(
            {
                _("this client"): [
                    ((pt["date"] - trajectory.start).days / 30.44, pt["score"]) for pt in p.points
                ]
            },
            _("Mastery over time"),
            _("months since the start"),
            _("mastery (7-28)"),
            y_range=(7, 28),
        )
    contacts = trajectory.contacts.order_by("date")
    for c in contacts:
        mean = c.alliance_mean()
        if mean is not None:
            p.alliance.append((c.date, mean))
    if len(p.alliance) >= 2:
        p.alliance_figure = svg.lines(
            {_("alliance"): [((d - trajectory.start).days / 30.44, v) for d, v in p.alliance]},
            _("Alliance check over time"),
            _("months since the start"),
            _("alliance (1-5)"),
            y_range=(1, 5),
        )
    view = measurement_selectors.plan_view(trajectory)
    p.overdue = [
        r
        for r in measurement_selectors.wave_rows(trajectory, view, today)
        if r.state in ("overdue", "missed")
    ]
    return p


def words_for(score: float) -> str:
    """A score never without words (B1 language)."""
    share = (score - MIN) / (MAX - MIN)
    if share >= 0.75:
        return _("you feel you have a lot of grip on your life")
    if share >= 0.5:
        return _("you feel you have quite some grip on your life")
    if share >= 0.25:
        return _("you feel you have some grip on your life")
    return _("you feel you have little grip on your life")


def client_progress(trajectories: QuerySet[Trajectory]) -> dict[str, Any]:
    """The client's own progress in plain words, with a simple picture."""
    own = scores_for(trajectories)
    own = own[own["informant"] == "client"].dropna(subset=["score"]).sort_values("wave_date")
    if own.empty:
        return {"points": [], "sentence": _("There are no answers of yours yet."), "figure": ""}
    first, last = float(own["score"].iloc[0]), float(own["score"].iloc[-1])
    points = [
        {"date": d, "score": s, "words": words_for(s)}
        for d, s in zip(own["wave_date"], own["score"], strict=True)
    ]
    if len(points) == 1:
        sentence = _("The first time you answered, %(words)s.") % {"words": words_for(first)}
    elif last - first >= 2:
        sentence = _(
            "You now feel more in control of your life than at the start. "
            "At the start %(before)s; now %(after)s."
        ) % {"before": words_for(first), "after": words_for(last)}
    elif first - last >= 2:
        sentence = _(
            "You now feel less in control of your life than at the start. Talk "
            "about it with your social worker."
        )
    else:
        sentence = _("You feel about as much in control of your life as at the start: %(w)s.") % {
            "w": words_for(last)
        }
    bars = [
        (d.strftime("%d-%m-%Y"), 0.0, (s - MIN) / (MAX - MIN), False)
        for d, s in zip(own["wave_date"], own["score"], strict=True)
    ]
    figure = svg.bars(
        bars, _("How much grip you feel, each time you answered"), "", _("grip on your life")
    )
    return {"points": points, "sentence": sentence, "figure": figure}


@dataclass
class MunicipalityTable:
    name: str
    counts: ProtectedTable
    means: pd.DataFrame
    columns: list[str]
    rows: list[tuple[str, list[Any], list[Any]]]


def municipality_table(municipality: Any) -> MunicipalityTable:
    """Clients by neighbourhood × target group, and their mean change in mastery; protected.

    Each client is counted once (distinct clients, not trajectories), in the target group
    of their latest trajectory; their change runs from their first to their last own
    measurement. A mean is shown only where 10 or more clients contribute (stats.sdc).
    """
    trajectories = Trajectory.objects.filter(client__neighbourhood__municipality=municipality)
    rows = list(trajectories.values_list("pk", "client_id", "client__neighbourhood__name", "start"))
    per_trajectory = pd.DataFrame(
        rows, columns=["trajectory_id", "client_id", "neighbourhood", "start"]
    )
    groups: dict[int, str] = {}
    for t in trajectories.prefetch_related("target_groups"):
        groups[t.pk] = _target_group(t)
    per_trajectory["target_group"] = per_trajectory["trajectory_id"].map(groups)
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
    s = scores_for(trajectories)
    s = s[s["informant"] == "client"].dropna(subset=["score"]).sort_values("wave_date")
    client_of = dict(zip(per_trajectory["trajectory_id"], per_trajectory["client_id"], strict=True))
    s = s.assign(client_id=s["trajectory_id"].map(client_of))
    change = s.groupby("client_id")["score"].agg(["first", "last", "size"])
    change = change[change["size"] >= 2]
    frame["change"] = frame["client_id"].map(change["last"] - change["first"])
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
    shown = protect_means(means, protected, contributors, value_range=(MIN - MAX, MAX - MIN))
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
    )
