"""A researcher creates a study in Chromium, is told what to fix, and edits it."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from werkplaats.programme.models import ConsentText, Study


def test_a_researcher_creates_and_edits_a_study(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "rita")
    page.get_by_role("link", name="Nieuwe studie").click()
    page.fill("input[name=title_nl]", "Buren als bondgenoot")
    page.fill("input[name=slug]", "Buren Als Bondgenoot")
    page.fill("textarea[name=question]", "Wanneer helpen buren?")
    page.select_option("select[name=design]", "qualitative")
    page.fill("input[name=start]", "2025-03-01")
    page.fill("input[name=end]", "2024-03-01")
    page.get_by_role("button", name="Opslaan").click()
    # Every problem at once, each beside its field, in Dutch; nothing is written.
    assert page.get_by_text("Korte naam in links").count() >= 1
    assert page.locator("#id_sub_themes_error").count() == 1
    assert page.locator("#id_slug_error").count() == 1
    assert not Study.objects.filter(title="Buren als bondgenoot").exists()

    page.fill("input[name=slug]", "buren-als-bondgenoot")
    page.fill("input[name=end]", "")
    page.check("input[name=sub_themes][value='3.1']")
    page.fill("textarea[name=consent_nl]", "Ik doe mee aan het onderzoek naar buren.")
    page.get_by_role("button", name="Opslaan").click()
    study = Study.objects.get(slug="buren-als-bondgenoot")
    assert page.url == live_url("programme:study", pk=study.pk)
    assert study.researchers.filter(username="rita").exists()

    page.get_by_role("link", name="Studie bewerken").click()
    page.fill("input[name=end]", "2026-12-31")
    page.fill("textarea[name=consent_nl]", "Ik doe mee; mijn gegevens blijven anoniem.")
    page.get_by_role("button", name="Opslaan").click()
    assert page.url == live_url("programme:study", pk=study.pk)
    assert str(Study.objects.get(pk=study.pk).end) == "2026-12-31"
    assert list(
        ConsentText.objects.filter(study=study)
        .order_by("version")
        .values_list("version", flat=True)
    ) == [1, 2]
