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
