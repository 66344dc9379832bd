"""A professional registers a client (with care consent), manages the trajectory, invites
the client, and records a study consent with the text shown and a PDF of what was agreed."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.casework.factories import TrajectoryFactory
from tests.partnership.factories import MembershipFactory, UserFactory
from tests.text import found
from tests.web import logged_in
from werkplaats.casework.models import Client as CaseClient
from werkplaats.casework.models import ClientIdentity, TargetGroup, Trajectory
from werkplaats.core.models import AccessLog
from werkplaats.programme import services as programme_services
from werkplaats.programme.models import Consent, ConsentText

pytestmark = pytest.mark.django_db


def _registration(world, **extra):
    page = logged_in(world.alice, "en").get(reverse("casework:client_new"))
    shown = found(r'name="consent_text" value="(\d+)"', page.content.decode())
    data = {
        "name": "Henk de Boer",
        "contact": "Dorpsstraat 1",
        "birth_year": "1948",
        "language": "Nederlands",
        "team": str(world.team_a.pk),
        "lead": str(world.alice.pk),
        "neighbourhood": str(world.hood_a.pk),
        "request_for_help": "Ik wil weer zelf boodschappen doen.",
        "target_groups": [str(TargetGroup.objects.earliest("code").pk)],
        "start": timezone.localdate().isoformat(),
        "care_consent": "on",
        "consent_text": shown,
    }
    data.update(extra)
    return data


def test_registering_opens_a_trajectory_with_the_care_consent_recorded(world) -> None:
    response = logged_in(world.alice, "en").post(
        reverse("casework:client_new"), _registration(world)
    )
    assert response.status_code == 302
    trajectory = Trajectory.objects.get(request_for_help__startswith="Ik wil weer")
    assert response["Location"] == reverse("casework:trajectory", kwargs={"pk": trajectory.pk})
    assert trajectory.status == "open" and trajectory.lead_professional == world.alice
    client = trajectory.client
    assert re.fullmatch(r"C-[A-Z2-9]{8}", client.pseudonym)
    assert client.birth_year == 1948 and client.neighbourhood == world.hood_a
    assert ClientIdentity.objects.get(client=client).name == "Henk de Boer"
    consent = Consent.objects.get(client=client)
    assert consent.purpose == "care" and consent.recorded_by == world.alice
    assert consent.text is not None
    assert consent.text.organisation == world.org_a and consent.language == "en"
    assert "Welzijn A" in consent.text.text_in("en") and "Welzijn A" in consent.text.text_nl
    assert AccessLog.objects.filter(
        object_type="casework.client", object_id=str(client.pk)
    ).exists()


def test_without_care_consent_nothing_is_registered(world) -> None:
    data = _registration(world)
    del data["care_consent"]
    response = logged_in(world.alice, "en").post(reverse("casework:client_new"), data)
    assert response.status_code == 400
    assert "Without the client's consent for care nothing can be registered" in html.unescape(
        response.content.decode()
    )
    assert CaseClient.objects.count() == 2  # the world's two clients only
    assert not Trajectory.objects.filter(request_for_help__startswith="Ik wil weer").exists()


def test_a_changed_care_text_is_refused_and_nothing_is_half_written(world) -> None:
    data = _registration(world)
    programme_services.consent_text_set(organisation=world.org_a, text_nl="Nieuwe tekst")
    response = logged_in(world.alice, "en").post(reverse("casework:client_new"), data)
    assert response.status_code == 400 and b"differs from the one shown" in response.content
    assert CaseClient.objects.count() == 2


def test_bad_input_gets_messages_to_act_on(world) -> None:
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    data = _registration(world, birth_year="1850", start=future, lead=str(world.bob.pk))
    text = logged_in(world.alice, "en").post(reverse("casework:client_new"), data).content.decode()
    assert "Enter a year between 1900 and" in text
    assert "lies in the future" in text
    assert "Select a valid choice" in text  # Bob is not a lead Alice may choose


def test_close_pause_reopen_with_a_version_check(world) -> None:
    t = world.trajectory_a
    url = reverse("casework:trajectory_status", kwargs={"pk": t.pk})
    alice = logged_in(world.alice, "en")
    assert alice.post(url, {"version": t.version, "action": "pause"}).status_code == 302
    t.refresh_from_db()
    assert t.status == "paused"
    stale = alice.post(url, {"version": t.version - 1, "action": "reopen"})
    assert stale.status_code == 409
    end = timezone.localdate().isoformat()
    assert alice.post(url, {"version": t.version, "action": "close", "end": end}).status_code == 302
    t.refresh_from_db()
    assert t.status == "closed" and t.end == timezone.localdate()
    again = alice.post(url, {"version": t.version, "action": "close", "end": end})
    assert again.status_code == 400 and b"cannot be closed" in again.content
    assert alice.post(url, {"version": t.version, "action": "reopen"}).status_code == 302
    t.refresh_from_db()
    assert t.status == "open" and t.end is None


def test_hand_over_within_the_team_only(world) -> None:
    colleague = UserFactory(username="anne")
    MembershipFactory(
        user=colleague, organisation=world.org_a, role="professional", team=world.team_a
    )
    t = world.trajectory_a
    url = reverse("casework:hand_over", kwargs={"pk": t.pk})
    refused = logged_in(world.alice, "en").post(url, {"version": t.version, "to": world.bob.pk})
    assert refused.status_code == 400
    # The team's manager hands the case over.
    assert (
        logged_in(world.carol, "en")
        .post(url, {"version": t.version, "to": colleague.pk})
        .status_code
        == 302
    )
    t.refresh_from_db()
    assert t.lead_professional == colleague
    assert (
        logged_in(world.alice, "en")
        .get(reverse("casework:trajectory", kwargs={"pk": t.pk}))
        .status_code
        == 404
    )


def test_the_client_is_invited_to_an_account(world) -> None:
    t = TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    url = reverse("casework:client_invite", kwargs={"pk": t.pk})
    response = logged_in(world.alice, "en").post(url, {"username": "henk"})
    assert response.status_code == 200 and b"/invitation/" in response.content
    t.client.refresh_from_db()
    assert t.client.user is not None
    assert t.client.user.username == "henk" and t.client.user.has_role("client")
    again = logged_in(world.alice, "en").post(url, {"username": "henk2"})
    assert again.status_code == 400 and b"The client has an account." in again.content
    assert not CaseClient.objects.filter(user__username="henk2").exists()


def _study_with_text(world):
    from werkplaats.programme.models import StudyParticipation

    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    return programme_services.consent_text_set(
        study=world.study_s, text_nl="Ik doe mee aan Studie S.", text_en="I take part in Study S."
    )


def test_study_consent_keeps_the_text_version_and_a_pdf(world) -> None:
    shown = _study_with_text(world)
    t = TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    url = reverse("programme:study_consent_new", kwargs={"pk": t.pk})
    alice = logged_in(world.alice, "en")
    page = alice.get(url, {"study": world.study_s.pk, "language": "en"})
    assert b"I take part in Study S." in page.content
    data = {"study": world.study_s.pk, "language": "en", "consent_text": shown.pk}
    assert alice.post(url, data).status_code == 400  # the box was not ticked
    assert alice.post(url, {**data, "agree": "yes"}).status_code == 302
    consent = Consent.objects.get(client=t.client, study=world.study_s)
    assert consent.text == shown and consent.language == "en"
    pdf = alice.get(reverse("programme:consent_document", kwargs={"pk": consent.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    body = pdf.getvalue()  # the whole body, streamed or not
    assert body.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(BytesIO(body)).pages)
    assert "I take part in Study S." in text and t.client.pseudonym in text


def test_a_study_text_changed_meanwhile_is_refused(world) -> None:
    shown = _study_with_text(world)
    programme_services.consent_text_set(study=world.study_s, text_nl="Gewijzigd.")
    t = TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    url = reverse("programme:study_consent_new", kwargs={"pk": t.pk})
    data = {"study": world.study_s.pk, "language": "nl", "consent_text": shown.pk, "agree": "yes"}
    response = logged_in(world.alice, "en").post(url, data)
    assert (
        response.status_code == 400 and b"was changed while this page was open" in response.content
    )
    assert not Consent.objects.filter(client=t.client).exists()
    assert ConsentText.objects.filter(study=world.study_s).count() == 2
