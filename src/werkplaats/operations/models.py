"""What the operations keep: task runs (who started what, how it ended) and the worker's
heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A task worker says it is alive (a scheduled task, once a minute); /healthz reads it."""

    name = models.CharField(max_length=120, unique=True)  # host:pid
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class TaskRun(models.Model):
    """One piece of background work for one object, as the person who started it sees it.

    At most one run per (kind, object) is queued or running at a time: a second start
    while one is under way gets the first (a partial unique constraint, so two web
    servers starting at once cannot both win).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        RETRYING = "retrying", _("failed, will try again")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.RETRYING)

    kind = models.CharField(max_length=60)
    object_key = models.CharField(max_length=80, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)  # the reason, for whoever started it
    result = models.JSONField(default=dict, blank=True)
    queue_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key"],
                condition=models.Q(status__in=["queued", "running", "retrying"]),
                name="taskrun_one_active_per_object",
            )
        ]
        indexes = [models.Index(fields=["kind", "object_key", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}({self.object_key}) {self.status}"

    @property
    def active(self) -> bool:
        return self.status in self.ACTIVE


class MessageLog(models.Model):
    """Every message that went out, or was held back: who, what, when, to which address.

    The body is never stored: it may name a client's appointment or a questionnaire.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        TEXT = "text", _("text message")

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        OPTED_OUT = "opted_out", _("not sent: the person turned reminders off")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=40)  # invitation, reminder, digest, set_password, ...
    address = models.CharField(max_length=254)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.channel} {self.outcome}"


class OptOut(models.Model):
    """A person asked for no more reminders: by account, or by address for people without one.

    Only a hash of the address is kept, so the list itself names nobody.
    """

    address_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(address_hash__isnull=False) | models.Q(user__isnull=False),
                name="optout_names_someone",
            )
        ]

    def __str__(self) -> str:
        return f"opt-out {self.pk}"
