"""The professional's and the client's progress pages and the municipality table follow
the organisation's outcome measure, with its direction (loneliness: lower is better)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.measurements.factories import answered_over_waves
from werkplaats.casework.models import TargetGroup
from werkplaats.insight.feedback import client_progress, professional_progress
from werkplaats.insight.models import OutcomeMeasure
from werkplaats.insight.municipality import municipality_tables

pytestmark = pytest.mark.django_db

# De Jong Gierveld 6: emotional items count "yes", social items count "no".
LONELY = {"lone3": 3, "lone9": 3, "lone10": 3, "lone4": 1, "lone7": 1, "lone8": 1}  # total 6
LESS = {"lone3": 1, "lone9": 3, "lone10": 1, "lone4": 3, "lone7": 1, "lone8": 3}  # total 2
NOT = {"lone3": 1, "lone9": 1, "lone10": 1, "lone4": 3, "lone7": 3, "lone8": 3}  # total 0


def _loneliness(trajectory, *answers) -> None:
    answered_over_waves(trajectory, *answers, instrument="dejong-gierveld-6")


def _choose_loneliness(world) -> None:
    OutcomeMeasure.objects.create(
        organisation=world.org_a, instrument="dejong-gierveld-6", scale="total", informant="client"
    )


def _peers(world, n: int, *answers) -> None:
    """``n`` comparable clients (same team, target group debt, Centrum)."""
    debt = TargetGroup.objects.get(code="debt")
    for _k in range(n):
        t = TrajectoryFactory(
            client=ClientFactory(neighbourhood=world.hood_a),
            lead_professional=world.alice,
            team=world.team_a,
            start=world.trajectory_a.start,
        )
        t.target_groups.set([debt])
        _loneliness(t, *answers)


def test_the_professional_sees_the_organisations_measure_and_its_direction(world) -> None:
    """Peers got much less lonely; Klaas stayed severely lonely: not on track, on the
    loneliness scale the organisation chose (not on Pearlin)."""
    _choose_loneliness(world)
    world.trajectory_a.target_groups.set([TargetGroup.objects.get(code="debt")])
    _peers(world, 22, LONELY, NOT)
    _loneliness(world.trajectory_a, LONELY, LONELY)
    p = professional_progress(world.trajectory_a, dt.date.today())
    assert [(m.info.instrument, m.info.scale) for m in p.measures] == [
        ("dejong-gierveld-6", "total")
    ]
    m = p.measures[0]
    assert [pt["score"] for pt in m.points] == [6.0, 6.0]
    assert m.signal is False
    # the comparable clients' change is "positive is better": 6 -> 0 is +6
    assert m.expected is not None and m.expected[1] == pytest.approx(6.0)
    c = Client()
    c.force_login(world.alice)
    page = c.get(f"/insight/trajectories/{world.trajectory_a.pk}/progress/").content.decode()
    assert "Eenzaamheid totaal" in page and "Ernstig eenzaam" in page
    assert "mastery (7-28)" not in page and "regie (7-28)" not in page.lower()


def test_a_client_who_got_less_lonely_reads_that_it_went_better(world) -> None:
    _choose_loneliness(world)
    _loneliness(world.trajectory_a, LONELY, LESS)
    with translation.override("en"):
        progress = client_progress(world.client_a.trajectories.all())
    assert progress["grip"] is False
    assert [pt["score"] for pt in progress["points"]] == [6.0, 2.0]
    assert progress["sentence"] == "Your answers are better now than at the start."
    c = Client()
    c.force_login(world.klaas)
    page = c.get("/insight/me/progress/").content.decode()
    assert "Uw antwoorden zijn nu beter dan aan het begin." in page
    assert "grip" not in page.lower() and "Eenzaamheid totaal" not in page  # no scale names
    # the scale's bands are labels for professionals: a client reads points, not "lonely"
    assert "eenzaam" not in page.lower() and "2 van 6 punten" in page


def test_the_municipality_table_follows_the_measure_with_better_positive(world) -> None:
    """Twelve clients each 4 points less lonely: the mean change reads +4 (better)."""
    _choose_loneliness(world)
    world.client_a.neighbourhood = world.hood_b
    world.client_a.save()
    _peers(world, 12, LONELY, LESS)
    tables = municipality_tables(world.municipality_a)
    assert [(t.measure.instrument, t.measure.scale) for t in tables] == [
        ("dejong-gierveld-6", "total")
    ]
    table = tables[0]
    debt = str(TargetGroup.objects.get(code="debt"))
    column = list(table.columns).index(debt)
    means = {name: m for name, _n, m in table.rows}
    assert means["Centrum"][column] == pytest.approx(4.0)
    c = Client()
    c.force_login(world.paula)
    page = c.get("/insight/municipality/outcomes/").content.decode()
    assert "Eenzaamheid totaal" in page

    data = c.get("/insight/municipality/outcomes/?download=csv")
    assert data["Content-Type"].startswith("text/csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(data.content.decode())))
    centrum = [r for r in rows if r["neighbourhood"] == "Centrum" and r["target_group"] == debt]
    assert centrum and centrum[0]["mean_change"] == "4.0" and centrum[0]["scale"] == "total"
    # what the page hides, the file leaves empty
    assert all(r["mean_change"] == "" for r in rows if r["clients"] == "")


def test_each_clients_first_and_last_score_come_from_the_database_as_from_the_rows(world):
    """``first_and_last`` (window functions in SQL) summarises exactly the rows that
    ``scores_for`` returns: per client over all their trajectories, by wave date, only the
    measure's informant, unscorable answers left out, a stale stored score scored anew."""
    from werkplaats.casework.models import Trajectory
    from werkplaats.insight.models import StoredScore
    from werkplaats.insight.outcomes import first_and_last, scores_for

    t1 = world.trajectory_a
    _loneliness(t1, LONELY, LESS, NOT)  # 6, 2, 0
    t2 = TrajectoryFactory(
        client=world.client_a,
        lead_professional=world.alice,
        team=world.team_a,
        start=t1.start + dt.timedelta(days=400),
    )
    _loneliness(t2, LESS, LONELY)  # 2, 6: the client's last score is 6
    answered_over_waves(t1, NOT, LONELY, instrument="dejong-gierveld-6", informant="professional")
    other = TrajectoryFactory(
        client=ClientFactory(neighbourhood=world.hood_a),
        lead_professional=world.alice,
        team=world.team_a,
    )
    _loneliness(other, LESS, {"lone3": 3})  # the second cannot be scored
    trajectories = Trajectory.objects.filter(pk__in=[t1.pk, t2.pk, other.pk])
    ends = first_and_last(trajectories, "dejong-gierveld-6", "total", "client")
    assert ends.loc[world.client_a.pk].to_dict() == {
        "first": 6.0,
        "last": 6.0,
        "n": 5,
        "low": 0.0,
        "high": 6.0,
    }
    assert ends.loc[other.client_id, ["first", "last", "n"]].tolist() == [2.0, 2.0, 1]
    # a stored score that no longer matches its assessment's completion is scored anew
    stale = StoredScore.objects.filter(
        assessment__trajectory=t2, assessment__wave_date=t2.start + dt.timedelta(days=91)
    ).get(scale="total")
    StoredScore.objects.filter(pk=stale.pk).update(
        value=99.0, completed_at=stale.completed_at - dt.timedelta(days=1)
    )
    assert (
        first_and_last(trajectories, "dejong-gierveld-6", "total", "client").loc[
            world.client_a.pk, "last"
        ]
        == 6.0
    )
    # the same as from every row
    s = scores_for(trajectories, "dejong-gierveld-6", "total", "client").dropna(subset=["score"])
    client_of = dict(trajectories.values_list("pk", "client_id"))
    s = s.assign(client_id=s["trajectory_id"].map(client_of))
    rows = s.sort_values(["wave_date", "assessment_id"]).groupby("client_id")["score"]
    expected = rows.agg(["first", "last", "size", "min", "max"])
    expected.columns = ["first", "last", "n", "low", "high"]
    got = first_and_last(trajectories, "dejong-gierveld-6", "total", "client").sort_index()
    assert got.to_dict("index") == expected.sort_index().to_dict("index")
