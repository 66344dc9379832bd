"""A team's dilemma overview for moral case deliberation: case details removed, the
professional's weighing shown only to the team's manager, reads logged, CSV export."""

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.casework.factories import DilemmaFactory
from werkplaats.casework.models import Dilemma
from werkplaats.core.models import AccessLog

pytestmark = pytest.mark.django_db

WHAT_HAPPENED = "Klaas wilde 's nachts alleen naar huis lopen"


@pytest.fixture
def dilemmas(world):
    common = {"recorded_by": world.alice, "description": WHAT_HAPPENED}
    first = DilemmaFactory(
        trajectory=world.trajectory_a,
        date=datetime.date(2026, 3, 17),
        tension=Dilemma.Tension.AUTONOMY_PROTECTION,
        values_at_stake="zelfbeschikking; veiligheid",
        moral_case_deliberation=True,
        **common,
    )
    second = DilemmaFactory(
        trajectory=world.trajectory_a,
        date=datetime.date(2026, 4, 2),
        tension=Dilemma.Tension.AUTONOMY_PROTECTION,
        values_at_stake='=HYPERLINK("x")',
        options_weighed="a of b",
        choice="b",
        reasons="r",
        **common,
    )
    other_team = DilemmaFactory(
        trajectory=world.trajectory_b,
        date=datetime.date(2026, 3, 5),
        tension=Dilemma.Tension.SUPPORT_CONTROL,
        values_at_stake="team B only",
        options_weighed="x",
        choice="y",
        reasons="z",
        recorded_by=world.bob,
        description="team B case",
    )
    return first, second, other_team


def _get(world, persona, name="casework:team_dilemmas", **query):
    client = Client()
    client.force_login(getattr(world, persona))
    return client.get(reverse(name, kwargs={"pk": world.team_a.pk}), query)


def test_manager_sees_tensions_weighing_and_outcome_without_case_details(world, dilemmas):
    html = _get(world, "carol").content.decode()
    assert "zelfbeschikking; veiligheid" in html and "laten gaan met telefoonafspraak" in html
    assert "2026-03" in html and "2026-04" in html
    main = html.split('id="main"', 1)[1]
    for detail in (
        "Klaas",
        "wilde 's nachts",
        world.client_a.pseudonym,
        "2026-03-17",
        "17-03-2026",
        "17 maart",
        "team B only",
    ):
        assert detail not in main, detail
    assert "alleen getoond aan de teammanager" in html  # says who may see the free text


def test_counts_by_tension(world, dilemmas):
    counts = {c.tension: c for c in _get(world, "carol").context["counts"]}
    assert counts["autonomy_protection"].total == 2
    assert counts["autonomy_protection"].deliberated == 1
    assert "support_control" not in counts  # team B's dilemma is not in team A's overview


@pytest.mark.parametrize(
    ("persona", "status"),
    [("carol", 200), ("dave", 404), ("alice", 403), ("rita", 403), ("otto", 403), ("erin", 403)],
)
def test_only_the_team_manager(world, dilemmas, persona, status):
    assert _get(world, persona).status_code == status


def test_the_read_is_logged_with_the_clients(world, dilemmas):
    _get(world, "carol")
    entry = AccessLog.objects.filter(user=world.carol, object_type="casework.dilemma").latest("seq")
    assert "deliberation" in entry.detail
    assert [c.client_id for c in entry.clients.all()] == [world.client_a.pk]


def test_csv_export_has_no_case_details_and_is_safe(world, dilemmas):
    response = _get(world, "carol", download="csv")
    assert response["Content-Type"] == "text/csv"
    expected = f'attachment; filename="dilemmas_team_{world.team_a.pk}.csv"'
    assert response["Content-Disposition"] == expected
    text = response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "nummer" and len(rows) == 3
    assert [r[:4] for r in rows[1:]] == [
        ["D1", "2026-03", "autonomie vs. bescherming", "ja"],
        ["D2", "2026-04", "autonomie vs. bescherming", "nee"],
    ]
    assert rows[2][4] == '\'=HYPERLINK("x")'  # a formula is defused
    for detail in ("Klaas", world.client_a.pseudonym, "2026-03-17", "team B", "alice"):
        assert detail not in text


def test_print_page_and_english(world, dilemmas):
    client = Client()
    client.force_login(world.carol)
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("casework:team_dilemmas_print", kwargs={"pk": world.team_a.pk}),
        headers={"accept-language": "en"},
    )
    html = page.content.decode()
    assert "Dilemmas for moral case deliberation" in html and "D2" in html
    assert WHAT_HAPPENED not in html and world.client_a.pseudonym not in html
