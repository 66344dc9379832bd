"""The client's own pages, in plain language: my goals, my network, my data, my consents."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from werkplaats.casework import access, selectors
from werkplaats.casework.network_map import network_svg
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
            "charts": score_charts(current, timezone.localdate(), informant="client"),
        },
    )


@login_required
def me_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything stored about the client, as one JSON file to download."""
    client = access.own_client_record(request.user)
    trajectories: list[dict[str, Any]] = []
    data: dict[str, Any] = {
        "pseudonym": client.pseudonym,
        "birth_year": client.birth_year,
        "language": client.language,
        "neighbourhood": str(client.neighbourhood) if client.neighbourhood else None,
        "identity": None,
        "trajectories": trajectories,
        "consents": [
            {
                "purpose": c.purpose,
                "study": c.study.title if c.study else None,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in client.consents.select_related("study")
        ],
    }
    identity = getattr(client, "identity", None)
    if identity is not None:
        data["identity"] = {"name": identity.name, "contact": identity.contact}
    for t in client.trajectories.prefetch_related(
        "goals__scores", "contacts", "network_snapshots__members"
    ):
        trajectories.append(
            {
                "start": t.start.isoformat(),
                "end": t.end.isoformat() if t.end else None,
                "status": t.status,
                "goals": [
                    {
                        "text": g.text,
                        "levels": dict(g.level_descriptions()),
                        "scores": [
                            {"date": s.date.isoformat(), "level": s.level} for s in g.scores.all()
                        ],
                    }
                    for g in t.goals.all()
                ],
                "contacts": [
                    {"date": c.date.isoformat(), "mode": c.mode, "minutes": c.duration_minutes}
                    for c in t.contacts.all()
                ],
                "network": [
                    {
                        "date": s.date.isoformat(),
                        "people": [
                            {
                                "label": m.label,
                                "relation": m.relation,
                                "formal": m.formal,
                                "closeness": m.closeness,
                            }
                            for m in s.members.all()
                        ],
                    }
                    for s in t.network_snapshots.all()
                ],
            }
        )
    log_access(request.user, "export", client, "own data download")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="mijn-gegevens-{client.pseudonym}.json"'
    )
    return response
