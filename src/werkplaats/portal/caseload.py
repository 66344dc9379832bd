"""The professional's working pages: the worklist on the home page and the caseload.

Both compose casework (who may see which trajectory, names), measurements (waves) and
insight (the not-on-track signal), which is why they live in the portal. Each page reads
a page of rows with a fixed number of queries, whatever the size of the caseload.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from werkplaats.casework import access as case_access
from werkplaats.casework import selectors as case_selectors
from werkplaats.casework.models import Trajectory
from werkplaats.core.audit import log_list_access
from werkplaats.insight.on_track import not_on_track
from werkplaats.measurements import worklist as work
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import User

CASELOAD_PAGE = 50
WORKLIST_PAGE = 25


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def worklist_context(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """The home page's worklist with its filters (kind, team member, when) and a page."""
    visible = case_access.visible_trajectories(request.user)
    kind = request.GET.get("kind", "")
    kind = kind if kind in work.KINDS else ""
    when = request.GET.get("when", "")
    when = when if when in (work.OVERDUE, work.THIS_WEEK) else ""
    members = list(
        User.objects.filter(led_trajectories__in=visible.filter(status=Trajectory.Status.OPEN))
        .distinct()
        .order_by("first_name", "username")
    )
    lead_id = _int(request.GET.get("who"))
    if lead_id not in {m.pk for m in members}:
        lead_id = None
    items = work.worklist(visible, timezone.localdate(), kind=kind, lead_id=lead_id, when=when)
    page = Paginator(items, WORKLIST_PAGE).get_page(request.GET.get("page"))
    log_list_access(
        request.user,
        Trajectory,
        f"worklist, {len(page.object_list)} of {len(items)} items",
        clients=[i.trajectory.client_id for i in page.object_list],
    )
    return {
        "work": page,
        "work_total": len(items),
        "work_filter": {"kind": kind, "when": when, "who": lead_id or ""},
        "work_members": members if len(members) > 1 else [],
        "work_kinds": work.KINDS,
    }


@login_required
def caseload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Trajectories with their next wave and the not-on-track signal; search by
    pseudonym or (for those who may see names) by name; 50 a page."""
    visible = case_access.visible_trajectories(request.user)
    status = request.GET.get("status", "open")
    if status in {"open", "paused", "closed"}:
        visible = visible.filter(status=status)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        named = case_access.clients_named(request.user, visible, query)
        visible = visible.filter(Q(client__pseudonym__icontains=query) | Q(client_id__in=named))
    rows = case_selectors.caseload(visible)
    page = Paginator(rows, CASELOAD_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    log_list_access(
        request.user,
        Trajectory,
        f"caseload ({status}), {len(shown)} rows",
        clients=[row.client_id for row in shown],
    )
    signals = not_on_track(shown)
    upcoming = work.next_waves(shown, timezone.localdate())
    return render(
        request,
        "casework/caseload.html",
        {
            "rows": [(t, signals.get(t.pk), upcoming.get(t.pk)) for t in shown],
            "page": page,
            "status": status,
            "query": query,
        },
    )
