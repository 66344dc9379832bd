"""A small world with one persona per role, plus 'the other one' for reach checks.

Alice is a professional who leads trajectory A in team A; Carol manages team A. Bob
and Dave are their counterparts in another organisation. Klaas is Alice's client; Kim is
a client elsewhere. Rita researches study S, for which Klaas gave consent; Ruben is a
researcher not on that study. Erin administers organisation A, Frank organisation B.
Paula makes policy in municipality A. Eva is an experience expert, Otto an educator,
Nina a network member.

Stories: Klaas told story A (linked to his trajectory and study S, research consent
given); its anonymised version is coded in round A (blind) by Rita, Eva and Klaas; Eva
coded one segment. Rita owns codebook A, wrote finding A, held dialogue A, and sent a
member check to Klaas (also reachable by a one-time link, ``check_token``).
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

    def person(name: str, role: str, organisation, team=None):
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
    build_stories(w)
    return w


def build_stories(w: SimpleNamespace) -> None:
    """Stories objects for the personas (see the module docstring)."""
    import datetime as dt

    from tests.stories.factories import (
        CodebookFactory,
        CodeFactory,
        CodingRoundFactory,
        SharedVersionFactory,
        SourceFactory,
    )
    from werkplaats.stories import services
    from werkplaats.stories.models import CoCodingAgreement, CoderAssignment, Segment

    w.source_a = SourceFactory(
        study=w.study_s, trajectory=w.trajectory_a, teller_client=w.client_a, created_by=w.alice
    )
    w.shared_a = SharedVersionFactory(source=w.source_a, reviewed_by=w.rita)
    w.codebook_a = CodebookFactory(owner=w.rita)
    w.codebook_a.studies.add(w.study_s)
    w.theme_a = CodeFactory(codebook=w.codebook_a, name="Netwerk", is_group=True)
    w.code_a = CodeFactory(codebook=w.codebook_a, name="Steun van buren", parent=w.theme_a)
    w.round_a = CodingRoundFactory(study=w.study_s, codebook=w.codebook_a, created_by=w.rita)
    w.round_a.documents.add(w.shared_a)
    for coder in (w.eva, w.klaas):  # they agreed to co-code; Rita researches the study
        CoCodingAgreement.objects.create(user=coder)
    for coder in (w.rita, w.eva, w.klaas):
        CoderAssignment.objects.create(round=w.round_a, coder=coder)
    w.segment_a = Segment.objects.create(
        round=w.round_a,
        document=w.shared_a,
        coder=w.eva,
        code=w.code_a,
        start=0,
        end=30,
        snippet=w.shared_a.text[0:30],
    )
    w.finding_a = services.finding_create(
        study=w.study_s, user=w.rita, statement="Buren maken het verschil."
    )
    w.dialogue_a = services.dialogue_create(
        study=w.study_s,
        user=w.rita,
        held_on=dt.date(2025, 6, 1),
        title="Kruisen van kennis",
        participants={"client": 2, "professional": 3},
        findings=[w.finding_a],
    )
    services.dialogue_invite(session=w.dialogue_a, user=w.rita, guest=w.eva)
    w.check_a, w.check_token = services.member_check_create(
        finding=w.finding_a,
        user=w.rita,
        synthesis="Buren helpen u weer naar buiten.",
        client=w.client_a,
        one_time_link=True,
    )
