"""A dilemma beyond its team: its lead professional (or the team's manager) anonymises it
and proposes it for a dialogue session; the session's researcher links it; everyone at the
session reads the anonymised version, never the case; educators read what was marked as
teaching material."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.casework.factories import DilemmaFactory
from tests.programme.factories import StudyFactory
from tests.web import logged_in
from werkplaats.core.models import AccessLog
from werkplaats.programme.models import StudyParticipation
from werkplaats.stories import services
from werkplaats.stories.models import SessionDilemma, SharedDilemma
from werkplaats.stories.services import dilemmas as dilemma_services

pytestmark = pytest.mark.django_db

WHAT_HAPPENED = "Hij wilde 's nachts alleen naar huis lopen, langs de Dorpsstraat"


@pytest.fixture
def dilemma(world):
    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    return DilemmaFactory(
        trajectory=world.trajectory_a,
        description=WHAT_HAPPENED,
        values_at_stake="Klaas Bakker wil zelf beslissen; zijn Dochter is bang",
        moral_case_deliberation=True,
        recorded_by=world.alice,
    )


def _share_url(dilemma) -> str:
    return reverse("stories:dilemma_share", kwargs={"pk": dilemma.pk})


def _save(client, dilemma, version="", teaching=False, **texts):
    data = {
        "save": "1",
        "values_at_stake": "[NAAM 1] wil zelf beslissen",
        "options_weighed": "meelopen of laten gaan",
        "choice": "laten gaan met telefoonafspraak",
        "reasons": "vertrouwen opbouwen",
        "version": version,
        **texts,
    }
    if teaching:
        data["teaching"] = "on"
    return client.post(_share_url(dilemma), data)


def test_the_share_page_proposes_masks_over_the_names_casework_knows(world, dilemma):
    page = logged_in(world.alice, "en").get(_share_url(dilemma))
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["values_at_stake"] == "[NAAM 1] wil zelf beslissen; zijn [NAAM 2] is bang"
    # reading the client's name to mask it is a logged care read
    assert AccessLog.objects.filter(
        actor_id=world.alice.pk, object_type="casework.clientidentity"
    ).exists()


def test_a_dilemma_goes_to_a_session_anonymised_and_the_session_shows_on_the_dilemma(
    world, dilemma
):
    alice = logged_in(world.alice, "nl")
    assert _save(alice, dilemma).status_code == 302
    shared = SharedDilemma.objects.get(dilemma=dilemma)
    assert (shared.month, shared.tension, shared.deliberated) == ("2026-03", dilemma.tension, True)
    response = alice.post(_share_url(dilemma), {"propose": "1", "session": world.dialogue_a.pk})
    assert response.status_code == 302
    link = SessionDilemma.objects.get(shared=shared)
    assert link.status == "proposed"

    session_url = reverse("stories:dialogue", kwargs={"pk": world.dialogue_a.pk})
    # proposed, not yet linked: the invited expert does not see it, the researcher does
    assert "telefoonafspraak" not in logged_in(world.eva, "nl").get(session_url).content.decode()
    rita = logged_in(world.rita, "nl")
    assert "telefoonafspraak" in rita.get(session_url).content.decode()
    assert rita.post(session_url, {"decide": "link", "link": link.pk}).status_code == 302
    link.refresh_from_db()
    assert (link.status, link.decided_by) == ("linked", world.rita)

    html = logged_in(world.eva, "nl").get(session_url).content.decode()
    assert "telefoonafspraak" in html and "[NAAM 1] wil zelf beslissen" in html
    for detail in ("Klaas", "Dorpsstraat", "2026-03-17", world.client_a.pseudonym):
        assert detail not in html
    # the session on the dilemma
    html = alice.get(_share_url(dilemma)).content.decode()
    assert "Kruisen van kennis" in html and "gekoppeld" in html
    trajectory = alice.get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    assert "Kruisen van kennis" in trajectory.content.decode()

    # taken off the table again
    assert rita.post(session_url, {"decide": "decline", "link": link.pk}).status_code == 302
    assert "telefoonafspraak" not in logged_in(world.eva, "nl").get(session_url).content.decode()


def test_who_may_share_propose_and_link(world, dilemma):
    url = _share_url(dilemma)
    assert logged_in(world.carol, "nl").get(url).status_code == 200  # the team's manager
    assert logged_in(world.bob, "nl").get(url).status_code == 404
    assert logged_in(world.dave, "nl").get(url).status_code == 404
    for persona in ("rita", "eva", "otto", "erin", "paula", "klaas"):
        assert logged_in(getattr(world, persona), "nl").get(url).status_code == 403
    shared = dilemma_services.shared_dilemma_save(
        dilemma=dilemma,
        user=world.alice,
        expected_version=None,
        values_at_stake="v",
        options_weighed="o",
        choice="c",
        reasons="r",
        teaching=False,
    )
    link = dilemma_services.dilemma_propose(
        shared=shared, session=world.dialogue_a, user=world.alice
    )
    session_url = reverse("stories:dialogue", kwargs={"pk": world.dialogue_a.pk})
    # an invited guest cannot link; a researcher not on the study does not see the session
    assert (
        logged_in(world.eva, "nl")
        .post(session_url, {"decide": "link", "link": link.pk})
        .status_code
        == 403
    )
    assert (
        logged_in(world.ruben, "nl")
        .post(session_url, {"decide": "link", "link": link.pk})
        .status_code
        == 404
    )
    assert (
        logged_in(world.rita, "nl").post(session_url, {"decide": "link", "link": "x"}).status_code
        == 404
    )
    link.refresh_from_db()
    assert link.status == "proposed"
    # a session of a study the organisation does not take part in cannot be chosen
    other = services.dialogue_create(
        study=StudyFactory(title="Elders"),
        user=world.rita,
        held_on=dt.date(2026, 5, 1),
        title="Elders",
        participants={"client": 2},
        findings=[],
    )
    response = logged_in(world.alice, "nl").post(url, {"propose": "1", "session": other.pk})
    assert response.status_code == 400
    assert not SessionDilemma.objects.filter(session=other).exists()


def test_a_stale_save_is_refused_and_an_empty_text_gets_a_message(world, dilemma):
    alice, carol = logged_in(world.alice, "en"), logged_in(world.carol, "en")
    assert _save(alice, dilemma).status_code == 302
    version = SharedDilemma.objects.get().version
    assert _save(carol, dilemma, version=version, reasons="nagelezen").status_code == 302
    response = _save(alice, dilemma, version=version, reasons="mijn versie")
    assert response.status_code == 409
    assert SharedDilemma.objects.get().reasons == "nagelezen"
    response = _save(alice, dilemma, version=version + 1, choice="  ")
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_educators_read_teaching_material_and_nothing_else(world, dilemma):
    url = reverse("stories:teaching")
    alice = logged_in(world.alice, "nl")
    assert _save(alice, dilemma).status_code == 302
    assert "telefoonafspraak" not in logged_in(world.otto, "nl").get(url).content.decode()
    version = SharedDilemma.objects.get().version
    assert _save(alice, dilemma, version=version, teaching=True).status_code == 302
    page = logged_in(world.otto, "en").get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "telefoonafspraak" in html
    assert "Klaas" not in html and WHAT_HAPPENED not in html
    assert AccessLog.objects.filter(actor_id=world.otto.pk, detail="teaching material").exists()
    for persona in ("rita", "eva", "alice", "carol", "klaas"):
        assert logged_in(getattr(world, persona), "nl").get(url).status_code == 403
