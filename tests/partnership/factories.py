import factory

from tests.factory_base import ModelFactory
from werkplaats.partnership.models import (
    Membership,
    Municipality,
    Neighbourhood,
    Organisation,
    StakeholderKind,
    Team,
    User,
)


class MunicipalityFactory(ModelFactory[Municipality]):
    class Meta:
        model = Municipality

    name = factory.Sequence(lambda n: f"Gemeente {n}")


class NeighbourhoodFactory(ModelFactory[Neighbourhood]):
    class Meta:
        model = Neighbourhood

    municipality = factory.SubFactory(MunicipalityFactory)
    name = factory.Sequence(lambda n: f"Wijk {n}")


class OrganisationFactory(ModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisatie {n}")
    kind = StakeholderKind.PRACTICE


class TeamFactory(ModelFactory[Team]):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


def _save_with_password(user: User, create: bool, extracted: object, **kwargs: object) -> None:
    """Save once, after the password is set (factory_boy's own save is skipped)."""
    if create:
        user.save()


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"Voornaam{n}")
    last_name = "Jansen"
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    _save = factory.PostGeneration(_save_with_password)


class MembershipFactory(ModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "professional"
