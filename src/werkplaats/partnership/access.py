"""Who may see which part of the partnership (organisations, teams, people).

Rule of thumb for every access function in the project: a role that never sees this
kind of object gets 403 (PermissionDenied); a role that does, asking for an object
outside its reach, gets 404 (Http404), so existence is not revealed.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from werkplaats.core.audit import log_access
from werkplaats.partnership.models import Membership, Organisation, Role, Team, User

# Accounts of people whose being known to the organisation is itself case content.
CASE_PERSON_ROLES = (Role.CLIENT, Role.NETWORK_MEMBER)


def require_role(user: User, *roles: str) -> None:
    if not user.is_authenticated or not user.has_role(*roles):
        raise PermissionDenied


def managed_team_ids(user: User) -> list[int]:
    return list(
        Membership.objects.filter(user=user, role=Role.TEAM_MANAGER).values_list(
            "team_id", flat=True
        )
    )


def access_team_by_id(user: User, team_id: int) -> Team:
    """A team page is for the team's manager."""
    require_role(user, Role.TEAM_MANAGER)
    if team_id not in managed_team_ids(user):
        raise Http404
    return Team.objects.select_related("organisation").get(pk=team_id)


def administered_organisation_ids(user: User) -> list[int]:
    return list(
        Membership.objects.filter(user=user, role=Role.ORG_ADMIN).values_list(
            "organisation_id", flat=True
        )
    )


def access_organisation_by_id(user: User, organisation_id: int) -> Organisation:
    """Users and teams of an organisation, for its admins — never case content."""
    require_role(user, Role.ORG_ADMIN)
    if organisation_id not in administered_organisation_ids(user):
        raise Http404
    return Organisation.objects.get(pk=organisation_id)


def policy_municipality_ids(user: User) -> list[int]:
    """Municipalities whose aggregate figures a policy maker may see."""
    require_role(user, Role.POLICY_MAKER)
    return list(
        Organisation.objects.filter(
            memberships__user=user, memberships__role=Role.POLICY_MAKER
        ).values_list("municipality_id", flat=True)
    )


def access_member_by_id(user: User, organisation: Organisation, membership_id: int) -> Membership:
    """A staff member's role in an organisation the user administers (logged: a person's
    name and address are personal data). Clients and network members are case content."""
    require_role(user, Role.ORG_ADMIN)
    if organisation.pk not in administered_organisation_ids(user):
        raise Http404
    try:
        membership = (
            Membership.objects.select_related("user", "team", "organisation")
            .exclude(role__in=CASE_PERSON_ROLES)
            .get(pk=membership_id, organisation=organisation)
        )
    except Membership.DoesNotExist:
        raise Http404 from None
    log_access(user, "view", membership.user, "as organisation admin")
    return membership


def access_team_admin_by_id(user: User, team_id: int) -> Team:
    """Renaming a team and setting its neighbourhoods: for its organisation's admins."""
    require_role(user, Role.ORG_ADMIN)
    try:
        return Team.objects.select_related("organisation").get(
            pk=team_id, organisation_id__in=administered_organisation_ids(user)
        )
    except Team.DoesNotExist:
        raise Http404 from None
