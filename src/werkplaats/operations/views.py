"""/healthz for a load balancer or a monitor."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from werkplaats.operations.health import health


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while this server can answer (database reachable, schema current), else 503.

    A worker that has not been heard from makes the status ``degraded`` but keeps 200:
    a load balancer must not take every web server out because the worker stopped; a
    monitor alerts on ``degraded``.
    """
    state = health()
    body = {
        "status": state.status,
        "database": state.database,
        "migrations": state.migrations,
        "worker": state.worker,
    }
    return JsonResponse(body, status=200 if state.serving else 503)
