"""Feedback, each in its own form: professional, client, team/organisation (the
municipality's tables are in insight.municipality)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import caches
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from werkplaats.casework.models import TargetGroup, Trajectory
from werkplaats.insight import svg
from werkplaats.insight.outcomes import scores_for
from werkplaats.measurements import selectors as measurement_selectors
from werkplaats.stats.progress import on_track_table
from werkplaats.stats.sdc import (
    disclose,
    disclose_count,
)

# The client's and professional's progress pages speak of grip on one's life: the
# Pearlin Mastery Scale (7-28) that the measurement plans ask of every client.
OUTCOME = ("pearlin-mastery", "mastery")
MOST_ANSWERED_SECONDS = 3600  # how long the most answered questionnaire is kept
MAX = 28
MIN = 7


def _target_group(trajectory: Trajectory) -> str:
    codes = [g.code for g in trajectory.target_groups.all()]
    for main in ("frail-elderly", "young-adults", "multi-problem-household", "debt"):
        if main in codes:
            return main
    return codes[0] if codes else "?"


@dataclass
class Progress:
    trajectory: Trajectory
    # one per outcome measure of the organisation (measure_feedback.MeasureProgress)
    measures: list[Any] = field(default_factory=list)
    alliance: list[tuple[dt.date, float]] = field(default_factory=list)
    alliance_figure: str = ""
    overdue: list[Any] = field(default_factory=list)


def professional_progress(trajectory: Trajectory, today: dt.date) -> Progress:
    """Progress on each of the organisation's outcome measures against comparable clients
    (same target group, same organisation), alliance trend and overdue measurements."""
    from werkplaats.insight.measure_feedback import measure_progress, organisation_measures

    p = Progress(trajectory)
    group = _target_group(trajectory)
    p.measures = [
        measure_progress(trajectory, info, group)
        for info in organisation_measures(trajectory.team.organisation)
    ]
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


def _client_info(trajectories: QuerySet[Trajectory]) -> Any:
    """The measure of the client's own page: their organisation's first measure answered
    by the client; without one, the Pearlin Mastery Scale the measurement plans ask."""
    from werkplaats.insight.measure_feedback import MeasureInfo, client_measure
    from werkplaats.partnership.models import Organisation

    organisations = list(
        Organisation.objects.filter(teams__trajectories__in=trajectories).distinct().order_by("pk")
    )
    return client_measure(trajectories, organisations) or MeasureInfo(
        *OUTCOME, "client", "", "better", float(MIN), float(MAX)
    )


def client_progress(trajectories: QuerySet[Trajectory]) -> dict[str, Any]:
    """The client's own progress in plain words, with a simple picture, on their
    organisation's outcome measure (direction from the scale: "better" is better whether
    the scale goes up or down). The Pearlin Mastery Scale speaks of grip on one's life;
    another scale speaks of better and worse and "x of y points": its bands ("Matig
    eenzaam") are labels for professionals, not words a client should read about themselves."""
    info = _client_info(trajectories)
    own = scores_for(trajectories, info.instrument, info.scale, "client")
    own = own[own["informant"] == "client"].dropna(subset=["score"]).sort_values("wave_date")
    grip = (info.instrument, info.scale) == OUTCOME
    if own.empty:
        return {"points": [], "sentence": _("There are no answers of yours yet."), "figure": ""}
    first, last = float(own["score"].iloc[0]), float(own["score"].iloc[-1])
    low = info.low if info.low is not None else float(own["score"].min())
    high = info.high if info.high is not None else float(own["score"].max())
    span = (high - low) or 1.0
    points = [
        {"date": d, "score": s, "words": words_for(s) if grip else ""}
        for d, s in zip(own["wave_date"], own["score"], strict=True)
    ]
    better = (last - first) * info.sign
    threshold = 2.0 if grip else 0.1 * span
    if grip:
        if len(points) == 1:
            sentence = _("The first time you answered, %(words)s.") % {"words": words_for(first)}
        elif better >= threshold:
            sentence = _(
                "You now feel more in control of your life than at the start. "
                "At the start %(before)s; now %(after)s."
            ) % {"before": words_for(first), "after": words_for(last)}
        elif -better >= threshold:
            sentence = _(
                "You now feel less in control of your life than at the start. Talk "
                "about it with your social worker."
            )
        else:
            sentence = _(
                "You feel about as much in control of your life as at the start: %(w)s."
            ) % {"w": words_for(last)}
    elif len(points) == 1:
        sentence = _("You answered the questions once so far.")
    elif better >= threshold:
        sentence = _("Your answers are better now than at the start.")
    elif -better >= threshold:
        sentence = _(
            "Your answers are less good now than at the start. Talk about it with your "
            "social worker."
        )
    else:
        sentence = _("Your answers are about the same as at the start.")
    bars = []
    for d, s in zip(own["wave_date"], own["score"], strict=True):
        share = (s - low) / span
        bars.append((d.strftime("%d-%m-%Y"), 0.0, share if info.sign > 0 else 1 - share, False))
    figure = svg.bars(
        bars,
        _("How much grip you feel, each time you answered")
        if grip
        else _("How you are doing, each time you answered"),
        "",
        _("grip on your life") if grip else _("better"),
    )
    return {
        "points": points,
        "sentence": sentence,
        "figure": figure,
        "grip": grip,
        "high": high,
    }


MAIN_GROUPS = ("frail-elderly", "young-adults", "multi-problem-household", "debt")


@dataclass
class MeasureFeedback:
    """Change on one outcome measure in a unit (team, organisation), disclosure-controlled:
    a figure over fewer than ``THRESHOLD`` trajectories is not shown."""

    instrument: str
    scale: str
    informant: str
    label: str
    higher_is: str
    chosen: bool  # False: the organisation chose none; its most answered scale is shown
    n: int | None = None
    mean_change: float | None = None
    by_group: list[tuple[str, int | None, float | None]] = field(default_factory=list)
    trend: list[tuple[int, int | None, float | None]] = field(default_factory=list)
    figure: str = ""
    not_on_track: list[dict[str, Any]] = field(default_factory=list)


def measures_of(organisation: Any) -> list[tuple[str, str, str, bool]]:
    """(instrument, scale, informant, chosen) of the organisation's outcome measures."""
    from werkplaats.insight.models import OutcomeMeasure
    from werkplaats.instruments.models import InstrumentVersion
    from werkplaats.measurements.models import Assessment

    chosen = [
        (m.instrument, m.scale, m.informant, True)
        for m in OutcomeMeasure.objects.filter(organisation=organisation)
    ]
    if chosen:
        return chosen
    # None chosen: the most answered questionnaire, which means counting every completed
    # questionnaire of the organisation (14 ms of each caseload page at 20,000 clients).
    # Which one that is hardly moves, so the answer is kept an hour in the shared cache,
    # as long as the not-on-track reference it is compared with (insight.on_track).
    key = f"insight:most-answered-measure:{organisation.pk}"
    kept: list[tuple[str, str, str, bool]] | None = caches["shared"].get(key)
    if kept is not None:
        return kept
    top = (
        Assessment.objects.filter(
            trajectory__team__organisation=organisation, status="complete", informant="client"
        )
        .values("instrument__slug")
        .annotate(n=Count("pk"))
        .order_by("-n", "instrument__slug")
        .first()
    )
    found: list[tuple[str, str, str, bool]] = []
    if top is not None:
        version = (
            InstrumentVersion.objects.filter(instrument__slug=top["instrument__slug"])
            .order_by("-pk")
            .first()
        )
        primary = version.parsed.primary_scale if version is not None else None
        if primary is not None:
            found = [(top["instrument__slug"], primary.id, "client", False)]
    caches["shared"].set(key, found, MOST_ANSWERED_SECONDS)
    return found


def main_groups(trajectories: Any) -> dict[int, str]:
    """The main target group of each trajectory (one SQL query)."""
    codes: dict[int, list[str]] = {}
    for tid, code in Trajectory.target_groups.through.objects.filter(
        trajectory__in=trajectories
    ).values_list("trajectory_id", "targetgroup__code"):
        codes.setdefault(tid, []).append(code)
    return {tid: next((m for m in MAIN_GROUPS if m in c), sorted(c)[0]) for tid, c in codes.items()}


def _scale_info(instrument: str, scale: str) -> tuple[str, str]:
    from werkplaats.core.i18n import current_language
    from werkplaats.instruments.models import InstrumentVersion
    from werkplaats.stats.definition import pick_text

    version = InstrumentVersion.objects.filter(instrument__slug=instrument).order_by("-pk").first()
    if version is None:
        return f"{instrument} · {scale}", "better"
    try:
        s = version.parsed.scale(scale)
    except KeyError:
        return f"{instrument} · {scale}", "better"
    return f"{version.instrument}: {pick_text(s.label, current_language()) or s.id}", s.higher_is


def _shown(clients: int, value: float) -> tuple[int | None, float | None]:
    """(count of distinct clients, value) under the disclosure rules of stats.sdc: both
    hidden under 10 clients, the count rounded to 5."""
    return disclose_count(clients), disclose(value, clients)


def unit_outcomes(
    unit: Any, organisation: Any, *, not_on_track: bool = False
) -> list[MeasureFeedback]:
    """Change on each of the organisation's outcome measures in ``unit`` (trajectories):
    mean first-to-last change, per target group, the mean score by time in trajectory, and
    (for a team manager) the trajectories not on track against the organisation's
    comparable clients (same target group, same time band)."""
    out = []
    org_trajectories = Trajectory.objects.filter(team__organisation=organisation)
    unit_ids = set(unit.values_list("pk", flat=True))
    starts = dict(org_trajectories.values_list("pk", "start"))
    client_of = dict(org_trajectories.values_list("pk", "client_id"))
    groups = main_groups(org_trajectories)
    for instrument, scale, informant, chosen in measures_of(organisation):
        label, higher_is = _scale_info(instrument, scale)
        m = MeasureFeedback(instrument, scale, informant, label, higher_is, chosen)
        s = scores_for(org_trajectories, instrument, scale, informant)
        s = s[(s["informant"] == informant) & s["score"].notna()]
        if s.empty:
            out.append(m)
            continue
        s = s.assign(
            months=[
                (d - starts[t]).days / 30.44
                for t, d in zip(s["trajectory_id"], s["wave_date"], strict=True)
            ],
            group=s["trajectory_id"].map(lambda t: groups.get(t, "?")),
            client=s["trajectory_id"].map(client_of),
        ).sort_values(["trajectory_id", "wave_date"])
        first = s.groupby("trajectory_id")["score"].transform("first")
        sign = 1.0 if higher_is == "better" else -1.0
        s["change"] = (s["score"] - first) * sign  # positive: better, whatever the scale
        mine = s[s["trajectory_id"].isin(unit_ids)]
        last = mine.groupby("trajectory_id").agg(
            n=("score", "size"),
            change=("change", "last"),
            months=("months", "last"),
            group=("group", "first"),
            client=("client", "first"),
        )
        last = last[last["n"] >= 2]
        m.n, m.mean_change = _shown(
            len(last), float(last["change"].mean() * sign) if len(last) else 0.0
        )
        names = {g.code: str(g) for g in TargetGroup.objects.all()}
        for g, sub in last.groupby("group"):
            n, v = _shown(int(sub["client"].nunique()), float(sub["change"].mean() * sign))
            m.by_group.append((names.get(str(g), str(g)), n, v))
        band = (mine["months"] / 3).round().astype(int) * 3
        for b, sub in mine.groupby(band):
            if b <= 24:
                n, v = _shown(int(sub["client"].nunique()), float(sub["score"].mean()))
                m.trend.append((int(b), n, v))
        points = [(float(b), float(v)) for b, n, v in m.trend if v is not None]
        if len(points) >= 2:
            m.figure = svg.lines(
                {label: points},
                _("Mean score by time in trajectory"),
                _("months since the start"),
                label,
            )
        if not_on_track and len(last):
            reference = s.rename(columns={})[["group", "months", "change"]]
            pseudonyms = dict(
                Trajectory.objects.filter(pk__in=list(last.index)).values_list(
                    "pk", "client__pseudonym"
                )
            )
            signals = on_track_table(reference, last)
            for tid, row in last.iterrows():
                if signals[tid] is False:
                    m.not_on_track.append(
                        {
                            "pk": tid,
                            "pseudonym": pseudonyms.get(tid, ""),
                            "group": names.get(row["group"], row["group"]),
                            "months": row["months"],
                            "change": row["change"] * sign,
                        }
                    )
        out.append(m)
    return out


def outcomes_csv(name: str, measures: list[MeasureFeedback]) -> str:
    """The unit's outcome figures as CSV (the same disclosure control as the page)."""
    import csv
    import io

    from werkplaats.core.tabular import safe_cell

    buf = io.StringIO()
    w = csv.writer(buf)
    name = safe_cell(name)
    w.writerow(["unit", "instrument", "scale", "informant", "breakdown", "group", "n", "value"])
    for m in measures:
        w.writerow(
            [name, m.instrument, m.scale, m.informant, "mean change", "all", m.n, m.mean_change]
        )
        for g, n, v in m.by_group:
            w.writerow(
                [name, m.instrument, m.scale, m.informant, "mean change", safe_cell(g), n, v]
            )
        for b, n, v in m.trend:
            w.writerow([name, m.instrument, m.scale, m.informant, "mean score at month", b, n, v])
    return buf.getvalue()
