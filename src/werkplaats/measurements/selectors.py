"""Reads of measurements shaped for the pages: waves and their state, the due list,
and the scores over waves per instrument and informant."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Q

from werkplaats.casework.models import Goal, GoalScore, Trajectory
from werkplaats.core.i18n import current_language
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.measurements.gas import GasPoint, GasSummary, gas_points
from werkplaats.measurements.models import (
    Assessment,
    MeasurementPlan,
    MethodSchedule,
    OrganisationSchedule,
    PlannedInstrument,
    planned_entries,
    schedule_for,
)
from werkplaats.measurements.schedule import LEAD_DAYS, Wave, plan_waves, wave_state
from werkplaats.partnership.models import Team, User
from werkplaats.stats.change import ReliableChange, reliable_change
from werkplaats.stats.definition import Band, Definition, Scale
from werkplaats.stats.gas import GoalRecord
from werkplaats.stats.scoring import score

GAS = "goal-attainment"
SCHEDULE_FIELDS = ("intake", "interval_months", "closure", "follow_up_months", "grace_days")


@dataclass
class PlanView:
    """A trajectory's plan as stored, or the default it would get (nothing is written)."""

    plan: MeasurementPlan | None
    fields: dict[str, int]
    planned: list[tuple[Instrument, str]]


@dataclass
class Preloaded:
    """What the due list reads once for many trajectories instead of once per trajectory."""

    plans: dict[int, MeasurementPlan]
    schedules: dict[int, MethodSchedule]
    own_schedules: dict[tuple[int, int], OrganisationSchedule]
    team_organisations: dict[int, int]
    instruments: dict[str, Instrument]
    goals: dict[int, list[int]]  # per trajectory: its goals' ids
    scores: dict[int, list[tuple[int, dt.date]]]  # per trajectory: (goal id, date) scored
    # per plan: its (instrument, informant) pairs, in the plan's order (slug, informant)
    planned: dict[int, list[tuple[Instrument, str]]] = field(default_factory=dict)

    def schedule_for(self, trajectory: Trajectory) -> MethodSchedule | OrganisationSchedule | None:
        """The organisation's own plan for the trajectory's method, else the method's."""
        if trajectory.method_id is None:
            return None
        organisation = self.team_organisations.get(trajectory.team_id)
        own = self.own_schedules.get((trajectory.method_id, organisation or 0))
        return own or self.schedules.get(trajectory.method_id)

    @classmethod
    def load(cls, trajectories: list[Trajectory]) -> Preloaded:
        # Ids, not the model objects: a filter normalises every object it is given, once
        # per query.
        ids = [t.pk for t in trajectories]
        plans = {p.pk: p for p in MeasurementPlan.objects.filter(trajectory_id__in=ids)}
        method_ids = {t.method_id for t in trajectories if t.method_id is not None}
        team_organisations = dict(
            Team.objects.filter(pk__in={t.team_id for t in trajectories}).values_list(
                "pk", "organisation_id"
            )
        )
        instruments = {i.pk: i for i in Instrument.objects.all()}
        # The plans' instruments as plain values, each instrument the one object read
        # above (a prefetch made a row object and an instrument object per planned pair).
        planned: dict[int, list[tuple[Instrument, str]]] = defaultdict(list)
        for plan_id, instrument_id, informant in (
            PlannedInstrument.objects.filter(plan_id__in=list(plans))
            .order_by("instrument__slug", "informant")
            .values_list("plan_id", "instrument_id", "informant")
        ):
            planned[plan_id].append((instruments[instrument_id], informant))
        # Only what the wave states need, as plain values: a team manager's worklist has
        # hundreds of trajectories with thousands of goals and scores, and a model object
        # per row was a third of its time.
        goals: dict[int, list[int]] = defaultdict(list)
        for goal_id, trajectory_id in Goal.objects.filter(trajectory_id__in=ids).values_list(
            "pk", "trajectory_id"
        ):
            goals[trajectory_id].append(goal_id)
        scores: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
        for goal_id, date, trajectory_id in GoalScore.objects.filter(
            goal__trajectory_id__in=ids
        ).values_list("goal_id", "date", "goal__trajectory_id"):
            scores[trajectory_id].append((goal_id, date))
        return cls(
            plans={p.trajectory_id: p for p in plans.values()},
            schedules={
                s.method_id: s for s in MethodSchedule.objects.filter(method_id__in=method_ids)
            },
            own_schedules={
                (s.method_id, s.organisation_id): s
                for s in OrganisationSchedule.objects.filter(
                    method_id__in=method_ids, organisation_id__in=set(team_organisations.values())
                )
            },
            team_organisations=team_organisations,
            instruments={i.slug: i for i in instruments.values()},
            goals=goals,
            scores=scores,
            planned=planned,
        )


@functools.cache
def _plan_defaults() -> tuple[tuple[str, int], ...]:
    plan = MeasurementPlan()
    return tuple((f, getattr(plan, f)) for f in SCHEDULE_FIELDS)


def _default_fields() -> dict[str, int]:
    """The schedule of a trajectory without a plan or a method schedule: the model's
    defaults (read once, not by building a plan object per trajectory)."""
    return dict(_plan_defaults())


def plan_view(trajectory: Trajectory, preloaded: Preloaded | None = None) -> PlanView:
    if preloaded is not None:
        plan = preloaded.plans.get(trajectory.pk)
    else:
        plan = MeasurementPlan.objects.filter(trajectory=trajectory).first()
    if plan is not None:
        pairs = (
            preloaded.planned.get(plan.pk, [])
            if preloaded is not None
            else [(p.instrument, p.informant) for p in plan.planned.select_related("instrument")]
        )
        return PlanView(plan, {f: getattr(plan, f) for f in SCHEDULE_FIELDS}, pairs)
    schedule: MethodSchedule | OrganisationSchedule | None
    if preloaded is not None:
        schedule = preloaded.schedule_for(trajectory)
    else:
        schedule = schedule_for(trajectory.method_id, trajectory.team.organisation_id)
    fields = (
        {f: getattr(schedule, f) for f in SCHEDULE_FIELDS}
        if schedule is not None
        else _default_fields()
    )
    entries = planned_entries(schedule)
    if preloaded is not None:
        instruments = preloaded.instruments
    else:
        slugs = [e["instrument"] for e in entries]
        instruments = {i.slug: i for i in Instrument.objects.filter(slug__in=slugs)}
    planned_pairs = [
        (instruments[e["instrument"]], informant)
        for e in entries
        if e["instrument"] in instruments
        for informant in e["informants"]
    ]
    return PlanView(None, fields, planned_pairs)


class AssessmentState(NamedTuple):
    """What a wave's state needs of an assessment, read as plain values for many
    trajectories at once (the worklist and the caseload), instead of a model object each."""

    pk: int
    instrument_id: int
    informant: str
    wave: str
    status: str

    @property
    def complete(self) -> bool:
        return self.status == Assessment.Status.COMPLETE


@dataclass
class WaveRow:
    trajectory: Trajectory
    wave: Wave
    instrument: Instrument
    informant: str
    state: str
    assessment: Assessment | AssessmentState | None = None

    @property
    def is_gas(self) -> bool:
        return self.instrument.slug == GAS


def _gas_done(
    goals: list[int], scores: list[tuple[int, dt.date]], wave: Wave, later: Wave | None
) -> bool:
    """Goals (their ids) count as scored for a wave when each has a score (goal id, date)
    in that wave's window (from two weeks before it until the next wave opens); at intake
    the baselines count."""
    if wave.key == "intake":
        return bool(goals)
    start = wave.due - dt.timedelta(days=LEAD_DAYS)
    end = later.due - dt.timedelta(days=LEAD_DAYS) if later is not None else dt.date.max
    scored = {goal_id for goal_id, date in scores if start <= date < end}
    return bool(goals) and all(goal_id in scored for goal_id in goals)


def _waves(trajectory: Trajectory, fields: dict[str, int], today: dt.date) -> list[Wave]:
    return plan_waves(
        start=trajectory.start,
        end=trajectory.end,
        today=today,
        intake=bool(fields["intake"]),
        interval_months=fields["interval_months"],
        closure=bool(fields["closure"]),
        follow_up_months=fields["follow_up_months"],
    )


def wave_rows(
    trajectory: Trajectory,
    view: PlanView,
    today: dt.date,
    assessments: Iterable[Assessment | AssessmentState] | None = None,
    preloaded: Preloaded | None = None,
    *,
    open_only: bool = False,
) -> list[WaveRow]:
    """Every planned (wave × instrument × informant) with its state.

    ``open_only`` leaves out the waves the next one has superseded (their state can only
    be done or missed): what the worklist and the caseload's next wave look at, a wave or
    two of each trajectory instead of every wave since the start.
    """
    waves = _waves(trajectory, view.fields, today)
    if assessments is None:
        assessments = trajectory.assessments.all()
    by_key = {(a.instrument_id, a.informant, a.wave): a for a in assessments}
    goals: list[int] = []
    scores: list[tuple[int, dt.date]] = []
    if preloaded is not None:
        goals, scores = preloaded.goals[trajectory.pk], preloaded.scores[trajectory.pk]
    elif any(i.slug == GAS for i, _inf in view.planned):
        goals = list(trajectory.goals.values_list("pk", flat=True))
        scores = list(
            GoalScore.objects.filter(goal__trajectory=trajectory).values_list("goal_id", "date")
        )
    rows = []
    for index, wave in enumerate(waves):
        # An overdue wave is "missed" once the next wave is open: there is no point in
        # asking for the intake questionnaire when the three-month one is due.
        later = waves[index + 1] if index + 1 < len(waves) else None
        superseded = later is not None and today >= later.due - dt.timedelta(days=LEAD_DAYS)
        if open_only and superseded:
            continue
        for instrument, informant in view.planned:
            assessment = by_key.get((instrument.pk, informant, wave.key))
            if instrument.slug == GAS:
                if not goals:
                    continue
                done = _gas_done(goals, scores, wave, later)
            else:
                done = assessment is not None and assessment.complete
            state = wave_state(wave.due, today, view.fields["grace_days"], done)
            if state == "overdue" and superseded:
                state = "missed"
            rows.append(WaveRow(trajectory, wave, instrument, informant, state, assessment))
    return rows


def due_list(user: User, today: dt.date) -> list[WaveRow]:
    """What the professional should measure now: due and overdue waves of own trajectories."""
    trajectories = list(
        Trajectory.objects.filter(lead_professional=user)
        .filter(Q(status__in=["open", "paused"]) | Q(end__gte=today - dt.timedelta(days=3 * 365)))
        .select_related("client")
    )
    assessments: dict[int, list[Assessment]] = defaultdict(list)
    for a in Assessment.objects.filter(trajectory__in=trajectories):
        assessments[a.trajectory_id].append(a)
    rows: list[WaveRow] = []
    preloaded = Preloaded.load(trajectories)
    for trajectory in trajectories:
        view = plan_view(trajectory, preloaded)
        rows += [
            r
            for r in wave_rows(trajectory, view, today, assessments[trajectory.pk], preloaded)
            if r.state in ("due", "overdue")
        ]
    rows.sort(key=lambda r: (r.state != "overdue", r.wave.due, r.trajectory.client.pseudonym))
    return rows


def open_client_assessments(user: User) -> list[Assessment]:
    """Questionnaires waiting for a client (their own, not yet sent in)."""
    return list(
        Assessment.objects.filter(
            trajectory__client__user=user, informant="client", status="open"
        ).select_related("instrument")
    )


# ---------------------------------------------------------------- scores over waves


@dataclass
class Point:
    wave: str
    date: dt.date
    value: float
    band: Band | None = None
    change: ReliableChange | None = None


@dataclass
class InstrumentScores:
    instrument: Instrument
    definition: Definition
    scale: Scale
    series: dict[str, list[Point]] = field(default_factory=dict)

    @property
    def waves(self) -> list[tuple[str, dt.date, dict[str, Point]]]:
        """Rows for the side-by-side table: one per wave, a point per informant."""
        table: dict[str, tuple[dt.date, dict[str, Point]]] = {}
        for informant, points in self.series.items():
            for p in points:
                table.setdefault(p.wave, (p.date, {}))[1][informant] = p
        return sorted(((w, d, row) for w, (d, row) in table.items()), key=lambda r: r[1])

    @property
    def client_title(self) -> str:
        """The name a client reads (``client_title``), in the active language."""
        return self.definition.client_title(current_language())

    @property
    def client_description(self) -> str:
        return self.definition.client_description(current_language())

    @property
    def highest(self) -> float:
        """The top of the scale, for sentences such as "21 of 28"."""
        return self.definition.scale_range(self.scale)[1]


def _with_change(points: list[Point], scale: Scale) -> list[Point]:
    points.sort(key=lambda p: p.date)
    if scale.norms is None or not points:
        return points
    first = points[0]
    for p in points[1:]:
        p.change = reliable_change(
            first.value,
            p.value,
            sd=scale.norms.sd,
            reliability=scale.norms.reliability,
            higher_is=scale.higher_is,
        )
    return points


@dataclass(frozen=True)
class GasCourse:
    """The trajectory's plan and its GAS T-scores over time, computed once for the page's
    header and its GAS chart."""

    view: PlanView
    points: list[GasPoint]


def gas_course(
    trajectory: Trajectory, today: dt.date, goals: list[GoalRecord] | None = None
) -> GasCourse:
    """``goals``: the trajectory's goals when the page has read them already."""
    view = plan_view(trajectory)
    return GasCourse(view, gas_points(trajectory, today, view.fields, goals))


def instrument_scores(
    trajectory: Trajectory,
    today: dt.date,
    course: GasCourse | None = None,
    *,
    with_gas: bool = True,
) -> list[InstrumentScores]:
    """Primary-scale scores per instrument and informant over the waves, with reliable
    change; with ``with_gas`` the GAS T-scores too (``course``, when the page has it)."""
    out: dict[int, InstrumentScores] = {}
    assessments = list(
        trajectory.assessments.filter(status="complete")
        .select_related("instrument")
        .prefetch_related("answers")
        .order_by("wave_date", "pk")
    )
    # One object per version, not one per assessment: each reads its definition's JSON.
    versions = InstrumentVersion.objects.in_bulk({a.version_id for a in assessments})
    points: dict[int, dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    for a in assessments:
        definition = versions[a.version_id].parsed
        if a.instrument_id not in out:
            primary = definition.primary_scale
            if primary is None:
                continue  # a questionnaire without scales has nothing to chart
            out[a.instrument_id] = InstrumentScores(a.instrument, definition, primary)
        scale = out[a.instrument_id].scale
        result = score(definition, a.answer_map()).get(scale.id)
        if result is None or result.value is None:
            continue
        points[a.instrument_id][a.informant].append(
            Point(a.wave, a.wave_date, result.value, result.band)
        )
    for instrument_id, by_informant in points.items():
        entry = out[instrument_id]
        entry.series = {inf: _with_change(ps, entry.scale) for inf, ps in by_informant.items()}
    gas = _gas_scores(trajectory, today, course) if with_gas else None
    found = [s for s in out.values() if s.series]
    if gas is not None:
        found.append(gas)
    return sorted(found, key=lambda s: s.instrument.slug)


def _gas_scores(
    trajectory: Trajectory, today: dt.date, course: GasCourse | None = None
) -> InstrumentScores | None:
    """The GAS chart: the same moments as the trajectory header (``measurements.gas``)."""
    view = course.view if course is not None else plan_view(trajectory)
    if not any(i.slug == GAS for i, _inf in view.planned):
        return None
    instrument = next(i for i, _inf in view.planned if i.slug == GAS)
    version = instrument.versions.order_by("-created", "-pk").first()
    if version is None:
        return None
    definition = version.parsed
    scale = definition.primary_scale
    if scale is None:
        return None
    moments = course.points if course is not None else gas_points(trajectory, today, view.fields)
    points = [
        Point(p.wave, p.date, p.moment.t_score, scale.band_for(p.moment.t_score)) for p in moments
    ]
    if not points:
        return None
    return InstrumentScores(instrument, definition, scale, {"professional": points})


def gas_summary(
    trajectory: Trajectory, today: dt.date, course: GasCourse | None = None
) -> GasSummary:
    """The GAS T-scores over time for the header: the same points as the GAS chart."""
    if course is None:
        course = gas_course(trajectory, today)
    return GasSummary(course.points)
