"""Feedback follows each organisation's chosen outcome measures; small cells are hidden;
CSV and PDF downloads; the process figures are SQL aggregates."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.insight.test_insight_app import _measure
from werkplaats.insight.models import OutcomeMeasure

pytestmark = pytest.mark.django_db


def test_the_organisation_chooses_its_outcome_measures(world) -> None:  # type: ignore[no-untyped-def]
    _measure(world)
    c = Client()
    c.force_login(world.erin)
    url = f"/insight/organisations/{world.org_a.pk}/feedback/"
    page = c.get(url).content.decode()
    # none chosen: the most answered questionnaire's main scale, said so
    assert "Pearlin" in page or "pearlin" in page
    choose = c.get(f"/insight/organisations/{world.org_a.pk}/outcome-measures/").content.decode()
    assert "pearlin-mastery|mastery|client" in choose
    response = c.post(
        f"/insight/organisations/{world.org_a.pk}/outcome-measures/",
        {"measures": ["pearlin-mastery|mastery|professional"]},
    )
    assert response.status_code == 302
    assert list(OutcomeMeasure.objects.values_list("informant", flat=True)) == ["professional"]
    page = c.get(url).content.decode()
    assert "(professional)" in page
    # one trajectory: fewer than 10, so no mean is shown (disclosure control)
    data = c.get(url + "?download=csv")
    assert data["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(data.content.decode())))
    assert rows[0]["scale"] == "mastery" and rows[0]["n"] == "" and rows[0]["value"] == ""


def test_the_team_page_downloads_as_pdf(world) -> None:  # type: ignore[no-untyped-def]
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot load Pango here ({exc})")
    _measure(world)
    c = Client()
    c.force_login(world.carol)
    response = c.get(f"/insight/teams/{world.team_a.pk}/feedback/?download=pdf")
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
