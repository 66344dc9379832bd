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


def test_the_organisation_chooses_its_outcome_measures(world) -> None:
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


def test_the_most_answered_questionnaire_is_counted_once_an_hour_a_choice_at_once(
    world,
) -> None:
    """With no measure chosen, the most answered questionnaire is counted once and kept
    an hour (the caseload asks on every page); a measure chosen applies at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from werkplaats.insight.feedback import measures_of

    _measure(world)
    first = measures_of(world.org_a)
    assert first == [("pearlin-mastery", "mastery", "client", False)]
    with CaptureQueriesContext(connection) as kept:
        assert measures_of(world.org_a) == first
    assert len(kept.captured_queries) == 1  # the chosen measures only: none, so the kept one
    OutcomeMeasure.objects.create(
        organisation=world.org_a,
        instrument="pearlin-mastery",
        scale="mastery",
        informant="professional",
    )
    assert measures_of(world.org_a) == [("pearlin-mastery", "mastery", "professional", True)]


def test_the_team_page_downloads_as_pdf(world) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot load Pango here ({exc})")
    _measure(world)
    c = Client()
    c.force_login(world.carol)
    response = c.get(f"/insight/teams/{world.team_a.pk}/feedback/?download=pdf")
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"


def test_the_workplace_figures_are_kept_and_the_units_are_counted_each_time(world) -> None:
    """The whole workplace's comparison is kept a few minutes (the same on every page);
    the unit's own figures are counted on every request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from werkplaats.insight.selectors import unit_feedback

    _measure(world)
    trajectories = world.team_a.trajectories.all()
    with CaptureQueriesContext(connection) as first:
        unit_feedback(trajectories)
    with CaptureQueriesContext(connection) as second:
        unit, whole = unit_feedback(trajectories)
    assert 0 < len(second) < len(first)
    assert set(unit) == set(whole)


def test_a_definition_is_parsed_once_however_many_version_objects(world, monkeypatch) -> None:
    """Every query makes new version objects; the parse (and its schema check) is done once
    per content, not once per object."""
    from werkplaats.instruments import models as instrument_models
    from werkplaats.instruments.models import InstrumentVersion
    from werkplaats.stats.definition import parse_definition

    calls = []
    real = parse_definition

    def counting(definition):
        calls.append(1)
        return real(definition)

    monkeypatch.setattr(instrument_models, "parse_definition", counting)
    monkeypatch.setattr(instrument_models, "_PARSED", {})
    version = InstrumentVersion.objects.filter(instrument__slug="pearlin-mastery").latest(
        "created", "pk"
    )
    parsed = [InstrumentVersion.objects.get(pk=version.pk).parsed for _ in range(5)]
    assert len(calls) == 1 and all(p is parsed[0] for p in parsed)
