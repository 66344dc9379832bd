"""The operations' own scheduled work: the worker's heartbeat and pruning old task runs."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.conf import settings
from django.utils import timezone

from werkplaats.operations.models import TaskRun, WorkerHeartbeat
from werkplaats.operations.queue import crontab, scheduled

WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:120]
_STARTED = timezone.now()


def beat(now: dt.datetime | None = None) -> None:
    """Record that this worker is alive (and forget workers gone for a week)."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        name=WORKER_NAME, defaults={"seen_at": now, "started_at": _STARTED}
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - dt.timedelta(days=7)).delete()


@scheduled(crontab(minute="*"), name="operations.heartbeat")
def heartbeat() -> None:
    beat()


def prune_task_runs(now: dt.datetime | None = None) -> int:
    """Delete finished runs older than WERKPLAATS_TASK_RUNS_DAYS; returns how many."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.WERKPLAATS_TASK_RUNS_DAYS)
    deleted, _ = TaskRun.objects.filter(
        status__in=[TaskRun.Status.DONE, TaskRun.Status.FAILED], created_at__lt=cutoff
    ).delete()
    return deleted


@scheduled(crontab(minute="20", hour="3"), name="operations.prune")
def nightly_prune() -> None:
    prune_task_runs()
