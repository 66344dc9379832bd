"""Error pages that say what happened and what the reader can do.

Kept in core: they show no domain data, so every app's pages can end here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF failure view: a form was refused because it could not be verified.

    The usual causes for a person are an old tab (the form was opened before a log-in or
    log-out) or cookies switched off. What was typed is not lost where the form saves as
    it goes (questionnaires); the page says to go back and send again.
    """
    back = request.META.get("HTTP_REFERER") or request.path
    return render(
        request,
        "core/csrf_failure.html",
        {"back": back, "bare": not request.user.is_authenticated},
        status=403,
    )
