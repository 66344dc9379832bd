"""An organisation admin invites people, changes their role or team, deactivates them
(never deletes), and keeps the teams; an invited person chooses a password and logs in."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.text import found
from werkplaats.core.models import AccessLog
from werkplaats.partnership.models import Invitation, Membership, Team, User

pytestmark = pytest.mark.django_db


def _admin(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.erin)
    return client


def _invite(world, **extra):
    data = {"username": "sam", "first_name": "Sam", "last_name": "Jansen", "role": "professional"}
    data.update(team=str(world.team_a.pk))
    data.update(extra)
    return _admin(world).post(
        reverse("partnership:member_invite", kwargs={"pk": world.org_a.pk}), data
    )


def test_an_invited_person_sets_a_password_once_and_logs_in(world) -> None:
    response = _invite(world)
    assert response.status_code == 200
    url = found(r'value="(http[^"]+/invitation/[^"]+/)"', response.content.decode())
    sam = User.objects.get(username="sam")
    assert not sam.has_usable_password()
    assert Membership.objects.get(user=sam).team == world.team_a
    path = url.split("8000", 1)[1] if "8000" in url else url
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="en")
    weak = anonymous.post(path, {"new_password1": "sam", "new_password2": "sam"})
    assert weak.status_code == 400 and b"too short" in weak.content
    good = {"new_password1": "a-long-enough-phrase", "new_password2": "a-long-enough-phrase"}
    assert anonymous.post(path, good).status_code == 302
    login = anonymous.post(
        reverse("login"), {"username": "sam", "password": "a-long-enough-phrase"}
    )
    assert login.status_code == 302 and login["Location"] == reverse("home")
    assert Client().get(path).status_code == 410  # spent


def test_an_invitation_is_mailed_to_an_address(world) -> None:
    response = _invite(world, email="sam@example.org")
    assert b"was mailed to sam@example.org" in response.content
    assert mail.outbox[0].to == ["sam@example.org"] and "/invitation/" in mail.outbox[0].body
    assert b"/invitation/" not in response.content


def test_the_invite_form_says_what_to_fix(world) -> None:
    response = _invite(world, username="alice")
    assert response.status_code == 400 and "is taken; choose another" in response.content.decode()
    response = _invite(world, team="")
    assert (
        response.status_code == 400 and "works in a team: choose one" in response.content.decode()
    )
    assert User.objects.filter(username="alice").count() == 1
    response = _invite(world, username="has space")
    assert response.status_code == 400 and "no spaces" in response.content.decode()


def test_an_admin_cannot_put_someone_in_another_organisations_team(world) -> None:
    response = _invite(world, team=str(world.team_b.pk))
    assert response.status_code == 400 and not User.objects.filter(username="sam").exists()


def test_role_team_and_deactivation_with_a_version_check(world) -> None:
    membership = Membership.objects.get(user=world.alice)
    url = reverse("partnership:member", kwargs={"pk": world.org_a.pk, "member": membership.pk})
    admin = _admin(world)
    assert admin.get(url).status_code == 200
    data = {"version": membership.version, "role": "team_manager", "team": world.team_a.pk}
    assert admin.post(url, data).status_code == 302  # 'active' unticked: deactivated
    world.alice.refresh_from_db()
    membership.refresh_from_db()
    assert membership.role == "team_manager" and not world.alice.is_active
    assert User.objects.filter(pk=world.alice.pk).exists()  # never deleted
    stale = admin.post(url, {**data, "role": "professional", "active": "on"})
    assert stale.status_code == 409 and b"Someone else saved" in stale.content
    membership.refresh_from_db()
    assert membership.role == "team_manager"
    assert AccessLog.objects.filter(object_type="partnership.user", detail="deactivated").exists()


def test_an_admin_cannot_deactivate_themselves(world) -> None:
    membership = Membership.objects.get(user=world.erin)
    url = reverse("partnership:member", kwargs={"pk": world.org_a.pk, "member": membership.pk})
    response = _admin(world).post(url, {"version": membership.version, "role": "org_admin"})
    assert response.status_code == 400 and b"your own account" in response.content
    world.erin.refresh_from_db()
    assert world.erin.is_active


def test_clients_are_not_editable_by_the_admin(world) -> None:
    membership = Membership.objects.get(user=world.klaas)
    url = reverse("partnership:member", kwargs={"pk": world.org_a.pk, "member": membership.pk})
    assert _admin(world).get(url).status_code == 404


def test_teams_are_created_renamed_and_given_neighbourhoods(world) -> None:
    admin = _admin(world)
    new = reverse("partnership:team_new", kwargs={"pk": world.org_a.pk})
    assert admin.post(new, {"name": "Team A"}).status_code == 400  # taken
    assert (
        admin.post(new, {"name": "Team Oost", "neighbourhoods": [world.hood_a.pk]}).status_code
        == 302
    )
    team = Team.objects.get(name="Team Oost")
    assert list(team.neighbourhoods.all()) == [world.hood_a]
    edit = reverse("partnership:team_edit", kwargs={"pk": team.pk})
    assert admin.post(edit, {"version": team.version, "name": "Team West"}).status_code == 302
    team.refresh_from_db()
    assert team.name == "Team West" and not team.neighbourhoods.exists()
    stale = admin.post(edit, {"version": 1, "name": "Team Zuid"})
    assert stale.status_code == 409


def test_a_new_invitation_replaces_the_old_link(world) -> None:
    _invite(world)
    sam = Membership.objects.get(user__username="sam")
    url = reverse("partnership:member_reinvite", kwargs={"pk": world.org_a.pk, "member": sam.pk})
    assert _admin(world).post(url).status_code == 200
    assert Invitation.objects.filter(user=sam.user, used_at__isnull=True).count() == 1
