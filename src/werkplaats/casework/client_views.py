"""The client's own pages, in plain language: my goals, my network, my data, my consents."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from werkplaats.casework import access, selectors
from werkplaats.casework.network_map import network_svg
from werkplaats.casework.own_data import own_data
from werkplaats.casework.who_looked import who_looked
from werkplaats.core.audit import log_access
from werkplaats.core.http import AuthenticatedHttpRequest
from werkplaats.measurements.selectors import score_charts
from werkplaats.partnership.models import Membership, Role


def _who_may_see(client: object, trajectories: list) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    for t in trajectories:
        people.append(
            {
                "who": t.lead_professional.get_full_name() or t.lead_professional.username,
                "why": "lead",
            }
        )
        for m in Membership.objects.filter(team=t.team, role=Role.TEAM_MANAGER).select_related(
            "user"
        ):
            people.append({"who": m.user.get_full_name() or m.user.username, "why": "manager"})
    return people


@login_required
def me(request: AuthenticatedHttpRequest) -> HttpResponse:
    client = access.own_client_record(request.user)
    trajectories = list(
        client.trajectories.select_related("lead_professional", "team").order_by("-start")
    )
    current = trajectories[0] if trajectories else None
    goals = selectors.goal_rows(current) if current else []
    waves = selectors.network_waves(current) if current else []
    consents = client.consents.select_related("study").order_by("-given_at")
    return render(
        request,
        "casework/me.html",
        {
            "client": client,
            "trajectory": current,
            "goals": goals,
            "waves": waves,
            "network_svg": network_svg(waves[-1].members, "Ik") if waves else None,
            "consents": consents,
            "who_may_see": _who_may_see(client, trajectories),
            "who_looked": who_looked(client)[:50],
            "charts": score_charts(current, timezone.localdate(), informant="client"),
        },
    )


@login_required
def me_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything stored about the client, as one JSON file to download."""
    client = access.own_client_record(request.user)
    log_access(request.user, "export", client, "own data download")
    data = own_data(client)
    data["who_looked_at_my_file"] = [
        {**row, "when": row["when"].isoformat()} for row in who_looked(client)
    ]
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="mijn-gegevens-{client.pseudonym}.json"'
    )
    return response
