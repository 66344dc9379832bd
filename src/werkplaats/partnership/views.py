"""Partnership pages: a team for its manager, an organisation for its admin."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import render

from werkplaats.partnership import access
from werkplaats.partnership.http import AuthenticatedHttpRequest
from werkplaats.partnership.models import Membership, Role


@login_required
def team_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    team = access.access_team_by_id(request.user, pk)
    professionals = (
        Membership.objects.filter(team=team, role=Role.PROFESSIONAL)
        .select_related("user")
        .annotate(
            n_open=Count(
                "user__led_trajectories",
                filter=Q(user__led_trajectories__status="open", user__led_trajectories__team=team),
            )
        )
        .order_by("user__last_name")
    )
    return render(request, "partnership/team.html", {"team": team, "professionals": professionals})


@login_required
def organisation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    organisation = access.access_organisation_by_id(request.user, pk)
    # Who is a client or in a client's network is case content: an admin sees staff by
    # name, and of the others only how many accounts there are.
    memberships = organisation.memberships.select_related("user", "team")
    staff = memberships.exclude(role__in=access.CASE_PERSON_ROLES).order_by(
        "role", "user__last_name"
    )
    case_accounts = memberships.filter(role__in=access.CASE_PERSON_ROLES).count()
    teams = organisation.teams.annotate(n_members=Count("memberships"))
    return render(
        request,
        "partnership/organisation.html",
        {
            "organisation": organisation,
            "members": staff,
            "case_accounts": case_accounts,
            "teams": teams,
        },
    )
