"""A small world with one persona per role, plus 'the other one' for reach checks.

Alice is a professional who leads trajectory A in team A; Carol manages team A. Bob
and Dave are their counterparts in another organisation. Klaas is Alice's client; Kim is
a client elsewhere. Rita researches study S, for which Klaas gave consent; Ruben is a
researcher not on that study. Erin administers organisation A, Frank organisation B.
Paula makes policy in municipality A. Eva is an experience expert, Otto an educator,
Nina a network member.
"""

from __future__ import annotations

from types import SimpleNamespace

from tests.casework.factories import (
    ClientFactory,
    ClientIdentityFactory,
    ContactFactory,
    GoalFactory,
    GoalScoreFactory,
    NetworkMemberFactory,
    NetworkSnapshotFactory,
    TrajectoryFactory,
)
from tests.partnership.factories import (
    MembershipFactory,
    MunicipalityFactory,
    NeighbourhoodFactory,
    OrganisationFactory,
    TeamFactory,
    UserFactory,
)
from tests.programme.factories import ConsentFactory, StudyFactory
from werkplaats.partnership.models import Role, StakeholderKind

PASSWORD = "correct-horse-battery"

PERSONAS = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "rita",
    "ruben",
    "paula",
    "eva",
    "otto",
    "nina",
    "klaas",
    "kim",
]


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.municipality_a = MunicipalityFactory(name="Gemeente A")
    w.municipality_b = MunicipalityFactory(name="Gemeente B")
    w.hood_a = NeighbourhoodFactory(municipality=w.municipality_a, name="Centrum")
    w.hood_b = NeighbourhoodFactory(municipality=w.municipality_b, name="Noord")
    w.org_a = OrganisationFactory(name="Welzijn A", kind=StakeholderKind.PRACTICE)
    w.org_b = OrganisationFactory(name="Welzijn B", kind=StakeholderKind.PRACTICE)
    w.org_municipality = OrganisationFactory(
        name="Gemeente A (beleid)",
        kind=StakeholderKind.MUNICIPALITY,
        municipality=w.municipality_a,
    )
    w.org_university = OrganisationFactory(name="Hogeschool", kind=StakeholderKind.KNOWLEDGE)
    w.org_clients = OrganisationFactory(name="Clientenraad", kind=StakeholderKind.CLIENT_ORG)
    w.org_education = OrganisationFactory(name="Opleiding", kind=StakeholderKind.EDUCATION)
    w.team_a = TeamFactory(organisation=w.org_a, name="Team A")
    w.team_b = TeamFactory(organisation=w.org_b, name="Team B")

    def person(name: str, role: str, organisation, team=None):  # type: ignore[no-untyped-def]
        user = UserFactory(username=name, first_name=name.capitalize())
        MembershipFactory(user=user, organisation=organisation, role=role, team=team)
        return user

    w.alice = person("alice", Role.PROFESSIONAL, w.org_a, w.team_a)
    w.bob = person("bob", Role.PROFESSIONAL, w.org_b, w.team_b)
    w.carol = person("carol", Role.TEAM_MANAGER, w.org_a, w.team_a)
    w.dave = person("dave", Role.TEAM_MANAGER, w.org_b, w.team_b)
    w.erin = person("erin", Role.ORG_ADMIN, w.org_a)
    w.frank = person("frank", Role.ORG_ADMIN, w.org_b)
    w.rita = person("rita", Role.RESEARCHER, w.org_university)
    w.ruben = person("ruben", Role.RESEARCHER, w.org_university)
    w.paula = person("paula", Role.POLICY_MAKER, w.org_municipality)
    w.eva = person("eva", Role.EXPERIENCE_EXPERT, w.org_clients)
    w.otto = person("otto", Role.EDUCATOR, w.org_education)
    w.nina = person("nina", Role.NETWORK_MEMBER, w.org_a)
    w.klaas = person("klaas", Role.CLIENT, w.org_a)
    w.kim = person("kim", Role.CLIENT, w.org_b)

    w.client_a = ClientFactory(pseudonym="C-A0001", neighbourhood=w.hood_a, user=w.klaas)
    w.client_b = ClientFactory(pseudonym="C-B0001", neighbourhood=w.hood_b, user=w.kim)
    w.identity_a = ClientIdentityFactory(client=w.client_a, name="Klaas Bakker")
    w.trajectory_a = TrajectoryFactory(client=w.client_a, lead_professional=w.alice, team=w.team_a)
    w.trajectory_b = TrajectoryFactory(client=w.client_b, lead_professional=w.bob, team=w.team_b)
    w.goal_a = GoalFactory(trajectory=w.trajectory_a)
    w.goal_b = GoalFactory(trajectory=w.trajectory_b)
    GoalScoreFactory(goal=w.goal_a, level=0)
    ContactFactory(trajectory=w.trajectory_a)
    snapshot = NetworkSnapshotFactory(trajectory=w.trajectory_a)
    NetworkMemberFactory(snapshot=snapshot, label="Dochter", relation="family", closeness=1)
    NetworkMemberFactory(
        snapshot=snapshot, label="Huisarts", relation="professional", formal=True, closeness=3
    )

    w.study_s = StudyFactory(title="Studie S")
    w.study_s.researchers.add(w.rita)
    w.consent_a = ConsentFactory(client=w.client_a, study=w.study_s, recorded_by=w.alice)
    w.consent_b = ConsentFactory(client=w.client_b, study=w.study_s, recorded_by=w.bob)
    return w
