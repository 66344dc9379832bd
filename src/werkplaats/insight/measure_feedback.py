"""Feedback on what the organisation measures: the professional's and the client's
progress pages and the municipality table follow the organisation's outcome measures
(``OutcomeMeasure``: instrument, scale, informant; none chosen: its most answered
questionnaire's main scale, see :func:`werkplaats.insight.feedback.measures_of`).

Direction comes from the scale's ``higher_is``: a *change* here is always "positive is
better", whatever the scale (for a loneliness scale a fall is an improvement), so the
not-on-track signal and the municipality's mean change read the same way for every
measure. Scores and ranges are the scale's own (``Definition.scale_range``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db.models import Q
from django.utils.translation import gettext as _

from werkplaats.casework.models import Trajectory
from werkplaats.insight import svg
from werkplaats.insight.outcomes import scores_for
from werkplaats.stats.progress import expected_change, on_track


@dataclass(frozen=True)
class MeasureInfo:
    """One outcome measure with what the pages need from its definition."""

    instrument: str
    scale: str
    informant: str
    label: str
    higher_is: str = "better"
    low: float | None = None
    high: float | None = None
    bands: tuple[Any, ...] = ()
    chosen: bool = True

    @property
    def sign(self) -> float:
        """+1 where a higher score is better, -1 where it is worse."""
        return 1.0 if self.higher_is == "better" else -1.0

    @property
    def y_range(self) -> tuple[float, float] | None:
        return (self.low, self.high) if self.low is not None and self.high is not None else None

    @property
    def axis(self) -> str:
        if self.low is None or self.high is None:
            return self.label
        return f"{self.label} ({self.low:g}-{self.high:g})"

    def band(self, value: float) -> str:
        """The scale's own words for a score (its bands), or empty."""
        from werkplaats.core.i18n import current_language
        from werkplaats.stats.definition import pick_text

        for band in self.bands:
            if band.min <= value <= band.max:
                return pick_text(band.label, current_language()) or ""
        return ""


def measure_info(instrument: str, scale: str, informant: str, chosen: bool = True) -> MeasureInfo:
    """Label, direction, range and bands of ``scale`` from the instrument's latest version
    (its definition parsed once)."""
    from werkplaats.core.i18n import current_language
    from werkplaats.instruments.models import InstrumentVersion
    from werkplaats.stats.definition import pick_text

    version = InstrumentVersion.objects.filter(instrument__slug=instrument).order_by("-pk").first()
    fallback = MeasureInfo(instrument, scale, informant, f"{instrument} · {scale}", chosen=chosen)
    if version is None:
        return fallback
    d = version.parsed
    try:
        s = d.scale(scale)
    except KeyError:
        return fallback
    low: float | None
    high: float | None
    try:
        low, high = d.scale_range(s)
    except (KeyError, ValueError, TypeError):
        low = high = None
    label = f"{version.instrument}: {pick_text(s.label, current_language()) or s.id}"
    return MeasureInfo(
        instrument, scale, informant, label, s.higher_is, low, high, tuple(s.bands), chosen
    )


def organisation_measures(organisation: Any) -> list[MeasureInfo]:
    from werkplaats.insight.feedback import measures_of

    return [measure_info(i, s, inf, chosen) for i, s, inf, chosen in measures_of(organisation)]


@dataclass
class MeasureProgress:
    """One measure of one trajectory: its scores, the change (positive is better) and the
    signal against comparable clients."""

    info: MeasureInfo
    points: list[dict[str, Any]] = field(default_factory=list)
    signal: bool | None = None  # True on track, False not on track, None: cannot say
    expected: tuple[float, float, int] | None = None
    figure: str = ""


def _own_scores(trajectories: Any, info: MeasureInfo) -> pd.DataFrame:
    s = scores_for(trajectories, info.instrument, info.scale, info.informant)
    return s[(s["informant"] == info.informant) & s["score"].notna()].sort_values(
        ["trajectory_id", "wave_date"]
    )


def reference(peers: Any, info: MeasureInfo, group: str) -> pd.DataFrame:
    """Comparable clients' change since their first score (positive is better), by months
    in trajectory: the reference of the not-on-track signal."""
    s = _own_scores(peers, info)
    if s.empty:
        return pd.DataFrame(columns=["group", "months", "change"])
    starts = dict(peers.values_list("pk", "start"))
    first = s.groupby("trajectory_id")["score"].transform("first")
    months = [
        (d - starts[t]).days / 30.44
        for t, d in zip(s["trajectory_id"], s["wave_date"], strict=True)
    ]
    return pd.DataFrame(
        {"group": group, "months": months, "change": ((s["score"] - first) * info.sign).to_numpy()}
    )


def measure_progress(trajectory: Trajectory, info: MeasureInfo, group: str) -> MeasureProgress:
    """The trajectory's scores on ``info`` against comparable clients (same target group,
    same organisation)."""
    mp = MeasureProgress(info)
    own = _own_scores(Trajectory.objects.filter(pk=trajectory.pk), info)
    if own.empty:
        return mp
    first = float(own["score"].iloc[0])
    for wave, day, value in zip(own["wave"], own["wave_date"], own["score"], strict=True):
        mp.points.append(
            {
                "wave": wave,
                "date": day,
                "score": value,
                "change": value - first,
                "better": (value - first) * info.sign,
                "words": info.band(value),
            }
        )
    last = mp.points[-1]
    months = (last["date"] - trajectory.start).days / 30.44
    peers = Trajectory.objects.filter(
        team__organisation_id=trajectory.team.organisation_id, target_groups__code=group
    ).exclude(pk=trajectory.pk)
    ref = reference(peers, info, group)
    if len(ref):
        mp.expected = expected_change(ref, group, months)
        if len(mp.points) >= 2:
            mp.signal = on_track(ref, group, months, last["better"])
    mp.figure = svg.lines(
        {
            _("this client"): [
                ((pt["date"] - trajectory.start).days / 30.44, pt["score"]) for pt in mp.points
            ]
        },
        info.label,
        _("months since the start"),
        info.axis,
        y_range=info.y_range,
    )
    return mp


def client_measure(trajectories: Any, organisations: list[Any]) -> MeasureInfo | None:
    """The measure the client's own page shows: the first of their organisation's measures
    that the client answered themselves."""
    for organisation in organisations:
        for info in organisation_measures(organisation):
            if info.informant == "client":
                return info
    return None


def municipality_measures(municipality: Any) -> list[MeasureInfo]:
    """The outcome measures of the organisations whose clients live in ``municipality``
    (each once, in the order the organisations chose them)."""
    from werkplaats.partnership.models import Organisation

    seen: dict[tuple[str, str, str], MeasureInfo] = {}
    organisations = Organisation.objects.filter(
        Q(teams__trajectories__client__neighbourhood__municipality=municipality)
    ).distinct()
    for organisation in organisations.order_by("pk"):
        for info in organisation_measures(organisation):
            seen.setdefault((info.instrument, info.scale, info.informant), info)
    return list(seen.values())


def municipality_csv(tables: list[Any]) -> str:
    """The municipality's tables as CSV: exactly what the page publishes (hidden cells
    empty), one row per neighbourhood × target group × measure."""
    import csv
    import io

    from werkplaats.core.tabular import safe_cell

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "municipality",
            "instrument",
            "scale",
            "informant",
            "neighbourhood",
            "target_group",
            "clients",
            "mean_change",
        ]
    )
    for t in tables:
        m = t.measure
        for name, counts, means in t.rows:
            for column, n, mean in zip(t.columns, counts, means, strict=True):
                w.writerow(
                    [
                        safe_cell(t.name),
                        m.instrument if m else "",
                        m.scale if m else "",
                        m.informant if m else "",
                        safe_cell(name),
                        safe_cell(column),
                        "" if n is None else n,
                        "" if mean is None else round(float(mean), 1),
                    ]
                )
    return buf.getvalue()


def progress_csv(trajectory: Trajectory, measures: list[MeasureProgress]) -> str:
    """The professional's progress page as CSV: one row per score on each measure, with
    the change since the start (and signed so that positive is better) and the signal."""
    import csv
    import io

    from werkplaats.core.tabular import safe_cell

    signal = {True: "on track", False: "not on track", None: "cannot say"}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "client",
            "instrument",
            "scale",
            "informant",
            "higher_is",
            "wave",
            "date",
            "score",
            "change_since_start",
            "better_since_start",
            "signal",
            "comparable_median_change",
            "comparable_lower_quartile_change",
        ]
    )
    for m in measures:
        median, low = (m.expected[1], m.expected[0]) if m.expected else ("", "")
        for pt in m.points:
            w.writerow(
                [
                    safe_cell(trajectory.client.pseudonym),
                    m.info.instrument,
                    m.info.scale,
                    m.info.informant,
                    m.info.higher_is,
                    safe_cell(pt["wave"]),
                    pt["date"].isoformat(),
                    pt["score"],
                    pt["change"],
                    pt["better"],
                    signal[m.signal],
                    median,
                    low,
                ]
            )
    return buf.getvalue()
