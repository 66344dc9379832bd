"""One way to send a file to download: the body, its name, its type."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def attachment(content: str | bytes, filename: str, content_type: str) -> HttpResponse:
    """An HttpResponse the browser saves as ``filename`` (Django quotes and encodes it)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
