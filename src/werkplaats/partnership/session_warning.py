"""The warning before the idle timeout (docs/security.md, "Sessions").

Pages with a form show, ``SESSION_WARN_SECONDS`` before the session would end for lack of
requests, a warning with a "Stay logged in" button; the button calls :func:`keep_alive`,
which counts as a request, so the page and what was typed in it stay as they are. If the
session ends anyway, ``werkplaats.js`` keeps the typed text in the tab's sessionStorage and
puts it back when the same form opens again after logging in.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST


def seconds_left(request: HttpRequest) -> int:
    """Seconds until this session ends if no request comes in (idle or absolute limit)."""
    session = request.session
    now = int(time.time())
    idle = int(getattr(settings, "SESSION_IDLE_SECONDS", 1200))
    seen = int(session.get("seen_at", now))
    started = int(session.get("started_at", now))
    return max(0, min(idle - (now - seen), settings.SESSION_COOKIE_AGE - (now - started)))


def session_timing(request: HttpRequest) -> dict[str, Any]:
    """Context processor: when the warning shows, for a logged-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    idle = int(getattr(settings, "SESSION_IDLE_SECONDS", 1200))
    warn = min(int(getattr(settings, "SESSION_WARN_SECONDS", 120)), idle // 2)
    return {"session_seconds_left": seconds_left(request), "session_warn_seconds": warn}


@login_required
@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The "Stay logged in" button: a request, so the idle clock starts again."""
    request.session["seen_at"] = int(time.time())
    response = HttpResponse(status=204)
    response["X-Session-Seconds-Left"] = str(seconds_left(request))
    return response
