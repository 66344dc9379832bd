"""Writes for the partnership: people and their roles."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from werkplaats.partnership.models import Membership, Organisation, Role, Team, User


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
