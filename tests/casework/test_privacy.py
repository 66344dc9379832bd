"""Identifying details are encrypted at rest, shown only where allowed, and reads logged."""

import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from werkplaats.core.models import AccessLog

pytestmark = pytest.mark.django_db


def test_name_is_not_stored_in_plain_text(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM casework_clientidentity WHERE client_id = %s", [world.client_a.pk]
        )
        (raw,) = cursor.fetchone()
    assert "Klaas" not in raw
    world.identity_a.refresh_from_db()
    assert world.identity_a.name == "Klaas Bakker"


@pytest.mark.parametrize(("persona", "sees_name"), [("alice", True), ("carol", True)])
def test_identity_on_trajectory_page(world, persona, sees_name):
    client = Client()
    client.force_login(getattr(world, persona))
    page = client.get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    assert ("Klaas Bakker" in page.content.decode()) is sees_name


def test_study_data_shows_no_names_and_study_specific_keys(world):
    client = Client()
    client.force_login(world.rita)
    page = client.get(reverse("programme:study_data", kwargs={"pk": world.study_s.pk}))
    html = page.content.decode()
    assert "Klaas" not in html and world.client_a.pseudonym not in html
    from werkplaats.core.pseudonyms import study_pseudonym

    assert study_pseudonym(world.study_s.pk, world.client_a.pk) in html
    assert study_pseudonym(world.study_s.pk, world.client_a.pk) != study_pseudonym(
        world.study_s.pk + 1, world.client_a.pk
    )


def test_withdrawn_consent_removes_client_from_study_data(world):
    from werkplaats.core.pseudonyms import study_pseudonym

    klaas = Client()
    klaas.force_login(world.klaas)
    klaas.post(reverse("programme:consent_withdraw", kwargs={"pk": world.consent_a.pk}))
    world.consent_a.refresh_from_db()
    assert world.consent_a.withdrawn_at is not None
    assert world.consent_a.withdrawn_by == world.klaas
    rita = Client()
    rita.force_login(world.rita)
    html = rita.get(reverse("programme:study_data", kwargs={"pk": world.study_s.pk})).content
    assert study_pseudonym(world.study_s.pk, world.client_a.pk) not in html.decode()
    assert study_pseudonym(world.study_s.pk, world.client_b.pk) in html.decode()


def test_withdrawing_twice_says_so(world):
    klaas = Client(HTTP_ACCEPT_LANGUAGE="en")
    klaas.force_login(world.klaas)
    url = reverse("programme:consent_withdraw", kwargs={"pk": world.consent_a.pk})
    klaas.post(url)
    page = klaas.post(url, follow=True).content.decode()
    assert "already withdrawn" in page


def test_reading_a_trajectory_is_logged(world):
    client = Client()
    client.force_login(world.carol)
    client.get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    log = AccessLog.objects.filter(user=world.carol, object_type="casework.trajectory").get()
    assert log.object_id == str(world.trajectory_a.pk) and log.action == "view"


def test_client_downloads_own_data_only(world):
    client = Client()
    client.force_login(world.klaas)
    data = json.loads(client.get(reverse("casework:me_data")).content)
    assert data["pseudonym"] == world.client_a.pseudonym
    assert data["identity"]["name"] == "Klaas Bakker"
    assert data["trajectories"][0]["goals"][0]["scores"] == [{"date": "2025-04-20", "level": 0}]
    assert world.client_b.pseudonym not in json.dumps(data)


def test_client_page_is_plain_language(world):
    client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    client.force_login(world.klaas)
    html = client.get(reverse("casework:me")).content.decode()
    assert "Mijn doelen" in html
    assert "Wie mag mijn gegevens zien" in html
    assert "Alice" in html  # the lead professional is named


def test_figures_suppress_small_cells(world):
    client = Client()
    client.force_login(world.paula)
    html = client.get(reverse("casework:figures")).content.decode()
    assert "Centrum" in html
    assert "&lt;10" in html  # one client in Centrum: suppressed
    assert "Noord" not in html  # another municipality


def test_study_keys_do_not_depend_on_the_secret_key(world, settings):
    from werkplaats.core.pseudonyms import study_pseudonym

    before = study_pseudonym(world.study_s.pk, world.client_a.pk)
    settings.SECRET_KEY = "another-secret-key-after-rotation-0123456789"
    assert study_pseudonym(world.study_s.pk, world.client_a.pk) == before
    settings.PSEUDONYM_KEY = "another-pseudonym-key-0123456789abcdef"
    assert study_pseudonym(world.study_s.pk, world.client_a.pk) != before


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("alice", True),
        ("carol", True),
        ("klaas", True),
        ("bob", False),
        ("rita", False),
        ("erin", False),
        ("paula", False),
        ("kim", False),
    ],
)
def test_who_may_see_identifying_details(world, persona, sees):
    from werkplaats.casework.access import can_see_identity

    assert can_see_identity(getattr(world, persona), world.client_a) is sees


def test_identity_read_and_caseload_are_logged(world):
    client = Client()
    client.force_login(world.alice)
    client.get(reverse("casework:caseload"))
    client.get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    assert AccessLog.objects.filter(
        user=world.alice, object_type="casework.trajectory", object_id="list"
    ).exists()
    assert AccessLog.objects.filter(
        user=world.alice, object_type="casework.clientidentity", detail="identifying details"
    ).exists()


def test_own_data_download_holds_contacts_dilemmas_and_questionnaires(world):
    from werkplaats.casework import services
    from werkplaats.casework.models import WorkingPrinciple

    contact = world.trajectory_a.contacts.get()
    contact.principles.set([WorkingPrinciple.objects.get(code="outreach")])
    contact.alliance_trust = 5
    contact.save()
    services.dilemma_create(
        trajectory=world.trajectory_a,
        user=world.alice,
        date=contact.date,
        tension="autonomy_protection",
        description="d",
        values_at_stake="v",
        options_weighed="o",
        choice="c",
        reasons="r",
    )
    client = Client()
    client.force_login(world.klaas)
    data = json.loads(client.get(reverse("casework:me_data")).content)
    traj = data["trajectories"][0]
    assert traj["contacts"][0]["working_principles"] == ["outreach"]
    assert traj["contacts"][0]["alliance"]["alliance_trust"] == 5
    assert traj["dilemmas"][0]["tension"] == "autonomy_protection"
    assert "questionnaires" in traj and isinstance(data["stories"], list)


def test_a_client_cannot_withdraw_care_consent_by_posting_the_form(world):
    """The page says care is stopped with the social worker; a post must not do it."""
    from django.utils import timezone

    from werkplaats.programme.models import Consent

    care = Consent.objects.create(
        client=world.client_a,
        purpose=Consent.Purpose.CARE,
        given_at=timezone.now(),
        recorded_by=world.alice,
    )
    klaas = Client(HTTP_ACCEPT_LANGUAGE="en")
    klaas.force_login(world.klaas)
    url = reverse("programme:consent_withdraw", kwargs={"pk": care.pk})
    page = klaas.post(url, follow=True).content.decode()
    care.refresh_from_db()
    assert care.withdrawn_at is None
    assert "stopped together with your social worker" in page
