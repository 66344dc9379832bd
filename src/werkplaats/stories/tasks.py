"""Stories work the worker does on a schedule: pruning member-check links long expired.

A member check sent as a one-time link keeps the link's hash in the check itself. Like the
measurements' one-time links (measurements.tasks), the link is forgotten 30 days after it
expired or was used: its hash is cleared, so the link answers as any unknown link. The
member check, its synthesis and any answer stay (an answer is research data).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from werkplaats.operations.queue import crontab, scheduled
from werkplaats.stories.models import MemberCheck

EXPIRED_LINK_DAYS = 30  # as measurements.tasks.EXPIRED_LINK_DAYS


def prune_member_check_links(now: dt.datetime | None = None) -> int:
    """Clear the hashes of member-check links expired long ago; returns how many."""
    now = now or timezone.now()
    return MemberCheck.objects.filter(
        token_hash__isnull=False, expires_at__lt=now - dt.timedelta(days=EXPIRED_LINK_DAYS)
    ).update(token_hash=None)


@scheduled(crontab(hour="3", minute="45"), name="stories.prune_member_check_links")
def nightly_prune_member_check_links() -> None:
    prune_member_check_links()
