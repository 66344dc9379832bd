"""The professional's progress page downloads as CSV and PDF (the export is logged), and
the municipality's table as PDF, as the team and organisation pages do."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from tests.insight.test_measure_feedback import (
    LESS,
    LONELY,
    NOT,
    _choose_loneliness,
    _loneliness,
    _peers,
)
from werkplaats.casework.models import TargetGroup
from werkplaats.core.models import AccessLog

pytestmark = pytest.mark.django_db


def _weasyprint() -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot load Pango here ({exc})")


def _klaas_behind(world) -> None:
    """Peers got much less lonely; Klaas stayed severely lonely: not on track."""
    _choose_loneliness(world)
    world.trajectory_a.target_groups.set([TargetGroup.objects.get(code="debt")])
    _peers(world, 22, LONELY, NOT)
    _loneliness(world.trajectory_a, LONELY, LESS)


def test_the_progress_page_downloads_as_csv_with_direction_and_signal(world) -> None:
    _klaas_behind(world)
    c = Client()
    c.force_login(world.alice)
    url = f"/insight/trajectories/{world.trajectory_a.pk}/progress/"
    assert "?download=csv" in c.get(url).content.decode()
    data = c.get(url + "?download=csv")
    assert data.status_code == 200 and data["Content-Type"].startswith("text/csv")
    assert "attachment" in data["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(data.content.decode())))
    assert [(r["wave"], float(r["score"])) for r in rows] == [("intake", 6.0), ("m03", 2.0)]
    last = rows[-1]
    assert last["client"] == world.client_a.pseudonym
    assert (last["instrument"], last["scale"], last["higher_is"]) == (
        "dejong-gierveld-6",
        "total",
        "worse",
    )
    # 6 -> 2 on a scale where lower is better: change -4, better +4; peers reached +6
    assert float(last["change_since_start"]) == -4.0 and float(last["better_since_start"]) == 4.0
    assert last["signal"] == "not on track"
    assert float(last["comparable_median_change"]) == pytest.approx(6.0)
    assert AccessLog.objects.filter(
        user=world.alice, action="export", detail="progress csv"
    ).exists()


def test_the_progress_page_downloads_as_pdf(world) -> None:
    _weasyprint()
    _klaas_behind(world)
    c = Client()
    c.force_login(world.alice)
    url = f"/insight/trajectories/{world.trajectory_a.pk}/progress/?download=pdf"
    response = c.get(url)
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    assert AccessLog.objects.filter(action="export", detail="progress pdf").exists()


def test_who_may_not_read_the_trajectory_gets_no_download(world) -> None:
    _klaas_behind(world)
    c = Client()
    c.force_login(world.bob)  # another team's professional
    url = f"/insight/trajectories/{world.trajectory_a.pk}/progress/?download=csv"
    assert c.get(url).status_code in (403, 404)
    assert not AccessLog.objects.filter(action="export", detail="progress csv").exists()


def test_the_municipality_table_downloads_as_pdf(world) -> None:
    _weasyprint()
    _choose_loneliness(world)
    _peers(world, 12, LONELY, LESS)
    c = Client()
    c.force_login(world.paula)
    page = c.get("/insight/municipality/outcomes/").content.decode()
    assert "?download=pdf" in page
    response = c.get("/insight/municipality/outcomes/?download=pdf")
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    assert "municipality-outcomes.pdf" in response["Content-Disposition"]
