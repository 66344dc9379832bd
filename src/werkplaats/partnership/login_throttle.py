"""Throttling of password logins (docs/security.md, "Lockout").

Two limits, so that nobody can lock a colleague out by typing their name:

- **per username, a growing delay, never a lock**: after ``LOGIN_FREE_ATTEMPTS`` failures
  for a username, the next attempt is only checked once 2, 4, 8 … seconds (at most
  ``LOGIN_MAX_DELAY_SECONDS``) have passed since the last failure; before that the login
  says how long to wait, without checking the password. The right password works as soon
  as the wait is over. A success clears the count; failures older than a day are forgotten.
- **per client address, a limit** (django-axes, ``AXES_LOCKOUT_PARAMETERS =
  ["ip_address"]``): ``AXES_FAILURE_LIMIT`` failures from one address, whatever the
  usernames, lock that address for ``AXES_COOLOFF_TIME``. The address is
  ``core.audit.client_ip``: the trusted proxy's header only when
  ``WERKPLAATS_CLIENT_IP_HEADER`` names it, else the peer (``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from werkplaats.partnership.models import LoginDelay

FORGET_AFTER = timedelta(days=1)


def _key(username: str) -> str:
    return hashlib.sha256(f"login:{username.strip().casefold()}".encode()).hexdigest()


def wait_after(failures: int) -> int:
    """Seconds to wait after this many failures: 0 for the first few, then doubling."""
    free = int(getattr(settings, "LOGIN_FREE_ATTEMPTS", 3))
    cap = int(getattr(settings, "LOGIN_MAX_DELAY_SECONDS", 300))
    if failures < free:
        return 0
    return int(min(cap, 2 ** (failures - free + 1)))


def seconds_to_wait(username: str) -> int:
    """How long this username must still wait before a password is checked (0: not)."""
    row = LoginDelay.objects.filter(key=_key(username)).first()
    if row is None:
        return 0
    since = (timezone.now() - row.last_failure_at).total_seconds()
    if since > FORGET_AFTER.total_seconds():
        return 0
    return max(0, math.ceil(wait_after(row.failures) - since))


def record_failure(username: str) -> None:
    now = timezone.now()
    key = _key(username)
    row, created = LoginDelay.objects.get_or_create(
        key=key, defaults={"failures": 1, "last_failure_at": now}
    )
    if created:
        return
    if now - row.last_failure_at > FORGET_AFTER:
        LoginDelay.objects.filter(pk=row.pk).update(failures=1, last_failure_at=now)
    else:
        LoginDelay.objects.filter(pk=row.pk).update(failures=F("failures") + 1, last_failure_at=now)


def clear(username: str) -> None:
    LoginDelay.objects.filter(key=_key(username)).delete()
