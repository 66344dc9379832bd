"""Writes of measurements: plans, assessments, answers one by one, completion, links.

``assessment_record`` and ``assessments_record_bulk`` are for generators and imports
(the demo workplace): they write finished assessments with their answers in one go,
through the same checks as a person answering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.casework.models import Method, Trajectory
from werkplaats.core.audit import log_access
from werkplaats.core.bulk import insert_rows, reserve_ids
from werkplaats.core.i18n import current_language
from werkplaats.core.one_time import expiry, make_token
from werkplaats.core.versioning import save_versioned
from werkplaats.instruments.access import visible_versions_for_organisations
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.measurements.models import (
    Answer,
    Assessment,
    Informant,
    MeasurementPlan,
    OneTimeLink,
    OrganisationSchedule,
    PlannedInstrument,
    planned_entries,
    schedule_for,
)
from werkplaats.partnership.models import Organisation, User
from werkplaats.stats.definition import (
    AnswerError,
    check_answer,
    instance_key,
    pick_text,
    split_key,
)
from werkplaats.stats.scoring import completeness

LINK_DAYS = 14


def answer_error_message(exc: AnswerError) -> str:
    """Plain words for the person answering, in the active language."""
    messages = {
        "unknown_item": _("This question is not part of this questionnaire."),
        "not_answerable": _("This part of the questionnaire takes no answer."),
        "hidden": _("This question does not apply after your earlier answers."),
        "not_a_number": _("Please give a number."),
        "not_whole": _("Please give a whole number."),
        "too_low": _("That number (or date) is below the lowest allowed: %(bound)s."),
        "too_high": _("That number (or date) is above the highest allowed: %(bound)s."),
        "not_a_date": _("Please give a date as year-month-day, for example 2024-03-31."),
        "not_a_time": _("Please give a time as hours:minutes, for example 14:30."),
        "not_an_email": _("Please give an e-mail address, for example name@example.org."),
        "not_a_phone": _("Please give a phone number (digits, spaces, + and - only)."),
        "too_long": _("That answer is too long."),
        "constraint": _("That answer is not accepted here; please check it."),
    }
    if exc.code in messages:
        bound = ", ".join(f"{b:g}" if isinstance(b, float) else str(b) for b in exc.allowed)
        return (
            messages[exc.code] % {"bound": bound}
            if "%(bound)s" in messages[exc.code]
            else messages[exc.code]
        )
    return _("That answer is not one of the choices. Please tap one of the answers shown.")


def current_version(instrument: Instrument, trajectory: Trajectory) -> InstrumentVersion:
    """The newest version the trajectory's organisation may use."""
    version = (
        visible_versions_for_organisations([trajectory.team.organisation_id])
        .filter(instrument=instrument)
        .order_by("-created", "-pk")
        .first()
    )
    if version is None:
        raise ValidationError(_("No version of this instrument is available to this organisation."))
    return version


@transaction.atomic
def plan_for(trajectory: Trajectory) -> MeasurementPlan:
    """The trajectory's plan; made from its method's schedule (or the default) when missing."""
    plan = MeasurementPlan.objects.filter(trajectory=trajectory).first()
    if plan is not None:
        return plan
    schedule = schedule_for(trajectory.method_id, trajectory.team.organisation_id)
    fields = {}
    entries = planned_entries(schedule)
    if schedule is not None:
        fields = {
            name: getattr(schedule, name)
            for name in ("intake", "interval_months", "closure", "follow_up_months", "grace_days")
        }
    instruments = {
        i.slug: i for i in Instrument.objects.filter(slug__in=[e["instrument"] for e in entries])
    }
    # Two first requests (the plan page opened twice) may both find no plan: the second
    # insert fails on the one-plan-per-trajectory key, and that request uses the first's.
    try:
        with transaction.atomic():
            plan = MeasurementPlan.objects.create(trajectory=trajectory, **fields)
            PlannedInstrument.objects.bulk_create(
                PlannedInstrument(
                    plan=plan, instrument=instruments[e["instrument"]], informant=informant
                )
                for e in entries
                if e["instrument"] in instruments
                for informant in e["informants"]
            )
    except IntegrityError:
        plan = MeasurementPlan.objects.filter(trajectory=trajectory).first()
        if plan is None:
            raise
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: MeasurementPlan,
    user: User,
    expected_version: int,
    fields: dict[str, object],
    planned: Iterable[tuple[Instrument, str]],
) -> MeasurementPlan:
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean(exclude=["trajectory"])
    save_versioned(plan, expected_version, list(fields))
    wanted = set(planned)
    existing = {(p.instrument, p.informant): p for p in plan.planned.select_related("instrument")}
    for key, row in existing.items():
        if key not in wanted:
            row.delete()
    PlannedInstrument.objects.bulk_create(
        PlannedInstrument(plan=plan, instrument=i, informant=inf)
        for i, inf in wanted
        if (i, inf) not in existing
    )
    log_access(user, "change", plan.trajectory, "measurement plan")
    return plan


@transaction.atomic
def method_schedule_save(
    *,
    method: Method,
    organisation: Organisation,
    user: User,
    fields: dict[str, object],
    instruments: list[dict[str, object]],
) -> OrganisationSchedule:
    """Set an organisation's own plan for a method (never the default every organisation
    shares); trajectories that have a plan already keep theirs."""
    schedule = OrganisationSchedule.objects.filter(
        method=method, organisation=organisation
    ).first() or OrganisationSchedule(method=method, organisation=organisation)
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.instruments = instruments
    schedule.full_clean()
    schedule.save()
    log_access(user, "change", schedule)
    return schedule


@transaction.atomic
def assessment_start(
    *,
    trajectory: Trajectory,
    instrument: Instrument,
    informant: str,
    wave: str,
    wave_date: dt.date,
    user: User | None,
) -> Assessment:
    """Open (or reopen) the assessment of one informant at one wave."""
    existing = Assessment.objects.filter(
        trajectory=trajectory, instrument=instrument, informant=informant, wave=wave
    ).first()
    if existing is not None:
        return existing
    assessment = Assessment(
        trajectory=trajectory,
        instrument=instrument,
        version=current_version(instrument, trajectory),
        informant=informant,
        wave=wave,
        wave_date=wave_date,
        created_by=user,
    )
    # The unique wave key is left to the database: two concurrent starts may both pass
    # the check above, and the second then reopens the first's assessment.
    assessment.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError:
        existing = Assessment.objects.filter(
            trajectory=trajectory, instrument=instrument, informant=informant, wave=wave
        ).first()
        if existing is None:
            raise
        return existing
    if user is not None:
        log_access(user, "create", assessment)
    return assessment


def _refuse_if_complete(assessment: Assessment) -> None:
    if assessment.complete:
        raise ValidationError(
            _("This questionnaire was sent in already; its answers can no longer be changed."),
            code="complete",
        )


@transaction.atomic
def answer_save(*, assessment: Assessment, item_id: str, value: object) -> Answer:
    """Save one answer the moment it is given (again: the last answer counts).

    ``item_id`` is an answer key: the item's id, or ``id#n`` for instance ``n`` of an item
    in a repeat group."""
    assessment = (
        Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)
    )
    _refuse_if_complete(assessment)
    definition = assessment.version.parsed
    answers = assessment.answer_map()
    try:
        checked = check_answer(definition, item_id, value, answers)
        base, instance = split_key(item_id)
        group = definition.repeat_of(definition.item(base))
        if group and instance > definition.instance_count(answers, group) + 1:
            raise AnswerError("unknown_item", item_id, value)  # instances come one by one
        if item_id not in definition.relevant_ids({**answers, item_id: checked}):
            raise AnswerError("hidden", item_id, value)
    except AnswerError as exc:
        message = answer_error_message(exc)
        if exc.code == "constraint":
            item = definition.item(split_key(item_id)[0])
            own = (definition.data["items"][definition.items.index(item)] or {}).get(
                "constraint_message"
            )
            message = pick_text(own, current_language()) or message
        raise ValidationError(message, code=exc.code) from None
    answer, _created = Answer.objects.update_or_create(
        assessment=assessment, item_id=base, instance=instance, defaults={"value": checked}
    )
    return answer


@transaction.atomic
def answer_clear(*, assessment: Assessment, item_id: str) -> None:
    """Take an answer back (the person chose to leave the question open)."""
    # Lock and re-read like answer_save: a late autosave after sending must not remove an
    # answer from a complete assessment (the caller's object may be stale).
    assessment = (
        Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)
    )
    _refuse_if_complete(assessment)
    base, instance = split_key(item_id)
    if base not in {i.id for i in assessment.version.parsed.answerable_items}:
        raise ValidationError(
            answer_error_message(AnswerError("unknown_item", item_id, None, [])),
            code="unknown_item",
        )
    Answer.objects.filter(assessment=assessment, item_id=base, instance=instance).delete()


@transaction.atomic
def instance_remove(*, assessment: Assessment, group_id: str, instance: int) -> None:
    """Remove one instance of a repeat group (its answers); later instances move up."""
    assessment = (
        Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)
    )
    _refuse_if_complete(assessment)
    definition = assessment.version.parsed
    ids = [i.id for i in definition.repeat_items(group_id)]
    if not ids or instance < 1:
        raise ValidationError(_("There is no such repeated part."), code="unknown_group")
    answers = Answer.objects.filter(assessment=assessment, item_id__in=ids)
    answers.filter(instance=instance).delete()
    for answer in answers.filter(instance__gt=instance).order_by("instance"):
        answer.instance -= 1
        answer.save(update_fields=["instance"])


@transaction.atomic
def assessment_complete(*, assessment: Assessment, user: User | None) -> Assessment:
    """Send in: refused while a required question is open; afterwards nothing changes."""
    assessment = (
        Assessment.objects.select_for_update().select_related("version").get(pk=assessment.pk)
    )
    _refuse_if_complete(assessment)
    definition = assessment.version.parsed
    answers = assessment.answer_map()
    missing = completeness(definition, answers).missing_required
    if missing:
        raise ValidationError(
            _("Some questions still need an answer (%(count)d). They are marked below.")
            % {"count": len(missing)},
            code="incomplete",
            params={"missing": missing},
        )
    # A question the branching hides was never asked: an answer given before an earlier
    # answer changed is not kept.
    shown = definition.relevant_ids(answers)
    hidden = [
        a.pk
        for a in Answer.objects.filter(assessment=assessment)
        if instance_key(a.item_id, a.instance) not in shown
    ]
    Answer.objects.filter(pk__in=hidden).delete()
    assessment.status = Assessment.Status.COMPLETE
    assessment.completed_at = timezone.now()
    assessment.save(update_fields=["status", "completed_at"])
    log_access(user, "change", assessment, "completed")
    return assessment


@transaction.atomic
def link_create(
    *, assessment: Assessment, user: User, days: int = LINK_DAYS
) -> tuple[OneTimeLink, str]:
    """A fresh one-time link (any earlier link of this assessment stops working)."""
    if assessment.informant != Informant.NETWORK_MEMBER:
        raise ValidationError(_("One-time links are for network members."))
    _refuse_if_complete(assessment)
    token, digest = make_token()
    OneTimeLink.objects.filter(assessment=assessment).delete()
    link = OneTimeLink.objects.create(
        assessment=assessment,
        token_hash=digest,
        expires_at=expiry(days),
        created_by=user,
    )
    log_access(user, "create", link)
    return link, token


# ---------------------------------------------------------------- for generators and imports


@dataclass
class AssessmentRecord:
    """One finished (or half-finished) assessment to write in bulk."""

    trajectory: Trajectory
    instrument: str | Instrument
    informant: str
    wave: str
    wave_date: dt.date
    answers: Mapping[str, object] = field(default_factory=dict)
    completed_at: dt.datetime | None = None
    complete: bool = True


def assessment_record(
    *,
    trajectory: Trajectory,
    instrument: str | Instrument,
    informant: str,
    wave: str,
    wave_date: dt.date,
    answers: Mapping[str, object],
    complete: bool = True,
    completed_at: dt.datetime | None = None,
    user: User | None = None,
) -> Assessment:
    """Write one assessment with all its answers, checked like a person's answers.

    For the demo generator: ``answers`` maps item ids to option values (None or absent
    for unanswered). Raises ``ValidationError`` for an answer outside the options, or
    when ``complete`` and a required item is unanswered.
    """
    return assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory, instrument, informant, wave, wave_date, answers, completed_at, complete
            )
        ],
        user=user,
    )[0]


@transaction.atomic
def assessments_record_bulk(
    records: Sequence[AssessmentRecord],
    *,
    user: User | None = None,
    versions: Mapping[int, InstrumentVersion] | None = None,
) -> list[Assessment]:
    """Write many assessments at once (bulk inserts; all or nothing).

    Every answer is checked against the exact version that is stored with it; the
    version is the newest one the trajectory's organisation may use, or the one given in
    ``versions`` (instrument pk -> version) for an import of answers to a known version.
    """
    instruments = {i.slug: i for i in Instrument.objects.all()}
    chosen: dict[tuple[int, int], InstrumentVersion] = {}
    assessments: list[Assessment] = []
    answer_rows: list[list[tuple[str, object]]] = []
    now = timezone.now()
    for n, record in enumerate(records):
        instrument = (
            record.instrument
            if isinstance(record.instrument, Instrument)
            else instruments.get(record.instrument)
        )
        if instrument is None:
            raise ValidationError(f"records[{n}]: unknown instrument {record.instrument!r}")
        key = (instrument.pk, record.trajectory.team.organisation_id)
        if key not in chosen:
            wanted = (versions or {}).get(instrument.pk)
            chosen[key] = wanted or current_version(instrument, record.trajectory)
        version = chosen[key]
        definition = version.parsed
        rows: list[tuple[str, object]] = []
        given = {k: v for k, v in record.answers.items() if v is not None}
        for item_id, value in given.items():
            try:
                rows.append((item_id, check_answer(definition, item_id, value, given)))
            except AnswerError as exc:
                raise ValidationError(f"records[{n}].answers.{item_id}: {exc}") from None
        if record.complete:
            shown = definition.relevant_ids(dict(rows))
            rows = [(item_id, value) for item_id, value in rows if item_id in shown]
            missing = completeness(definition, dict(rows)).missing_required
            if missing:
                raise ValidationError(f"records[{n}]: required items unanswered: {missing}")
        if record.informant not in Informant.values:
            raise ValidationError(f"records[{n}]: unknown informant {record.informant!r}")
        assessments.append(
            Assessment(
                trajectory=record.trajectory,
                instrument=instrument,
                version=version,
                informant=record.informant,
                wave=record.wave,
                wave_date=record.wave_date,
                status=Assessment.Status.COMPLETE if record.complete else Assessment.Status.OPEN,
                completed_at=(record.completed_at or now) if record.complete else None,
                created_by=user,
            )
        )
        answer_rows.append(rows)
    # Written with core.bulk (COPY on PostgreSQL, keys reserved beforehand): an import of
    # ten thousand records is then a few statements, not a model instance per answer.
    ids = reserve_ids(Assessment, len(assessments))
    columns = "trajectory instrument version informant wave wave_date status completed_at"
    insert_rows(
        Assessment,
        [*columns.split(), "created_by", "started_at"],
        (
            (a.trajectory_id, a.instrument_id, a.version_id, a.informant, a.wave)
            + (a.wave_date, a.status, a.completed_at, a.created_by_id, now)
            for a in assessments
        ),
        ids=ids,
    )
    for a, pk in zip(assessments, ids, strict=True):
        a.pk, a.started_at = pk, now
        a._state.adding = False
    insert_rows(
        Answer,
        ["assessment", "item_id", "instance", "value"],
        (
            (pk, *split_key(key), value)
            for pk, rows in zip(ids, answer_rows, strict=True)
            for key, value in rows
        ),
    )
    return assessments
