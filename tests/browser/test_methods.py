"""The methods library in Chromium: a method owner describes a method with its fidelity
items; a professional records fidelity in the contact form with one keystroke; the
method's page shows its practice-based evidence."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from tests.methods.factories import described_method
from tests.methods.test_evidence import _plant
from werkplaats.casework.models import Method, Trajectory
from werkplaats.methods.models import FidelityRecord


def test_a_method_owner_describes_a_method_with_fidelity_items(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    described_method(world.rita, owners=[world.alice])  # Alice holds the owner permission
    log_in(page, live_server, "alice")
    page.get_by_role("link", name="Methoden", exact=True).click()
    page.get_by_role("link", name="Een nieuwe methodiek beschrijven").click()
    page.fill("input[name=name]", "Buurtkracht")
    page.fill("textarea[name=description]", "Samen met buren de eigen regie versterken.")
    page.fill(
        "textarea[name=fidelity_items]",
        "Doel in eigen woorden vastgelegd\nIemand uit het netwerk betrokken\nVolgende stap afgesproken",
    )
    page.get_by_label("per contact, in het contactformulier").check()
    page.select_option("select[name=evidence_status]", "in_development")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_role("heading", name="Buurtkracht").count() == 1
    assert page.get_by_text("Iemand uit het netwerk betrokken").count() == 1
    method = Method.objects.get(name="Buurtkracht")
    assert [i.text for i in method.versions.get().items.all()] == [
        "Doel in eigen woorden vastgelegd",
        "Iemand uit het netwerk betrokken",
        "Volgende stap afgesproken",
    ]
    assert method.owners.filter(user=world.alice).exists()


def test_a_professional_records_fidelity_in_the_contact_form(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    version = described_method(world.rita)
    Trajectory.objects.filter(pk=world.trajectory_a.pk).update(
        method=version.method, method_version=1
    )
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:contact_new", pk=world.trajectory_a.pk))
    page.fill("input[name=note]", "Met de buurvrouw naar de markt")
    everything = page.get_by_label("Alles ging zoals de methodiek het bedoelt")
    everything.focus()
    page.keyboard.press("Space")  # one keystroke for the usual case
    page.get_by_role("button", name="Opslaan", exact=True).click()
    assert page.url == live_url("casework:trajectory", pk=world.trajectory_a.pk)
    record = FidelityRecord.objects.get(contact__note="Met de buurvrouw naar de markt")
    assert record.answers.filter(done=True).count() == 3
    assert page.get_by_text("Modelgetrouwheid aan de methodiek").count() == 1
    assert page.get_by_text("3/3").count() == 1


def test_the_method_page_shows_its_practice_based_evidence(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    method = _plant(world)
    log_in(page, live_server, "otto")
    page.goto(live_url("methods:detail", pk=method.pk))
    assert page.get_by_text("Waarneming, geen effect.").count() == 1
    table = page.locator("table.evidence-table").first
    text = table.inner_text()
    assert "4,00" in text and "2,00" in text and "1,00" in text
    assert "2,04" in text
