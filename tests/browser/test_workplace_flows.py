"""The flows of a real workplace, in Chromium: an organisation admin invites a colleague,
who chooses a password and logs in; a professional registers a client (with care
consent), records a contact and records the client's consent for a study."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from werkplaats.casework.models import Contact, Trajectory
from werkplaats.partnership.models import User
from werkplaats.programme import services as programme_services
from werkplaats.programme.models import Consent, StudyParticipation


def test_an_admin_invites_a_colleague_who_sets_a_password_and_logs_in(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "erin")
    page.goto(live_url("partnership:organisation", pk=world.org_a.pk))
    page.get_by_role("link", name="Iemand uitnodigen").click()
    page.fill("input[name=username]", "sanne")
    page.fill("input[name=first_name]", "Sanne")
    page.select_option("select[name=role]", "professional")
    page.select_option("select[name=team]", str(world.team_a.pk))
    page.get_by_role("button", name="Opslaan").click()
    link = page.locator("#invitation-link").input_value()
    assert "/invitation/" in link
    page.get_by_role("button", name="Uitloggen (erin)").click()

    path = link.split("/invitation/", 1)[1]
    page.goto(live_url(f"/invitation/{path}"))
    page.fill("input[name=new_password1]", "een-lang-wachtwoord")
    page.fill("input[name=new_password2]", "een-lang-wachtwoord")
    page.get_by_role("button", name="Mijn wachtwoord instellen").click()
    log_in(page, live_server, "sanne", "een-lang-wachtwoord")
    assert page.url == live_url("home")
    assert User.objects.get(username="sanne").has_usable_password()


def test_a_professional_registers_a_client_records_a_contact_and_a_study_consent(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    StudyParticipation.objects.create(study=world.study_s, organisation=world.org_a)
    programme_services.consent_text_set(
        study=world.study_s, text_nl="Ik doe mee aan Studie S.", text_en="I take part."
    )
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:caseload"))
    page.get_by_role("link", name="Nieuwe cliënt").click()
    page.fill("input[name=name]", "Henk de Boer")
    page.fill("input[name=birth_year]", "1948")
    page.fill("textarea[name=request_for_help]", "Ik wil weer zelf boodschappen doen.")
    page.get_by_role("button", name="Inschrijven en traject openen").click()
    # The care consent was not ticked: the page says so and nothing is saved.
    assert page.get_by_text("Zonder toestemming van de cliënt voor de hulp").count() == 1
    assert not Trajectory.objects.filter(request_for_help__startswith="Ik wil weer").exists()
    page.check("input[name=care_consent]")
    page.get_by_role("button", name="Inschrijven en traject openen").click()
    trajectory = Trajectory.objects.get(request_for_help__startswith="Ik wil weer")
    assert page.url == live_url("casework:trajectory", pk=trajectory.pk)

    page.get_by_role("link", name="Nieuw contact").click()
    page.get_by_role("button", name="Opslaan", exact=True).click()
    assert Contact.objects.filter(trajectory=trajectory).count() == 1

    page.get_by_role("link", name="Toestemming voor een onderzoek").click()
    page.get_by_role("button", name="Tekst tonen").click()
    assert page.get_by_text("Ik doe mee aan Studie S.").count() == 1
    page.check("input[name=agree]")
    page.get_by_role("button", name="Toestemming vastleggen").click()
    consent = Consent.objects.get(client=trajectory.client, study=world.study_s)
    assert consent.text is not None and consent.text.version == 1 and consent.language == "nl"
    assert bytes(consent.document or b"").startswith(b"%PDF")
    assert page.get_by_role("link", name="wat is afgesproken (pdf)").count() == 1
