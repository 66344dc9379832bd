"""Response headers and limits every page gets (docs/security.md).

- ``Permissions-Policy``: no camera, microphone, location, payment, USB or the like;
- ``Cache-Control: no-store`` on every answer to a logged-in user and on every download,
  so no browser or proxy cache keeps a page or file with personal data;
- a cap on the size of a request (``WERKPLAATS_MAX_REQUEST_MB``): a larger body is
  refused with 413 before anything reads it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(getattr(settings, "MAX_REQUEST_BYTES", 0))
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            response = HttpResponse(
                _("The request is too large (at most %(mb)d MB).") % {"mb": limit // 2**20},
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        else:
            response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        personal = bool(user is not None and user.is_authenticated)
        download = "attachment" in response.get("Content-Disposition", "")
        if personal or download:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, " + response["Cache-Control"]
        return response
