"""Every persona logs in and sits where its description says."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.test import RequestFactory

from werkplaats.casework.models import Client, NetworkMember, Trajectory
from werkplaats.demo.generator import build_demo
from werkplaats.demo.personas import PASSWORD, PERSONAS
from werkplaats.partnership.models import Membership, Role, User
from werkplaats.programme.models import Consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    build_demo(200, seed=1)


def _login(username: str, password: str = PASSWORD) -> bool:
    request = RequestFactory().post("/login/", REMOTE_ADDR="127.0.0.1")
    return WebClient().login(request=request, username=username, password=password)


def test_every_persona_logs_in_with_the_demo_password(demo):
    for username in PERSONAS:
        assert _login(username), username


def test_a_wrong_password_does_not_log_in(demo):
    assert not _login("professional", "wrong-password")


def test_other_demo_users_cannot_log_in(demo):
    other = User.objects.filter(username__startswith="sw-").first()
    assert other is not None and not other.has_usable_password()


def test_every_role_has_a_persona_with_that_role(demo):
    assert {p.role for p in PERSONAS.values()} == set(Role.values)
    for username, persona in PERSONAS.items():
        assert persona.role in User.objects.get(username=username).roles(), username


def test_professional_leads_a_caseload_in_the_managers_team(demo):
    pro = User.objects.get(username="professional")
    membership = Membership.objects.get(user=pro, role=Role.PROFESSIONAL)
    led = Trajectory.objects.filter(lead_professional=pro)
    assert led.count() >= 5
    assert set(led.values_list("team_id", flat=True)) == {membership.team_id}
    manager = Membership.objects.get(user__username="teammanager", role=Role.TEAM_MANAGER)
    assert manager.team_id == membership.team_id
    admin = Membership.objects.get(user__username="orgadmin", role=Role.ORG_ADMIN)
    assert admin.organisation_id == membership.organisation_id


def test_client_persona_is_a_client_of_professional_with_goals_contacts_network(demo):
    record = Client.objects.get(user__username="client")
    trajectory = record.trajectories.get()
    assert trajectory.lead_professional.username == "professional"
    assert trajectory.status == "open"
    assert trajectory.goals.count() >= 2
    assert trajectory.goals.filter(scores__isnull=False).exists()
    assert trajectory.contacts.count() >= 10
    assert trajectory.network_snapshots.count() >= 3
    assert NetworkMember.objects.filter(snapshot__trajectory=trajectory, label="Ans (zus)").exists()
    assert record.identity.name == "Fatima Haddou"
    netwerklid = User.objects.get(username="netwerklid")
    assert netwerklid.first_name == "Ans"
    assert Consent.objects.filter(
        client=record, purpose="study", withdrawn_at__isnull=True
    ).exists()


def test_researcher_is_on_a_study_with_consenting_clients(demo):
    onderzoeker = User.objects.get(username="onderzoeker")
    studies = onderzoeker.studies.all()
    assert studies.exists()
    assert Consent.objects.filter(study__in=studies, withdrawn_at__isnull=True).count() > 100
    assert Membership.objects.get(user=onderzoeker).organisation.kind == "knowledge"


def test_the_other_personas_sit_in_fitting_organisations(demo):
    kinds = {
        "beleidsmaker": "municipality",
        "ervaringsdeskundige": "client_org",
        "docent": "education",
        "client": "practice",
        "netwerklid": "practice",
    }
    for username, kind in kinds.items():
        assert Membership.objects.get(user__username=username).organisation.kind == kind
