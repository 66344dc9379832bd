"""Teaching material: a client's consent for teaching (programme), stories offered by a
researcher while that consent stands, and dilemmas a session's researcher marks.

Klaas (a client of Alice's) told story A in study S; Rita, a researcher on S, made its
anonymised version. Otto is an educator.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.casework.factories import DilemmaFactory
from tests.stories.factories import SharedVersionFactory, SourceFactory
from tests.web import logged_in
from werkplaats.core.models import AccessLog
from werkplaats.programme import services as programme_services
from werkplaats.programme.models import Consent, StudyParticipation
from werkplaats.stories.models import SharedDilemma, SharedVersion
from werkplaats.stories.services import dilemmas as dilemma_services

pytestmark = pytest.mark.django_db

TEACHING = reverse("stories:teaching")
ANONYMISED = "[NAAM 1] liep elke ochtend naar het buurthuis en kreeg zo weer moed."


@pytest.fixture
def story(world):
    """Story A's anonymised version, with a text of its own to look for."""
    SharedVersion.objects.filter(pk=world.shared_a.pk).update(text=ANONYMISED)
    world.shared_a.refresh_from_db()
    return world.shared_a


def _consent_page(world) -> str:
    return reverse("programme:teaching_consent_new", kwargs={"pk": world.trajectory_a.pk})


def _record_teaching_consent(world) -> Consent:
    """Alice records Klaas's consent for teaching through the page, as she would with him."""
    alice = logged_in(world.alice, "nl")
    page = alice.get(_consent_page(world))
    shown = page.context["shown"]
    response = alice.post(
        _consent_page(world), {"consent_text": shown.pk, "language": "nl", "agree": "yes"}
    )
    assert response.status_code == 302
    return Consent.objects.get(client=world.client_a, purpose="teaching")


def _offer(world, document, teaching="yes"):
    url = reverse("stories:document_teaching", kwargs={"pk": document.pk})
    return logged_in(world.rita, "nl").post(url, {"teaching": teaching}, follow=True)


def test_the_professional_records_the_teaching_consent_with_its_text_and_a_pdf(world):
    alice = logged_in(world.alice, "nl")
    page = alice.get(_consent_page(world))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Studenten leren" in html and "Welzijn A" in html  # the built-in B1 text
    shown = page.context["shown"]
    # without the tick nothing is recorded
    refused = alice.post(_consent_page(world), {"consent_text": shown.pk, "language": "nl"})
    assert refused.status_code == 400
    assert not Consent.objects.filter(purpose="teaching").exists()
    consent = _record_teaching_consent(world)
    assert (consent.text, consent.language, consent.study) == (shown, "nl", None)
    assert consent.document and bytes(consent.document).startswith(b"%PDF")
    assert AccessLog.objects.filter(
        actor_id=world.alice.pk, action="create", object_type="programme.consent"
    ).exists()
    # a second time: it stands already, the page says so and offers no form
    again = alice.get(_consent_page(world))
    assert again.context["already"] and "agree" not in again.content.decode()
    # the organisation's care text is untouched by its teaching text
    care = programme_services.care_consent_text(world.org_a)
    assert (care.purpose, care.version) == ("care", 1)
    assert shown.purpose == "teaching"


def test_a_changed_teaching_text_is_a_new_version_and_a_stale_page_records_nothing(world):
    alice = logged_in(world.alice, "nl")
    first = alice.get(_consent_page(world)).context["shown"]
    second = programme_services.consent_text_set(
        organisation=world.org_a, text_nl="Nieuwe tekst over onderwijs.", teaching=True
    )
    assert second.version == first.version + 1
    response = alice.post(
        _consent_page(world), {"consent_text": first.pk, "language": "nl", "agree": "yes"}
    )
    assert response.status_code == 400
    assert not Consent.objects.filter(purpose="teaching").exists()


def test_only_who_manages_the_trajectory_records_it(world):
    assert logged_in(world.carol, "nl").get(_consent_page(world)).status_code == 200
    assert logged_in(world.bob, "nl").get(_consent_page(world)).status_code == 404
    for persona in ("rita", "otto", "klaas"):
        assert logged_in(getattr(world, persona), "nl").get(_consent_page(world)).status_code == 403


def test_the_client_sees_the_teaching_consent_on_their_pages_in_plain_words(world):
    consent = _record_teaching_consent(world)
    klaas = logged_in(world.klaas, "nl")
    me = klaas.get(reverse("casework:me")).content.decode()
    assert "Onderwijs: mijn verhalen, zonder mijn naam, in lessen voor studenten" in me
    assert reverse("programme:consent_withdraw", kwargs={"pk": consent.pk}) in me
    mine = klaas.get(reverse("casework:me_data_page")).content.decode()
    assert "Onderwijs: mijn verhalen, zonder mijn naam, in lessen voor studenten" in mine
    english = logged_in(world.klaas, "en").get(reverse("casework:me")).content.decode()
    assert "Teaching: my stories, without my name, in lessons for students" in english
    ask = klaas.get(reverse("programme:consent_withdraw", kwargs={"pk": consent.pk}))
    assert "Stoppen met mijn verhalen in het onderwijs?" in ask.content.decode()


def test_a_story_is_teaching_material_only_while_the_tellers_consent_stands(world, story):
    otto = logged_in(world.otto, "nl")
    # no consent for teaching: the researcher cannot offer it
    refused = _offer(world, story)
    assert "geen toestemming voor het onderwijs gegeven, of trok die in" in refused.content.decode()
    story.refresh_from_db()
    assert story.teaching_at is None
    assert ANONYMISED not in otto.get(TEACHING).content.decode()

    consent = _record_teaching_consent(world)
    _offer(world, story)
    story.refresh_from_db()
    assert story.teaching_by == world.rita and story.teaching_at is not None
    assert AccessLog.objects.filter(
        actor_id=world.rita.pk, object_type="stories.source", detail="offered as teaching material"
    ).exists()
    html = otto.get(TEACHING).content.decode()
    assert ANONYMISED in html
    for detail in ("Klaas", world.client_a.pseudonym, story.source.title):
        assert detail not in html
    read = AccessLog.objects.filter(actor_id=world.otto.pk, detail="teaching material").latest("pk")
    assert read.clients.filter(client_id=world.client_a.pk).exists()

    # Klaas withdraws on his own page: the story is off the educators' page at once
    klaas = logged_in(world.klaas, "nl")
    url = reverse("programme:consent_withdraw", kwargs={"pk": consent.pk})
    assert klaas.post(url).status_code == 302
    assert ANONYMISED not in otto.get(TEACHING).content.decode()
    # the researcher's page says why it is not shown
    source_page = logged_in(world.rita, "nl").get(
        reverse("stories:source", kwargs={"pk": story.source_id})
    )
    assert "niet getoond" in source_page.content.decode()

    # he says yes again: it is back, no one has to offer it again
    renew = reverse("programme:consent_renew", kwargs={"pk": consent.pk})
    assert klaas.post(renew).status_code == 302
    assert Consent.objects.teaching_standing().filter(client=world.client_a).count() == 1
    assert ANONYMISED in otto.get(TEACHING).content.decode()

    # the researcher takes it off
    _offer(world, story, teaching="no")
    assert ANONYMISED not in otto.get(TEACHING).content.decode()


def test_a_withdrawn_story_leaves_the_teaching_material(world, story):
    _record_teaching_consent(world)
    _offer(world, story)
    klaas = logged_in(world.klaas, "nl")
    url = reverse("stories:story_withdraw", kwargs={"pk": story.source_id})
    assert klaas.post(url).status_code == 302
    assert ANONYMISED not in logged_in(world.otto, "nl").get(TEACHING).content.decode()


def test_a_story_not_told_by_a_client_cannot_be_offered(world):
    source = SourceFactory(
        study=world.study_s, teller_role="professional", created_by=world.rita, kind="reflection"
    )
    document = SharedVersionFactory(source=source, reviewed_by=world.rita, text="Mijn reflectie.")
    _record_teaching_consent(world)  # Klaas's consent says nothing about this story
    response = _offer(world, document)
    assert "verteld door een cliënt" in response.content.decode()
    document.refresh_from_db()
    assert document.teaching_at is None


def test_who_may_offer_a_story(world, story):
    _record_teaching_consent(world)
    url = reverse("stories:document_teaching", kwargs={"pk": story.pk})
    assert logged_in(world.ruben, "nl").post(url, {"teaching": "yes"}).status_code == 404
    for persona in ("alice", "carol", "otto", "eva", "klaas"):
        response = logged_in(getattr(world, persona), "nl").post(url, {"teaching": "yes"})
        assert response.status_code == 403
    assert logged_in(world.rita, "nl").get(url).status_code == 405
    story.refresh_from_db()
    assert story.teaching_at is None


@pytest.fixture
def linked(world):
    """A dilemma of Alice's, anonymised by her (not as teaching material) and on the table
    of Rita's dialogue session."""
    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    dilemma = DilemmaFactory(trajectory=world.trajectory_a, recorded_by=world.alice)
    shared = dilemma_services.shared_dilemma_save(
        dilemma=dilemma,
        user=world.alice,
        expected_version=None,
        values_at_stake="rust en veiligheid",
        options_weighed="wachten of ingrijpen",
        choice="samen een plan gemaakt met de buurvrouw erbij",
        reasons="vertrouwen",
        teaching=False,
    )
    link = dilemma_services.dilemma_propose(
        shared=shared, session=world.dialogue_a, user=world.alice
    )
    return dilemma_services.dilemma_decide(link=link, user=world.rita, accept=True)


def test_a_sessions_researcher_marks_a_dilemma_on_its_table_as_teaching_material(world, linked):
    session = reverse("stories:dialogue", kwargs={"pk": world.dialogue_a.pk})
    otto = logged_in(world.otto, "nl")
    assert "samen een plan gemaakt" not in otto.get(TEACHING).content.decode()
    rita = logged_in(world.rita, "nl")
    assert rita.post(session, {"teaching": "yes", "link": linked.pk}).status_code == 302
    shared = SharedDilemma.objects.get(pk=linked.shared_id)
    assert (shared.teaching, shared.teaching_by) == (True, world.rita)
    assert "samen een plan gemaakt" in otto.get(TEACHING).content.decode()
    assert AccessLog.objects.filter(
        actor_id=world.rita.pk, detail="marked as teaching material"
    ).exists()
    # Alice's correction, opened before the mark, is refused rather than undoing it
    share = reverse("stories:dilemma_share", kwargs={"pk": shared.dilemma_id})
    stale = logged_in(world.alice, "nl").post(
        share,
        {
            "save": "1",
            "values_at_stake": "rust",
            "options_weighed": "wachten",
            "choice": "een plan",
            "reasons": "vertrouwen",
            "version": shared.version - 1,
        },
    )
    assert stale.status_code == 409
    assert rita.post(session, {"teaching": "no", "link": linked.pk}).status_code == 302
    assert "samen een plan gemaakt" not in otto.get(TEACHING).content.decode()


def test_only_the_sessions_researchers_mark_and_only_what_is_on_the_table(world, linked):
    session = reverse("stories:dialogue", kwargs={"pk": world.dialogue_a.pk})
    assert (
        logged_in(world.eva, "nl").post(session, {"teaching": "yes", "link": linked.pk}).status_code
        == 403
    )
    assert (
        logged_in(world.ruben, "nl")
        .post(session, {"teaching": "yes", "link": linked.pk})
        .status_code
        == 404
    )
    rita = logged_in(world.rita, "nl")
    rita.post(session, {"decide": "decline", "link": linked.pk})
    assert rita.post(session, {"teaching": "yes", "link": linked.pk}).status_code == 404
    assert not SharedDilemma.objects.get(pk=linked.shared_id).teaching
