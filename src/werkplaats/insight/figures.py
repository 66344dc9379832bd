"""Aggregate figures for policy makers: counts only, small cells suppressed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from werkplaats.casework.models import Trajectory
from werkplaats.core.data_versions import kept
from werkplaats.insight import inputs
from werkplaats.partnership.access import policy_municipality_ids
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.stats.sdc import THRESHOLD, round_to_base


@login_required
def figures(request: AuthenticatedHttpRequest) -> HttpResponse:
    municipality_ids = sorted(i for i in policy_municipality_ids(request.user) if i is not None)
    # kept until a trajectory, client, neighbourhood or municipality is written to, for
    # exactly the municipalities this policy maker may see
    rows = kept(
        f"insight:figures:{','.join(map(str, municipality_ids))}",
        inputs.policy_figures(),
        lambda: _rows(municipality_ids),
    )
    return render(request, "insight/figures.html", {"rows": rows, "min_cell": THRESHOLD})


def _rows(municipality_ids: list[int]) -> list[dict[str, Any]]:
    counts = (
        Trajectory.objects.filter(
            status=Trajectory.Status.OPEN,
            client__neighbourhood__municipality_id__in=municipality_ids,
        )
        .values("client__neighbourhood__municipality__name", "client__neighbourhood__name")
        .annotate(n=Count("client", distinct=True))
        .order_by("client__neighbourhood__municipality__name", "client__neighbourhood__name")
    )
    return [
        {
            "municipality": row["client__neighbourhood__municipality__name"],
            "neighbourhood": row["client__neighbourhood__name"],
            # The disclosure rules of the statistics core: cells under the threshold are
            # shown as "<10", other counts rounded to 5. There are no margins here, so
            # nothing can be recovered by subtraction.
            "n": None if row["n"] < THRESHOLD else int(round_to_base(row["n"])),
        }
        for row in counts
    ]
