"""Measurement plans, assessments (one informant, one wave, one exact instrument version),
answers saved one by one, and one-time links for network members."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from werkplaats.casework.models import Method, Trajectory
from werkplaats.core.crypto import EncryptedTextField
from werkplaats.core.models import VersionedModel
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.stats.definition import instance_key


class Informant(models.TextChoices):
    CLIENT = "client", _("client")
    PROFESSIONAL = "professional", _("professional")
    NETWORK_MEMBER = "network_member", _("network member")


class ScheduleFields(models.Model):
    intake = models.BooleanField(_("at intake"), default=True)
    interval_months = models.PositiveSmallIntegerField(
        _("every ... months (0: never)"), default=3, validators=[MaxValueValidator(24)]
    )
    closure = models.BooleanField(_("at closure"), default=True)
    follow_up_months = models.PositiveSmallIntegerField(
        _("follow-up ... months after closure (0: none)"),
        default=6,
        validators=[MaxValueValidator(36)],
    )
    grace_days = models.PositiveSmallIntegerField(
        _("days before a wave counts as overdue"), default=14, validators=[MaxValueValidator(120)]
    )

    class Meta:
        abstract = True


# What a trajectory measures when its method has no schedule (or one without instruments).
DEFAULT_INSTRUMENTS: list[dict[str, Any]] = [
    {"instrument": "pearlin-mastery", "informants": ["client", "professional", "network_member"]},
    {"instrument": "dejong-gierveld-6", "informants": ["client"]},
    {"instrument": "goal-attainment", "informants": ["professional"]},
]


def planned_entries(schedule: MethodSchedule | OrganisationSchedule | None) -> list[dict[str, Any]]:
    """The instruments and informants a method's schedule plans, or the default plan."""
    return (schedule.instruments if schedule is not None else None) or DEFAULT_INSTRUMENTS


class ReminderFields(models.Model):
    """When invitations and reminders go out for a wave that comes due."""

    invitations = models.BooleanField(
        _("send invitations to the client and the network member"), default=True
    )
    reminder_after_days = models.PositiveSmallIntegerField(
        _("remind after ... days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    reminder_max = models.PositiveSmallIntegerField(
        _("at most ... reminders"), default=2, validators=[MaxValueValidator(10)]
    )
    quiet_from = models.PositiveSmallIntegerField(
        _("no messages from (hour)"), default=21, validators=[MaxValueValidator(23)]
    )
    quiet_until = models.PositiveSmallIntegerField(
        _("until (hour)"), default=8, validators=[MaxValueValidator(23)]
    )

    class Meta:
        abstract = True

    def quiet_at(self, hour: int) -> bool:
        """Whether ``hour`` (local time) falls in the quiet hours (which may span midnight)."""
        start, end = self.quiet_from, self.quiet_until
        if start == end:
            return False
        if start < end:
            return start <= hour < end
        return hour >= start or hour < end


class MethodSchedule(ScheduleFields, ReminderFields):
    """The default measurement plan for trajectories that follow a method."""

    method = models.OneToOneField(Method, on_delete=models.CASCADE, related_name="schedule")
    instruments = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"instrument": "pearlin-mastery", "informants": ["client", "professional"]}]',
    )

    def __str__(self) -> str:
        return f"schedule of {self.method}"


class OrganisationSchedule(ScheduleFields, ReminderFields):
    """An organisation's own measurement plan for a method: it replaces the method's
    default (``MethodSchedule``) for that organisation's trajectories only. Team managers
    and organisation admins edit this, never the default every organisation shares."""

    method = models.ForeignKey(
        Method, on_delete=models.CASCADE, related_name="organisation_schedules"
    )
    organisation = models.ForeignKey(
        "partnership.Organisation", on_delete=models.CASCADE, related_name="method_schedules"
    )
    instruments = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["method", "organisation"], name="one_schedule_per_method_and_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"schedule of {self.method} in organisation {self.organisation_id}"


def schedule_for(
    method_id: int | None, organisation_id: int | None
) -> MethodSchedule | OrganisationSchedule | None:
    """The plan a trajectory of this method in this organisation starts from: the
    organisation's own, else the method's default, else none (the built-in default)."""
    if method_id is None:
        return None
    own = (
        OrganisationSchedule.objects.filter(
            method_id=method_id, organisation_id=organisation_id
        ).first()
        if organisation_id is not None
        else None
    )
    return own or MethodSchedule.objects.filter(method_id=method_id).first()


class MeasurementPlan(ScheduleFields, VersionedModel):
    """What is measured in one trajectory, by whom, and when."""

    trajectory = models.OneToOneField(
        Trajectory, on_delete=models.CASCADE, related_name="measurement_plan"
    )
    network_member_email = EncryptedTextField(
        _("e-mail address of the network member who answers (for invitations)"), blank=True
    )
    message_language = models.CharField(
        _("language of invitations"),
        max_length=2,
        choices=[("nl", _("Dutch")), ("en", _("English"))],
        default="nl",
    )

    class Meta:
        verbose_name = _("measurement plan")

    def __str__(self) -> str:
        return f"plan of {self.trajectory_id}"


class PlannedInstrument(models.Model):
    plan = models.ForeignKey(MeasurementPlan, on_delete=models.CASCADE, related_name="planned")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    informant = models.CharField(_("informant"), max_length=20, choices=Informant.choices)

    class Meta:
        ordering = ["instrument__slug", "informant"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "instrument", "informant"], name="plannedinstrument_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}/{self.informant}"


class Assessment(models.Model):
    """One informant's answers to one instrument version at one wave of a trajectory."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        COMPLETE = "complete", _("complete")

    trajectory = models.ForeignKey(Trajectory, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="assessments"
    )
    informant = models.CharField(_("informant"), max_length=20, choices=Informant.choices)
    wave = models.CharField(_("wave"), max_length=20)
    wave_date = models.DateField(_("wave date"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["wave_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trajectory", "instrument", "informant", "wave"],
                name="assessment_unique_wave",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="complete") | models.Q(completed_at__isnull=False),
                name="assessment_complete_has_time",
            ),
        ]
        indexes = [models.Index(fields=["trajectory", "status"])]

    def __str__(self) -> str:
        return f"{self.trajectory_id} {self.instrument_id} {self.informant} {self.wave}"

    @property
    def complete(self) -> bool:
        return self.status == self.Status.COMPLETE

    def answer_map(self) -> dict[str, Any]:
        """Answer key -> value; an item in a repeat group has ``id``, ``id#2``, … per instance."""
        return {instance_key(a.item_id, a.instance): a.value for a in self.answers.all()}


class Answer(models.Model):
    """One answer, saved the moment it is given."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    item_id = models.CharField(max_length=100)
    # The answer as the item stores it: an option code (number or text), a list of codes
    # (multiple choice), a number, or text (dates as YYYY-MM-DD).
    value = models.JSONField()
    # which instance of a repeat group (XLSForm repeat, FHIR repeating group) the answer
    # belongs to; 1 for every item outside one
    instance = models.PositiveSmallIntegerField(default=1, db_default=1)
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "item_id", "instance"], name="answer_unique_item_instance"
            )
        ]

    def __str__(self) -> str:
        return f"{instance_key(self.item_id, self.instance)}={self.value}"


class OneTimeLink(models.Model):
    """A link for a network member without an account: one questionnaire, until sent or expired.

    Only a hash of the token is stored; the token itself is shown once, to the
    professional who makes the link.
    """

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="link")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"link for assessment {self.assessment_id}"


class Invitation(models.Model):
    """The invitation (and reminders) for one assessment of a client or network member."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="invitation"
    )
    first_sent_at = models.DateTimeField()
    last_sent_at = models.DateTimeField()
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"invitation for assessment {self.assessment_id}"
