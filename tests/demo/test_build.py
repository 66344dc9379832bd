"""build_demo: deterministic, sized as promised, refuses a full database, replaces cleanly."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from werkplaats.casework.models import Client, ClientIdentity, Contact, Trajectory
from werkplaats.demo.generator import DatabaseNotEmpty, build_demo, delete_demo, demo_digest
from werkplaats.partnership.models import Organisation, StakeholderKind, User
from werkplaats.programme.models import Consent, Study, SubTheme

pytestmark = pytest.mark.django_db

SMALL = 150


def test_same_seed_builds_the_same_rows():
    build_demo(SMALL, seed=3)
    first = demo_digest()
    build_demo(SMALL, seed=3, replace=True)
    assert demo_digest() == first


def test_another_seed_builds_other_rows():
    build_demo(SMALL, seed=3)
    first = demo_digest()
    build_demo(SMALL, seed=4, replace=True)
    assert demo_digest() != first


def test_counts_are_in_the_expected_ranges():
    counts = build_demo(SMALL, seed=1)
    assert counts["clients"] == SMALL
    assert counts["trajectories"] == SMALL
    assert counts["identities"] == SMALL
    assert 8 * SMALL <= counts["contacts"] <= 20 * SMALL
    assert SMALL <= counts["goals"] <= 3 * SMALL
    assert counts["goal_scores"] >= counts["goals"]  # most goals are reviewed more than once
    assert 2 * SMALL <= counts["network_snapshots"] <= 9 * SMALL
    assert counts["network_members"] >= 3 * counts["network_snapshots"]
    assert counts["consents"] >= 1.6 * SMALL  # care for all, a study for most
    assert counts["studies"] == 7
    assert counts["seconds"] < 30
    assert set(Organisation.objects.values_list("kind", flat=True)) == set(StakeholderKind.values)
    # Every client lives in a neighbourhood that their team works in.
    for t in Trajectory.objects.select_related("client", "team"):
        assert t.client.neighbourhood_id in set(t.team.neighbourhoods.values_list("pk", flat=True))


def test_care_consent_for_all_and_some_study_consents_withdrawn():
    build_demo(400, seed=2)
    care = Consent.objects.filter(purpose="care")
    assert care.count() == 400
    study = Consent.objects.filter(purpose="study")
    cohort = study.filter(study__title__startswith="Wat werkt voor wie")
    assert 0.7 * 400 <= cohort.count() <= 0.95 * 400
    assert 0 < study.filter(withdrawn_at__isnull=False).count() < 0.15 * study.count()


def test_the_programme_map_has_gaps():
    build_demo(SMALL, seed=1)
    uncovered = set(SubTheme.objects.filter(studies__isnull=True).values_list("code", flat=True))
    assert uncovered == {"2.4", "3.4", "4.3"}
    assert Study.objects.filter(participations__organisation__kind="practice").exists()


def test_identities_are_encrypted_at_rest():
    build_demo(SMALL, seed=1)
    identity = ClientIdentity.objects.earliest("pk")
    assert " " in identity.name and "06-00" in identity.contact
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name FROM {ClientIdentity._meta.db_table} WHERE id = %s", [identity.pk]
        )
        raw = cursor.fetchone()[0]
    assert identity.name not in raw


def test_no_identities_leaves_them_out():
    counts = build_demo(SMALL, seed=1, identities=False)
    assert counts["identities"] == 0 and counts["clients"] == SMALL


def test_a_database_with_clients_is_refused():
    build_demo(SMALL, seed=1)
    with pytest.raises(DatabaseNotEmpty, match="--replace"):
        build_demo(SMALL, seed=1)
    assert Client.objects.count() == SMALL


def test_the_command_refuses_with_a_clear_message():
    build_demo(SMALL, seed=1)
    with pytest.raises(CommandError, match="not empty"):
        call_command("build_demo", "--clients", "50", stdout=StringIO())


def test_replace_deletes_the_demo_first_and_keeps_other_users():
    outsider = User.objects.create_user("beheerder", password="x" * 12)
    build_demo(300, seed=1)
    build_demo(SMALL, seed=5, replace=True)
    assert Client.objects.count() == SMALL
    assert Trajectory.objects.count() == SMALL
    assert User.objects.filter(pk=outsider.pk).exists()
    # Nothing of the first build is left: every contact belongs to a current client.
    assert not Contact.objects.exclude(trajectory__client__in=Client.objects.all()).exists()


def test_delete_demo_leaves_the_lookup_lists():
    from werkplaats.casework.models import TargetGroup, WorkingPrinciple

    build_demo(SMALL, seed=1)
    delete_demo()
    assert Client.objects.count() == 0 and Organisation.objects.count() == 0
    assert TargetGroup.objects.count() >= 4 and WorkingPrinciple.objects.count() == 7
    assert SubTheme.objects.count() == 13


def test_the_command_builds_and_prints_the_persona_table():
    out = StringIO()
    call_command("build_demo", "--clients", "60", "--seed", "2", stdout=out)
    text = out.getvalue()
    assert "role" in text and "username" in text and "password" in text
    for username in ["client", "professional", "onderzoeker", "docent"]:
        assert username in text
    assert "werkplaats-demo" in text
    assert Client.objects.count() == 60


def test_the_command_replaces_when_asked():
    build_demo(SMALL, seed=1)
    call_command("build_demo", "--clients", "60", "--replace", stdout=StringIO())
    assert Client.objects.count() == 60


def test_a_failed_replace_keeps_the_previous_demo(monkeypatch):
    from werkplaats.demo import generator

    build_demo(SMALL, seed=1)
    before = demo_digest()

    def fail(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator._Builder, "_link_personas", fail)
    with pytest.raises(RuntimeError):
        build_demo(60, seed=2, replace=True)
    assert Client.objects.count() == SMALL
    assert demo_digest() == before


def test_ordinary_inserts_after_a_build_get_fresh_keys():
    """The build reserves primary keys itself; the sequences must have moved past them."""
    from werkplaats.casework.models import WorkingPrinciple

    build_demo(SMALL, seed=1)
    top = Client.objects.latest("pk").pk
    assert Client.objects.create(pseudonym="NIEUW-0001").pk > top
    contact = Contact.objects.earliest("pk")
    fresh = Contact.objects.create(
        trajectory=contact.trajectory,
        date=contact.date,
        duration_minutes=30,
        mode="phone",
        recorded_by=contact.recorded_by,
    )
    assert fresh.pk > Contact.objects.exclude(pk=fresh.pk).latest("pk").pk
    fresh.principles.add(WorkingPrinciple.objects.get(code="outreach"))


def test_the_demo_shows_methods_with_fidelity_and_a_context_scan():
    from werkplaats.context.selectors import profile
    from werkplaats.methods.models import FidelityRecord, MethodVersion
    from werkplaats.partnership.models import Team

    build_demo(SMALL, seed=5)
    described = MethodVersion.objects.filter(method__name="Krachtwerk").get()
    assert described.items.count() == 4 and described.method.owners.exists()
    records = FidelityRecord.objects.filter(contact__isnull=False)
    assert records.exists()
    assert all(r.answers.count() == r.method_version.items.count() for r in records[:50])
    team = Team.objects.filter(context_responses__isnull=False).order_by("pk").first()
    assert team is not None
    shown = [c["own"] for row in profile("team", team.pk).rows for c in row["cells"]]
    assert any(v is not None for v in shown)  # the team's scan appears on its profile


def test_the_demo_gives_educators_teaching_material():
    from django.test import Client as Browser
    from django.urls import reverse
    from django.utils.html import escape

    from werkplaats.stories.models import SharedDilemma

    build_demo(SMALL, seed=5)
    shared = SharedDilemma.objects.filter(teaching=True)
    assert shared.count() > 0
    assert {s.month for s in shared} == {s.dilemma.date.strftime("%Y-%m") for s in shared}
    educator = User.objects.get(username="docent")
    browser = Browser()
    browser.force_login(educator)
    page = browser.get(reverse("stories:teaching"))
    first = shared.order_by("pk").first()
    assert first is not None
    assert page.status_code == 200 and escape(first.choice) in page.content.decode()
    # the page does not read the same case over and over: the demo tells several cases
    # per kind of tension, and the teaching dilemmas of one kind tell different ones
    from werkplaats.casework.models import Dilemma

    told = set(Dilemma.objects.values_list("tension", "choice"))
    assert len(told) > len({t for t, _c in told})  # one case per kind before
    for tension in {s.tension for s in shared}:
        of_kind = [s.choice for s in shared if s.tension == tension]
        assert len(set(of_kind)) == len(of_kind), tension


def test_replace_also_clears_what_people_made_by_hand_in_the_demo():
    """Stories rows made in the browser on a demo study must not block a rebuild."""
    from tests.stories.factories import CodingRoundFactory, SourceFactory
    from werkplaats.programme.models import Study
    from werkplaats.stories.models import CodingRound, DialogueSession, Finding, Source

    build_demo(SMALL, seed=1)
    study = Study.objects.order_by("pk").first()
    assert study is not None
    researcher = User.objects.get(username="onderzoeker")
    round_ = CodingRoundFactory(study=study, created_by=researcher, codebook__owner=researcher)
    SourceFactory(study=study, created_by=researcher)
    session = DialogueSession.objects.create(
        study=study,
        title="Dialoog",
        phase="analysis",
        held_on=timezone.localdate(),
        created_by=researcher,
    )
    Finding.objects.create(study=study, statement="Bevinding", created_by=researcher)
    assert session.pk and round_.pk

    build_demo(SMALL, seed=2, replace=True)

    assert Client.objects.count() == SMALL
    assert not DialogueSession.objects.exists() and not Finding.objects.exists()
    assert not CodingRound.objects.exists() and not Source.objects.exists()
