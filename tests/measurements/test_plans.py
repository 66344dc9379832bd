"""Measurement plans over waves: due and overdue marks, scores over waves, reliable change."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.casework.factories import GoalScoreFactory, TrajectoryFactory
from werkplaats.casework.models import Method, Trajectory
from werkplaats.measurements import charts, selectors, services
from werkplaats.measurements.models import MeasurementPlan, MethodSchedule
from werkplaats.measurements.schedule import add_months, plan_waves, wave_state

MAX = {"m1": 1, "m2": 1, "m3": 1, "m4": 4, "m5": 1, "m6": 4, "m7": 1}
LOW = {"m1": 4, "m2": 4, "m3": 4, "m4": 1, "m5": 4, "m6": 1, "m7": 4}


def _intake_by_client_and_professional(t: Trajectory) -> None:
    """At intake the client answers the Pearlin scale low, the professional the highest."""
    services.assessments_record_bulk(
        [
            services.AssessmentRecord(
                t, "pearlin-mastery", "client", "intake", dt.date(2025, 1, 15), LOW
            ),
            services.AssessmentRecord(
                t, "pearlin-mastery", "professional", "intake", dt.date(2025, 1, 15), MAX
            ),
        ]
    )


def test_waves_intake_every_three_months_closure_and_follow_up() -> None:
    waves = plan_waves(
        start=dt.date(2025, 1, 15), end=dt.date(2025, 8, 1), today=dt.date(2026, 6, 1)
    )
    assert [(w.key, w.due) for w in waves] == [
        ("intake", dt.date(2025, 1, 15)),
        ("m03", dt.date(2025, 4, 15)),
        ("m06", dt.date(2025, 7, 15)),
        ("closure", dt.date(2025, 8, 1)),
        ("follow_up", dt.date(2026, 2, 1)),
    ]


def test_an_open_trajectory_shows_waves_up_to_the_next_one() -> None:
    waves = plan_waves(start=dt.date(2025, 1, 31), end=None, today=dt.date(2025, 5, 1))
    assert [w.key for w in waves] == ["intake", "m03", "m06"]
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        ("2025-03-31", "upcoming"),
        ("2025-04-01", "due"),
        ("2025-04-29", "due"),
        ("2025-04-30", "overdue"),
    ],
)
def test_wave_state(today: str, state: str) -> None:
    assert wave_state(dt.date(2025, 4, 15), dt.date.fromisoformat(today), 14, False) == state
    assert wave_state(dt.date(2025, 4, 15), dt.date.fromisoformat(today), 14, True) == "done"


def test_a_method_schedule_is_the_trajectorys_default_plan(world) -> None:
    method = Method.objects.create(name="Krachtgericht werken")
    MethodSchedule.objects.create(
        method=method,
        interval_months=6,
        follow_up_months=0,
        instruments=[{"instrument": "dejong-gierveld-6", "informants": ["client"]}],
    )
    trajectory = TrajectoryFactory(method=method, lead_professional=world.alice, team=world.team_a)
    plan = services.plan_for(trajectory)
    assert plan.interval_months == 6 and plan.follow_up_months == 0
    assert [(p.instrument.slug, p.informant) for p in plan.planned.all()] == [
        ("dejong-gierveld-6", "client")
    ]


def test_the_due_list_marks_overdue_waves_on_the_professionals_home_page(world) -> None:
    client = Client()
    client.force_login(world.alice)
    with time_machine.travel(dt.datetime(2025, 2, 20, 10, tzinfo=dt.UTC), tick=False):
        rows = selectors.due_list(world.alice, dt.date(2025, 2, 20))
        intake = [r for r in rows if r.wave.key == "intake"]
        assert intake and all(r.state == "overdue" for r in intake)  # intake 15 Jan + 14 days
        body = client.get(reverse("home")).content.decode()
        assert "state-overdue" in body and world.client_a.pseudonym in body
    with time_machine.travel(dt.datetime(2025, 4, 10, 10, tzinfo=dt.UTC), tick=False):
        states = {
            (r.wave.key, r.instrument.slug, r.informant): r.state
            for r in selectors.due_list(world.alice, dt.date(2025, 4, 10))
        }
        assert states[("m03", "pearlin-mastery", "client")] == "due"


def test_a_completed_assessment_leaves_the_due_list(world) -> None:
    services.assessment_record(
        trajectory=world.trajectory_a,
        instrument="pearlin-mastery",
        informant="client",
        wave="intake",
        wave_date=world.trajectory_a.start,
        answers=MAX,
    )
    rows = selectors.due_list(world.alice, dt.date(2025, 2, 20))
    assert ("intake", "pearlin-mastery", "client") not in {
        (r.wave.key, r.instrument.slug, r.informant) for r in rows
    }
    assert ("intake", "pearlin-mastery", "professional") in {
        (r.wave.key, r.instrument.slug, r.informant) for r in rows
    }


def test_the_due_list_is_only_for_own_trajectories(world) -> None:
    assert {r.trajectory for r in selectors.due_list(world.alice, dt.date(2025, 2, 20))} == {
        world.trajectory_a
    }


def test_scores_over_waves_side_by_side_with_reliable_change(world) -> None:
    t = world.trajectory_a
    services.assessments_record_bulk(
        [
            services.AssessmentRecord(
                t, "pearlin-mastery", "client", "intake", dt.date(2025, 1, 15), LOW
            ),
            services.AssessmentRecord(
                t, "pearlin-mastery", "client", "m03", dt.date(2025, 4, 15), MAX
            ),
            services.AssessmentRecord(
                t,
                "pearlin-mastery",
                "professional",
                "intake",
                dt.date(2025, 1, 15),
                {**LOW, "m4": 2},
            ),
            services.AssessmentRecord(
                t,
                "pearlin-mastery",
                "network_member",
                "m03",
                dt.date(2025, 4, 15),
                {**MAX, "m1": 2},
            ),
        ]
    )
    scores = {s.instrument.slug: s for s in selectors.instrument_scores(t, dt.date(2025, 5, 1))}
    pearlin = scores["pearlin-mastery"]
    assert [p.value for p in pearlin.series["client"]] == [7.0, 28.0]
    change = pearlin.series["client"][1].change
    assert change is not None and change.reliable and change.direction == "improved"
    assert set(pearlin.series) == {"client", "professional", "network_member"}
    client = Client()
    client.force_login(world.alice)
    body = client.get(reverse("casework:trajectory", args=[t.pk])).content.decode()
    assert 'data-reliable-change="improved"' in body
    assert 'data-informant="network_member"' in body and "<svg" in body
    assert "goal-attainment" in scores  # GAS from the goals of the foundation


def test_gas_scores_come_from_the_goals(world) -> None:
    GoalScoreFactory(goal=world.goal_a, date=dt.date(2025, 7, 20), level=2)
    gas = {
        s.instrument.slug: s
        for s in selectors.instrument_scores(world.trajectory_a, dt.date(2025, 8, 1))
    }["goal-attainment"]
    values = {p.wave: p.value for p in gas.series["professional"]}
    assert values["intake"] == pytest.approx(40.0)  # baseline -1 on one goal
    # A wave counts the scores of its window (until the next wave opens, as the due list
    # does): the 20 April score (0) belongs to m03, the +2 of 20 July to m06.
    assert values["m03"] == pytest.approx(50.0)
    assert values["m06"] == pytest.approx(70.0)
    assert "m09" not in values  # 15 October lies after today


def test_bulk_recording_checks_answers_like_a_person_answering(world) -> None:
    with pytest.raises(ValidationError, match="m1"):
        services.assessment_record(
            trajectory=world.trajectory_a,
            instrument="pearlin-mastery",
            informant="client",
            wave="intake",
            wave_date=dt.date(2025, 1, 15),
            answers={**MAX, "m1": 9},
        )
    with pytest.raises(ValidationError, match="required"):
        services.assessment_record(
            trajectory=world.trajectory_a,
            instrument="pearlin-mastery",
            informant="client",
            wave="intake",
            wave_date=dt.date(2025, 1, 15),
            answers={"m1": 1},
        )


def test_bulk_recording_is_fast_enough_for_the_demo(world, django_assert_max_num_queries) -> None:
    records = [
        services.AssessmentRecord(
            world.trajectory_a,
            "dejong-gierveld-6",
            "client",
            f"m{k:02d}",
            dt.date(2025, 1, 15) + dt.timedelta(days=k),
            {"lone3": 1, "lone4": 3, "lone7": 3, "lone8": 3, "lone9": 1, "lone10": 1},
        )
        for k in range(60)
    ]
    with django_assert_max_num_queries(12):
        created = services.assessments_record_bulk(records)
    assert len(created) == 60 and created[0].answers.count() == 6


def test_the_plan_can_be_edited_and_refuses_a_stale_save(world) -> None:
    client = Client()
    client.force_login(world.alice)
    url = reverse("measurements:plan_edit", args=[world.trajectory_a.pk])
    client.get(url)
    plan = MeasurementPlan.objects.get(trajectory=world.trajectory_a)
    data = {
        "version": plan.version,
        "intake": "on",
        "interval_months": 6,
        "closure": "on",
        "follow_up_months": 12,
        "grace_days": 21,
        "planned": ["pearlin-mastery|client", "tfi|professional"],
    }
    assert client.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.interval_months == 6 and plan.follow_up_months == 12
    assert {(p.instrument.slug, p.informant) for p in plan.planned.all()} == {
        ("pearlin-mastery", "client"),
        ("tfi", "professional"),
    }
    assert client.post(url, data).status_code == 409  # the same (now stale) version again


def test_the_measurements_page_starts_assessments_per_informant(world) -> None:
    client = Client()
    client.force_login(world.alice)
    page = client.get(reverse("measurements:trajectory", args=[world.trajectory_a.pk]))
    assert page.status_code == 200 and "Nu beoordelen" in page.content.decode()
    start = reverse("measurements:assessment_start", args=[world.trajectory_a.pk])
    data = {
        "instrument": "pearlin-mastery",
        "informant": "professional",
        "wave": "intake",
        "wave_date": "2025-01-15",
    }
    response = client.post(start, data)
    assert response.status_code == 302 and "/assessments/" in response["Location"]


def test_a_questionnaire_opened_for_the_client_says_so_and_is_not_offered_again(world) -> None:
    """Once opened for the client, the row still offered "Open for the client" and said
    "started" while nobody had answered, so a professional could not tell it was done."""
    import re

    client = Client()
    client.force_login(world.alice)
    url = reverse("measurements:trajectory", args=[world.trajectory_a.pk])
    page = client.get(url).content.decode()
    offered = page.count("Klaarzetten voor de cliënt")
    assert offered >= 1 and "klaargezet voor de cliënt" not in page
    form = page[: page.index("Klaarzetten voor de cliënt")]
    form = form[form.rindex("<form") :]
    data = dict(re.findall(r'name="(instrument|informant|wave|wave_date)" value="([^"]*)"', form))
    assert data["informant"] == "client"
    start = reverse("measurements:assessment_start", args=[world.trajectory_a.pk])
    assert client.post(start, data).status_code == 302
    page = client.get(url).content.decode()
    assert page.count("Klaarzetten voor de cliënt") == offered - 1
    assert "(klaargezet voor de cliënt)" in page


def test_answers_export_for_a_trajectory(world) -> None:
    services.assessment_record(
        trajectory=world.trajectory_a,
        instrument="pearlin-mastery",
        informant="client",
        wave="intake",
        wave_date=dt.date(2025, 1, 15),
        answers=MAX,
    )
    client = Client()
    client.force_login(world.carol)
    url = reverse("measurements:export", args=[world.trajectory_a.pk])
    csv_text = client.get(url, {"format": "redcap"}).content.decode()
    assert "C-A0001,intake,client,1,1,1,4,1,4,1,2" in csv_text
    bundle = client.get(url, {"format": "fhir"}).json()
    assert bundle["entry"][0]["resource"]["resourceType"] == "QuestionnaireResponse"


def test_a_team_manager_sets_a_methods_default_plan(world) -> None:
    method = Method.objects.create(name="Eigen Kracht")
    client = Client()
    client.force_login(world.carol)
    url = reverse("measurements:method_schedule", args=[method.pk])
    data = {
        "intake": "on",
        "interval_months": 4,
        "closure": "on",
        "follow_up_months": 6,
        "grace_days": 14,
        "planned": ["dejong-gierveld-6|client", "zrm|professional"],
    }
    assert client.post(url, data).status_code == 302
    trajectory = TrajectoryFactory(method=method, lead_professional=world.alice, team=world.team_a)
    view = selectors.plan_view(trajectory)
    assert view.fields["interval_months"] == 4
    assert {(i.slug, inf) for i, inf in view.planned} == {
        ("dejong-gierveld-6", "client"),
        ("zrm", "professional"),
    }


def test_a_team_manager_changes_the_plan_of_their_own_organisation_only(world) -> None:
    """POST /methods/<id>/measurement-plan/ by Carol (organisation A) changed the method's
    plan for every organisation; now it sets organisation A's own plan."""
    method = Method.objects.create(name="Eigen Kracht")
    MethodSchedule.objects.create(
        method=method,
        interval_months=6,
        instruments=[{"instrument": "pearlin-mastery", "informants": ["client"]}],
    )
    carol = Client()
    carol.force_login(world.carol)
    url = reverse("measurements:method_schedule", args=[method.pk])
    data = {
        "intake": "on",
        "interval_months": 2,
        "closure": "on",
        "follow_up_months": 6,
        "grace_days": 14,
        "planned": ["zrm|professional"],
        "organisation": world.org_b.pk,  # not hers: ignored, her own organisation is used
    }
    assert carol.post(url, data).status_code == 302
    ours = TrajectoryFactory(method=method, lead_professional=world.alice, team=world.team_a)
    theirs = TrajectoryFactory(method=method, lead_professional=world.bob, team=world.team_b)
    assert selectors.plan_view(ours).fields["interval_months"] == 2
    assert [(i.slug, inf) for i, inf in selectors.plan_view(ours).planned] == [
        ("zrm", "professional")
    ]
    # Organisation B still follows the method's default.
    assert selectors.plan_view(theirs).fields["interval_months"] == 6
    assert services.plan_for(theirs).interval_months == 6
    assert MethodSchedule.objects.get(method=method).interval_months == 6
    # The due list (preloaded) reads the same.
    preloaded = selectors.Preloaded.load([ours, theirs])
    assert selectors.plan_view(ours, preloaded).fields["interval_months"] == 2
    assert selectors.plan_view(theirs, preloaded).fields["interval_months"] == 6


def test_the_client_sees_only_their_own_answers_over_time(world) -> None:
    t = world.trajectory_a
    _intake_by_client_and_professional(t)
    client = Client()
    client.force_login(world.klaas)
    body = client.get(reverse("casework:me")).content.decode()
    assert 'data-informant="client"' in body and 'data-informant="professional"' not in body


def test_an_overdue_wave_is_missed_once_the_next_one_is_open(world) -> None:
    rows = selectors.due_list(world.alice, dt.date(2025, 6, 1))
    keys = {(r.wave.key, r.state) for r in rows}
    assert ("intake", "overdue") not in keys and ("m03", "overdue") in keys
    view = selectors.plan_view(world.trajectory_a)
    states = {
        (r.wave.key, r.instrument.slug, r.informant): r.state
        for r in selectors.wave_rows(world.trajectory_a, view, dt.date(2025, 6, 1))
    }
    assert states[("intake", "pearlin-mastery", "client")] == "missed"


def test_goals_count_as_scored_within_the_waves_window(world) -> None:
    view = selectors.plan_view(world.trajectory_a)
    states = {
        r.wave.key: r.state
        for r in selectors.wave_rows(world.trajectory_a, view, dt.date(2025, 8, 1))
        if r.is_gas
    }
    # Baseline at intake; the score of 20 April falls in the window of m03 (1 April - 1 July).
    assert states["intake"] == "done" and states["m03"] == "done"
    assert states["m06"] == "overdue"


def test_the_due_list_reads_a_whole_caseload_in_a_few_queries(
    world, django_assert_max_num_queries
) -> None:
    from tests.casework.factories import GoalFactory

    for _ in range(30):
        GoalFactory(trajectory=TrajectoryFactory(lead_professional=world.alice, team=world.team_a))
    with django_assert_max_num_queries(8):
        rows = selectors.due_list(world.alice, dt.date(2025, 6, 1))
    assert len({r.trajectory.pk for r in rows}) == 31


def _looked_too_early(monkeypatch, model) -> None:
    """The code under test looks before a concurrent request's row is committed: its first
    lookup finds nothing, although the row exists by the time it inserts its own."""
    manager = model.objects
    real = manager.filter
    calls = []

    def first_finds_nothing(*args, **kwargs):
        calls.append(1)
        return manager.none() if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(manager, "filter", first_finds_nothing)


def test_two_first_requests_for_a_plan_share_one_plan(world, monkeypatch) -> None:
    trajectory = TrajectoryFactory(lead_professional=world.alice, team=world.team_a)
    rival = MeasurementPlan.objects.create(trajectory=trajectory)
    _looked_too_early(monkeypatch, MeasurementPlan)
    assert services.plan_for(trajectory).pk == rival.pk
    assert MeasurementPlan.objects.filter(trajectory=trajectory).count() == 1


def test_two_concurrent_starts_of_one_assessment_share_it(world, monkeypatch) -> None:
    from tests.measurements.factories import open_assessment
    from werkplaats.instruments.models import Instrument
    from werkplaats.measurements.models import Assessment

    rival = open_assessment(world.trajectory_a, "client")
    _looked_too_early(monkeypatch, Assessment)
    again = services.assessment_start(
        trajectory=world.trajectory_a,
        instrument=Instrument.objects.get(slug="pearlin-mastery"),
        informant="client",
        wave="intake",
        wave_date=world.trajectory_a.start,
        user=world.alice,
    )
    assert again.pk == rival.pk


def test_score_charts_in_the_active_language_and_per_informant(world) -> None:
    from django.utils import translation

    t = world.trajectory_a
    _intake_by_client_and_professional(t)
    today = dt.date(2025, 2, 1)
    every = charts.score_charts(t, today)
    pearlin = next(entry for entry, _svg in every if entry.instrument.slug == "pearlin-mastery")
    assert set(pearlin.series) == {"client", "professional"}
    own = charts.score_charts(t, today, informant="client")
    assert own and all(set(entry.series) == {"client"} for entry, _svg in own)
    assert charts.score_charts(None, today) == []
    with translation.override("en"):
        english = charts.score_charts(t, today)[0][1]
    with translation.override("nl"):
        dutch = charts.score_charts(t, today)[0][1]
    assert english != dutch
