"""Aggregate figures for policy makers: counts only, small cells suppressed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from werkplaats.casework.models import Trajectory
from werkplaats.core.http import AuthenticatedHttpRequest
from werkplaats.partnership.access import policy_municipality_ids

MIN_CELL = 10


@login_required
def figures(request: AuthenticatedHttpRequest) -> HttpResponse:
    municipality_ids = policy_municipality_ids(request.user)
    counts = (
        Trajectory.objects.filter(
            status=Trajectory.Status.OPEN,
            client__neighbourhood__municipality_id__in=municipality_ids,
        )
        .values("client__neighbourhood__municipality__name", "client__neighbourhood__name")
        .annotate(n=Count("client", distinct=True))
        .order_by("client__neighbourhood__municipality__name", "client__neighbourhood__name")
    )
    rows = [
        {
            "municipality": row["client__neighbourhood__municipality__name"],
            "neighbourhood": row["client__neighbourhood__name"],
            # Cells under the threshold are shown as "<10"; counts are rounded to 5.
            "n": None if row["n"] < MIN_CELL else 5 * round(row["n"] / 5),
        }
        for row in counts
    ]
    return render(request, "casework/figures.html", {"rows": rows, "min_cell": MIN_CELL})
