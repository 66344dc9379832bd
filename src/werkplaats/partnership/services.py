"""Writes for the partnership: people, their roles and invitations, teams."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership import invitations
from werkplaats.partnership.models import STAFF_ROLES, Membership, Organisation, Role, Team, User


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    organisation: Organisation,
    role: str,
    team: Team | None = None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    if User.objects.filter(username=username).exists():
        raise ValidationError(_("The username %(name)s is taken.") % {"name": username})
    if role == Role.TEAM_MANAGER and team is None:
        raise ValidationError(_("A team manager needs a team."))
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError(_("That team belongs to another organisation."))
    user = User(username=username, first_name=first_name, last_name=last_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    membership = Membership(user=user, organisation=organisation, role=role, team=team)
    membership.full_clean()
    membership.save()
    return user


def _check_team(organisation: Organisation, role: str, team: Team | None) -> None:
    if role in (Role.TEAM_MANAGER, Role.PROFESSIONAL) and team is None:
        raise ValidationError(
            {"team": _("A professional or team manager works in a team: choose one.")}
        )
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError({"team": _("That team belongs to another organisation.")})


@transaction.atomic
def user_invite(
    *,
    by: User,
    organisation: Organisation,
    username: str,
    role: str,
    team: Team | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    language: str = "nl",
) -> tuple[User, invitations.Sent]:
    """A new account without a password, and an invitation to choose one."""
    if role not in STAFF_ROLES:
        raise ValidationError({"role": _("This role cannot be given here.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("The username %(name)s is taken; choose another.") % {"name": username}}
        )
    _check_team(organisation, role, team)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    membership = Membership(user=user, organisation=organisation, role=role, team=team)
    membership.full_clean()
    membership.save()
    log_access(by, "create", membership, f"user {user.pk} invited")
    sent = invitations.invite(user, by=by, language=language)
    return user, sent


@transaction.atomic
def membership_update(
    *,
    by: User,
    membership: Membership,
    expected_version: int,
    role: str,
    team: Team | None,
    active: bool,
) -> Membership:
    """Change a person's role or team, or (de)activate their account; never delete it."""
    if role not in STAFF_ROLES:
        raise ValidationError({"role": _("This role cannot be given here.")})
    _check_team(membership.organisation, role, team)
    user = membership.user
    if not active and user.pk == by.pk:
        raise ValidationError(
            {"active": _("You cannot deactivate your own account; ask another admin.")}
        )
    if (
        Membership.objects.filter(
            user=user, organisation=membership.organisation, role=role, team=team
        )
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ValidationError(_("This person already has that role in that team."))
    membership.role, membership.team = role, team
    save_versioned(membership, expected_version, ["role", "team"])
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        log_access(by, "change", user, "activated" if active else "deactivated")
    log_access(by, "change", membership)
    return membership


@transaction.atomic
def team_create(*, by: User, organisation: Organisation, name: str, neighbourhoods: Any) -> Team:
    if Team.objects.filter(organisation=organisation, name__iexact=name).exists():
        raise ValidationError({"name": _("There is already a team with this name.")})
    team = Team(organisation=organisation, name=name)
    team.full_clean()
    team.save()
    team.neighbourhoods.set(neighbourhoods)
    log_access(by, "create", team)
    return team


@transaction.atomic
def team_update(
    *, by: User, team: Team, expected_version: int, name: str, neighbourhoods: Any
) -> Team:
    if (
        Team.objects.filter(organisation=team.organisation, name__iexact=name)
        .exclude(pk=team.pk)
        .exists()
    ):
        raise ValidationError({"name": _("There is already a team with this name.")})
    team.name = name
    team.full_clean(exclude=["organisation"])
    save_versioned(team, expected_version, ["name"])
    team.neighbourhoods.set(neighbourhoods)
    log_access(by, "change", team)
    return team
