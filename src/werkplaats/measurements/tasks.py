"""Measurement work the worker does on a schedule: invitations and reminders (hourly), the
professionals' digest (Monday morning), and pruning one-time links long expired."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from werkplaats.measurements import reminders
from werkplaats.measurements.models import OneTimeLink
from werkplaats.operations.queue import crontab, scheduled

# An expired link still answers "this link has expired" for a while, then it is deleted
# (and answers as any unknown link).
EXPIRED_LINK_DAYS = 30


def prune_expired_links(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = OneTimeLink.objects.filter(
        expires_at__lt=now - dt.timedelta(days=EXPIRED_LINK_DAYS)
    ).delete()
    return deleted


@scheduled(crontab(minute="5"), name="measurements.invitations")
def hourly_invitations() -> None:
    reminders.send_due_invitations()


@scheduled(crontab(day_of_week="1", hour="7", minute="30"), name="measurements.digest")
def weekly_digest() -> None:
    reminders.send_weekly_digests()


@scheduled(crontab(hour="3", minute="40"), name="measurements.prune_links")
def nightly_prune_links() -> None:
    prune_expired_links()
