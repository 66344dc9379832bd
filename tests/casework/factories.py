import datetime as dt

import factory

from tests.factory_base import ModelFactory
from tests.partnership.factories import NeighbourhoodFactory, TeamFactory, UserFactory
from werkplaats.casework.models import (
    Client,
    ClientIdentity,
    Contact,
    Dilemma,
    Goal,
    GoalScore,
    NetworkMember,
    NetworkSnapshot,
    Trajectory,
)


class ClientFactory(ModelFactory[Client]):
    class Meta:
        model = Client

    pseudonym = factory.Sequence(lambda n: f"C-{n:05d}")
    birth_year = 1950
    neighbourhood = factory.SubFactory(NeighbourhoodFactory)


class ClientIdentityFactory(ModelFactory[ClientIdentity]):
    class Meta:
        model = ClientIdentity

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Fatima de Vries {n}")
    contact = "06-12345678"


class TrajectoryFactory(ModelFactory[Trajectory]):
    class Meta:
        model = Trajectory

    client = factory.SubFactory(ClientFactory)
    lead_professional = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    start = dt.date(2025, 1, 15)


class GoalFactory(ModelFactory[Goal]):
    class Meta:
        model = Goal

    trajectory = factory.SubFactory(TrajectoryFactory)
    text = "Ik wil zelf mijn post openen en bijhouden"
    level_minus2 = "Post blijft ongeopend liggen"
    level_minus1 = "Ik open post alleen samen met mijn dochter"
    level_0 = "Ik open zelf mijn post, en vraag hulp bij brieven die ik niet snap"
    level_plus1 = "Ik open en beantwoord de meeste post zelf"
    level_plus2 = "Ik regel al mijn post zelf"
    baseline = -1
    created = dt.date(2025, 1, 20)


class GoalScoreFactory(ModelFactory[GoalScore]):
    class Meta:
        model = GoalScore

    goal = factory.SubFactory(GoalFactory)
    date = dt.date(2025, 4, 20)
    level = 0
    recorded_by = factory.LazyAttribute(lambda o: o.goal.trajectory.lead_professional)


class ContactFactory(ModelFactory[Contact]):
    class Meta:
        model = Contact

    trajectory = factory.SubFactory(TrajectoryFactory)
    date = dt.date(2025, 2, 1)
    duration_minutes = 45
    mode = "home_visit"
    recorded_by = factory.LazyAttribute(lambda o: o.trajectory.lead_professional)


class NetworkSnapshotFactory(ModelFactory[NetworkSnapshot]):
    class Meta:
        model = NetworkSnapshot

    trajectory = factory.SubFactory(TrajectoryFactory)
    date = dt.date(2025, 1, 20)


class NetworkMemberFactory(ModelFactory[NetworkMember]):
    class Meta:
        model = NetworkMember

    snapshot = factory.SubFactory(NetworkSnapshotFactory)
    label = factory.Sequence(lambda n: f"Buur {n}")
    relation = "neighbour"
    formal = False
    closeness = 2
    support_given = ["practical"]


class DilemmaFactory(ModelFactory[Dilemma]):
    """A dilemma weighed in practice: walking home alone at night, autonomy or protection."""

    class Meta:
        model = Dilemma

    trajectory = factory.SubFactory(TrajectoryFactory)
    date = dt.date(2026, 3, 17)
    tension = Dilemma.Tension.AUTONOMY_PROTECTION
    description = "Klaas wilde 's nachts alleen naar huis lopen"
    values_at_stake = "zelfbeschikking; veiligheid"
    options_weighed = "meelopen of laten gaan"
    choice = "laten gaan met telefoonafspraak"
    reasons = "vertrouwen opbouwen"
    recorded_by = factory.LazyAttribute(lambda o: o.trajectory.lead_professional)
