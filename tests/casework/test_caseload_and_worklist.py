"""The professional's worklist (home) and caseload: what needs doing now, for open
trajectories; the next wave and the not-on-track signal; search by name or pseudonym."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.casework.factories import ClientIdentityFactory, TrajectoryFactory
from tests.web import logged_in
from werkplaats.core.models import AccessLog
from werkplaats.insight import on_track as signals
from werkplaats.measurements import services as measurement_services
from werkplaats.measurements import worklist as work
from werkplaats.portal import caseload as caseload_page
from werkplaats.stats.progress import reference_table

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 2, 20)
LOW = {"m1": 4, "m2": 4, "m3": 4, "m4": 1, "m5": 4, "m6": 1, "m7": 4}
MID = {"m1": 3, "m2": 3, "m3": 3, "m4": 2, "m5": 3, "m6": 2, "m7": 3}


def _at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC), tick=False)


def test_the_worklist_leaves_out_closed_and_long_superseded_trajectories(world: Any) -> None:
    # Closed a year ago, its intake and closure never done: not work any more.
    TrajectoryFactory(
        lead_professional=world.alice,
        team=world.team_a,
        start=dt.date(2023, 11, 1),
        end=dt.date(2024, 1, 1),
        status="closed",
    )
    # Open for fourteen months: only the current wave is listed, not the old intake.
    old = TrajectoryFactory(
        lead_professional=world.alice, team=world.team_a, start=dt.date(2023, 12, 10)
    )
    items = work.worklist(world.alice.led_trajectories.all(), TODAY)
    listed = {(i.trajectory.pk, i.wave.key) for i in items}
    assert (world.trajectory_a.pk, "intake") in listed
    assert all(key != "intake" for pk, key in listed if pk == old.pk)
    assert {i.trajectory.status for i in items} == {"open"}
    # Due this week and overdue are filters; so is the kind of work.
    overdue = work.worklist(world.alice.led_trajectories.all(), TODAY, when=work.OVERDUE)
    assert overdue and all(i.overdue for i in overdue)
    goals = work.worklist(world.alice.led_trajectories.all(), TODAY, kind=work.GOALS)
    assert all(i.kind == work.GOALS for i in goals)


def test_the_home_page_pages_and_filters_the_worklist(world: Any, monkeypatch: Any) -> None:
    for _ in range(3):
        TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    monkeypatch.setattr(caseload_page, "WORKLIST_PAGE", 2)
    client = logged_in(world.alice, "en")
    with _at(TODAY):
        first = client.get(reverse("home"))
        second = client.get(reverse("home"), {"page": 2})
        questionnaires = client.get(reverse("home"), {"kind": "questionnaires"})
    assert first.status_code == 200
    assert len(first.context["work"].object_list) == 2
    assert first.context["work_total"] > 2 and 'rel="next"' in first.content.decode()
    assert second.context["work"].number == 2
    kinds = {i.kind for i in questionnaires.context["work"].paginator.object_list}
    assert kinds == {"questionnaires"}


def test_a_team_manager_filters_the_worklist_by_team_member(world: Any) -> None:
    TrajectoryFactory(team=world.team_a)  # led by another professional of the team
    client = logged_in(world.carol, "en")
    with _at(TODAY):
        everyone = client.get(reverse("home"))
        alices = client.get(reverse("home"), {"who": world.alice.pk})
    leads = {
        i.trajectory.lead_professional_id for i in everyone.context["work"].paginator.object_list
    }
    assert world.alice.pk in leads
    assert {
        i.trajectory.lead_professional_id for i in alices.context["work"].paginator.object_list
    } == {world.alice.pk}


def test_the_caseload_searches_by_pseudonym_and_by_name_and_logs_the_names_read(
    world: Any,
) -> None:
    other = TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    ClientIdentityFactory(client=other.client, name="Henk de Boer")
    client = logged_in(world.alice, "en")
    by_name = client.get(reverse("casework:caseload"), {"q": "bakker"})
    assert [t.pk for t, _s, _n in by_name.context["rows"]] == [world.trajectory_a.pk]
    entry = AccessLog.objects.filter(user=world.alice, detail="search by name").first()
    assert entry is not None and entry.client_count == 2
    by_pseudonym = client.get(reverse("casework:caseload"), {"q": world.client_a.pseudonym})
    assert [t.pk for t, _s, _n in by_pseudonym.context["rows"]] == [world.trajectory_a.pk]
    # Bob's caseload holds no Klaas Bakker: a name outside one's reach finds nothing.
    assert (
        logged_in(world.bob, "en")
        .get(reverse("casework:caseload"), {"q": "bakker"})
        .context["rows"]
        == []
    )


def test_the_caseload_shows_the_next_wave_and_the_signal_with_few_queries(
    world: Any, monkeypatch: Any
) -> None:
    t = world.trajectory_a
    measurement_services.assessments_record_bulk(
        [
            measurement_services.AssessmentRecord(
                t, "pearlin-mastery", "client", "intake", dt.date(2025, 1, 15), MID
            ),
            measurement_services.AssessmentRecord(
                t, "pearlin-mastery", "client", "m03", dt.date(2025, 4, 15), LOW
            ),
        ]
    )
    # Forty comparable clients who all improved by 2 to 10 points by three months.
    peers = pd.DataFrame(
        {"group": ["?"] * 40, "months": [3.0] * 40, "change": [2 + i % 9 for i in range(40)]}
    )
    monkeypatch.setattr(
        signals, "_reference", lambda organisation_id, measure: reference_table(peers)
    )
    client = logged_in(world.alice, "en")
    with _at(dt.date(2025, 5, 1)):
        response = client.get(reverse("casework:caseload"))
    (row,) = response.context["rows"]
    trajectory, signal, upcoming = row
    assert signal is False
    assert 'data-signal="behind"' in response.content.decode()
    # The professional has not answered at three months yet: that wave is next, overdue.
    assert upcoming is not None and (upcoming.wave.key, upcoming.state) == ("m03", "overdue")
    for _ in range(10):
        TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    with _at(dt.date(2025, 5, 1)), CaptureQueriesContext(connection) as few:
        client.get(reverse("casework:caseload"))
    for _ in range(20):
        TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    with _at(dt.date(2025, 5, 1)), CaptureQueriesContext(connection) as more:
        client.get(reverse("casework:caseload"))
    assert len(more.captured_queries) == len(few.captured_queries)


def _home_queries(client: Client, user: Any) -> tuple[int, int]:
    with _at(TODAY), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert response.status_code == 200
    return len(queries.captured_queries), response.context["work_total"]


def test_the_worklist_reads_a_fixed_number_of_queries_whatever_the_caseload(world: Any) -> None:
    # The professional's and the team manager's home page: every trajectory's plan, goals and
    # assessments are read together, so thirty more trajectories cost no query more.
    for user in (world.alice, world.carol):
        client = logged_in(user, "en")
        _home_queries(client, user)  # the session's first request reads a little more
        for _ in range(5):
            TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
        few, few_items = _home_queries(client, user)
        for _ in range(30):
            TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
        more, more_items = _home_queries(client, user)
        assert more_items > few_items  # the new trajectories are work too
        assert more == few


def test_the_caseload_reads_the_reference_the_worker_keeps_and_never_computes_it_then(
    world: Any, monkeypatch: Any
) -> None:
    from werkplaats.insight.tasks import refresh_on_track_references

    t = world.trajectory_a
    measurement_services.assessments_record_bulk(
        [
            measurement_services.AssessmentRecord(
                t, "pearlin-mastery", "client", wave, day, answers
            )
            for wave, day, answers in (
                ("intake", dt.date(2025, 1, 15), MID),
                ("m03", dt.date(2025, 4, 15), LOW),
            )
        ]
    )
    computed: list[int] = []
    real = signals._changes  # the organisation's reference (the page's own clients apart)

    def counting(trajectories: Any, info: Any) -> Any:
        computed.append(1)
        return real(trajectories, info)

    client = logged_in(world.alice, "en")
    organisation_id = world.team_a.organisation_id
    [measure] = signals._measures(organisation_id)  # none chosen: its Pearlin answers
    shared, key = caches["shared"], signals._key(organisation_id, measure)
    with _at(TODAY):
        assert refresh_on_track_references.call_local() >= 1  # the worker's hourly work
        monkeypatch.setattr(signals, "_changes", counting)
        assert client.get(reverse("casework:caseload")).status_code == 200
        assert computed == []  # the kept reference was read, not computed
        # Two hours on and the worker has not run: the page still uses the kept reference.
        kept_at, table = shared.get(key)
        assert table  # what is kept is the reduced table, not every measurement
        shared.set(key, (kept_at - 7200, table), None)
        client.get(reverse("casework:caseload"))
        assert computed == []
        # A reference older than a day (no worker running): the page computes it itself.
        shared.set(key, (kept_at - signals.STALE_SECONDS - 1, table), None)
        client.get(reverse("casework:caseload"))
        assert len(computed) == 1
