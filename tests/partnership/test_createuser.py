import pytest
from django.core.management import CommandError, call_command

from tests.partnership.factories import OrganisationFactory, TeamFactory
from werkplaats.partnership.models import Membership, User

pytestmark = pytest.mark.django_db


def test_creates_user_with_role_and_team():
    team = TeamFactory(name="Team Centrum", organisation=OrganisationFactory(name="Welzijn"))
    call_command(
        "createuser",
        "sanne",
        role="team_manager",
        organisation="Welzijn",
        team="Team Centrum",
        password="a-long-enough-passphrase",
    )
    user = User.objects.get(username="sanne")
    assert user.check_password("a-long-enough-passphrase")
    assert Membership.objects.get(user=user).team == team


def test_weak_password_is_refused_with_the_validators_message():
    OrganisationFactory(name="Welzijn")
    with pytest.raises(CommandError, match="too short|te kort"):
        call_command(
            "createuser", "sanne", role="professional", organisation="Welzijn", password="kort"
        )
    assert not User.objects.filter(username="sanne").exists()


def test_team_manager_needs_a_team():
    OrganisationFactory(name="Welzijn")
    with pytest.raises(CommandError, match="team"):
        call_command(
            "createuser",
            "sanne",
            role="team_manager",
            organisation="Welzijn",
            password="a-long-enough-passphrase",
        )


def test_unknown_organisation_is_named():
    with pytest.raises(CommandError, match="Nergens"):
        call_command(
            "createuser",
            "sanne",
            role="professional",
            organisation="Nergens",
            password="a-long-enough-passphrase",
        )
