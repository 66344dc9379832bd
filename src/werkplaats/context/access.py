"""Who answers the context scan and who sees a team's or organisation's profile.

- a team's scan: its professionals (as team member) and its team managers (as manager);
- an organisation's scan: its professionals and team managers (team member) and its
  organisation admins (manager);
- a team's profile: the same people, and the organisation's admins; an organisation's
  profile: its professionals, team managers and admins. Other roles never see these
  pages (403); a team or organisation out of reach is 404;
- municipality characteristics: the municipality's policy makers.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from werkplaats.context.models import ContextInformant
from werkplaats.core.audit import log_access
from werkplaats.partnership.access import policy_municipality_ids, require_role
from werkplaats.partnership.models import Membership, Municipality, Organisation, Role, Team, User

UNIT_ROLES = (Role.PROFESSIONAL, Role.TEAM_MANAGER, Role.ORG_ADMIN)


def team_informant(user: User, team: Team) -> str | None:
    """How ``user`` answers about ``team``: as manager, as team member, or not at all."""
    roles = set(Membership.objects.filter(user=user, team=team).values_list("role", flat=True))
    if Role.TEAM_MANAGER in roles:
        return ContextInformant.MANAGER
    if Role.PROFESSIONAL in roles:
        return ContextInformant.TEAM_MEMBER
    return None


def organisation_informant(user: User, organisation: Organisation) -> str | None:
    roles = set(
        Membership.objects.filter(user=user, organisation=organisation).values_list(
            "role", flat=True
        )
    )
    if Role.ORG_ADMIN in roles:
        return ContextInformant.MANAGER
    if roles & {Role.PROFESSIONAL, Role.TEAM_MANAGER}:
        return ContextInformant.TEAM_MEMBER
    return None


def access_team(user: User, team_id: int, *, answer: bool = False) -> tuple[Team, str | None]:
    """The team and how the user answers about it (404 when out of reach)."""
    require_role(user, *UNIT_ROLES)
    team = get_object_or_404(Team.objects.select_related("organisation"), pk=team_id)
    informant = team_informant(user, team)
    admin = Membership.objects.filter(
        user=user, organisation=team.organisation, role=Role.ORG_ADMIN
    ).exists()
    if informant is None and (answer or not admin):
        raise Http404
    log_access(user, "change" if answer else "view", team, "context", clients=[])
    return team, informant


def access_organisation(
    user: User, organisation_id: int, *, answer: bool = False
) -> tuple[Organisation, str | None]:
    require_role(user, *UNIT_ROLES)
    organisation = get_object_or_404(Organisation, pk=organisation_id)
    informant = organisation_informant(user, organisation)
    if informant is None:
        raise Http404
    log_access(user, "change" if answer else "view", organisation, "context", clients=[])
    return organisation, informant


def access_municipality(user: User, municipality_id: int) -> Municipality:
    if municipality_id not in policy_municipality_ids(user):
        raise Http404
    municipality = get_object_or_404(Municipality, pk=municipality_id)
    log_access(user, "view", municipality, "characteristics", clients=[])
    return municipality


def policy_municipalities(user: User) -> list[Municipality]:
    return list(Municipality.objects.filter(pk__in=policy_municipality_ids(user)))
