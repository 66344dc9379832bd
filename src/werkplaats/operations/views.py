"""/healthz for a load balancer or a monitor; a person's background tasks and message
preferences; the opt-out link in reminders."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from werkplaats.operations import messages
from werkplaats.operations.health import health
from werkplaats.operations.models import OptOut, TaskRun


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


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The background work this person started, with how it ended and why it failed."""
    runs = TaskRun.objects.filter(started_by_id=request.user.pk)[:50]
    return render(request, "operations/tasks.html", {"runs": runs})


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Turn reminders and invitations by e-mail or text message off (or on again)."""
    user: Any = request.user
    if request.method == "POST":
        if request.POST.get("reminders") == "off":
            messages.opt_out(user=user, address=user.email or None)
        else:
            messages.opt_in(user)
        return redirect("operations:preferences")
    off = messages.is_opted_out(user.email or "", user)
    return render(request, "operations/preferences.html", {"off": off})


@never_cache
def stop(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every reminder: no more reminders to this address (asked, then done;
    a mail scanner that opens the link changes nothing)."""
    digest = messages.address_from_token(token)
    if digest is None:
        raise Http404
    done = False
    if request.method == "POST":
        OptOut.objects.get_or_create(address_hash=digest)
        done = True
    return render(request, "operations/stop.html", {"done": done})
