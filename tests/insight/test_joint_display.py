"""The joint display and the case page show the study plan's fitted model from the latest
stored report run (no stand-in figure); the story's trajectory links to its case page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.insight.test_insight_app import _measure, _plan
from werkplaats.casework.models import TargetGroup
from werkplaats.core.models import AccessLog
from werkplaats.core.pseudonyms import study_case_key, study_pseudonym
from werkplaats.insight.joint import NO_GROUP
from werkplaats.insight.models import ModelCase, ReportRun

pytestmark = pytest.mark.django_db


def _run(world):
    plan = _plan(world)
    groups = {code: {"slope": 1.234, "low": 0.5, "high": 2.0, "n": 40} for code in [NO_GROUP]}
    groups |= {
        g.code: {"slope": 1.234, "low": 0.5, "high": 2.0, "n": 40}
        for g in TargetGroup.objects.all()
    }
    run = ReportRun.objects.create(
        study=world.study_s, plan=plan, html="<p>report</p>", model_groups={"groups": groups}
    )
    ModelCase.objects.create(
        run=run,
        client=study_pseudonym(world.study_s.pk, world.client_a.pk),
        intercept=20.0,
        slope=4.0,
        measurements=2,
    )
    return run


def test_the_joint_display_shows_the_fitted_growth_per_group(world) -> None:
    c = Client()
    c.force_login(world.rita)
    url = f"/insight/rounds/{world.round_a.pk}/joint-display/"
    page = c.get(url).content.decode()
    assert "Netwerk" in page  # the theme, from the stories app
    assert "1.23" not in page and "1,23" not in page
    assert "/insight/studies/" in page  # no run yet: the way to build one
    _run(world)
    page = c.get(url).content.decode()
    assert "1.23" in page or "1,23" in page
    assert "n=40" in page
    case = study_case_key(world.study_s.pk, world.trajectory_a.pk)
    assert f"/insight/studies/{world.study_s.pk}/cases/{case}/model/" in page
    assert AccessLog.objects.filter(user=world.rita, detail="joint display with the model").exists()
    # the stories app's own display links here
    stories = c.get(f"/stories/rounds/{world.round_a.pk}/joint-display/").content.decode()
    assert url in stories


def test_the_case_page_shows_the_scores_beside_the_fitted_line(world) -> None:
    _measure(world)  # Pearlin 20 at the start, 22 three months later
    _run(world)
    case = study_case_key(world.study_s.pk, world.trajectory_a.pk)
    c = Client()
    c.force_login(world.rita)
    response = c.get(f"/insight/studies/{world.study_s.pk}/cases/{case}/model/")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [v for _t, v, _f in rows] == [20.0, 22.0]
    for t, _v, fitted in rows:
        assert fitted == pytest.approx(20.0 + 4.0 * t)
    page = response.content.decode()
    assert "<svg" in page
    assert study_pseudonym(world.study_s.pk, world.client_a.pk) in page
    assert world.client_a.pseudonym not in page  # the researcher sees the study's key only
    stories = c.get(f"/stories/studies/{world.study_s.pk}/cases/{case}/").content.decode()
    assert f"/insight/studies/{world.study_s.pk}/cases/{case}/model/" in stories


def _goals(world) -> list[float]:
    """Two goals set at the start (level -1 at the start); the first scored 0 after 30
    days, both scored after 120 days (+1 and 0). The T-scores by Kiresuk and Sherman's
    formula, equal weights, rho 0.3: 50 + 10 * sum(x) / sqrt(0.7 * 2 + 0.3 * 2 ** 2)."""
    from werkplaats.casework.models import Goal, GoalScore

    t = world.trajectory_a
    t.goals.all().delete()
    goals = [
        Goal.objects.create(
            trajectory=t,
            text=f"Secret goal text {k}",
            level_minus2="-2",
            level_minus1="-1",
            level_0="0",
            level_plus1="+1",
            level_plus2="+2",
            baseline=-1,
            created=t.start,
        )
        for k in range(2)
    ]
    for goal, day, level in ((goals[0], 30, 0), (goals[0], 120, 1), (goals[1], 120, 0)):
        GoalScore.objects.create(
            goal=goal, date=t.start + dt.timedelta(days=day), level=level, recorded_by=world.alice
        )
    root = (0.7 * 2 + 0.3 * 4) ** 0.5
    return [50 + 10 * (0 - 1) / root, 50 + 10 * (1 + 0) / root]  # 43.80, 56.20


def test_the_case_page_shows_the_goal_attainment_beside_the_plans_outcome(world) -> None:
    _measure(world)
    _run(world)  # the plan's outcome is the Pearlin Mastery Scale
    expected = _goals(world)
    case = study_case_key(world.study_s.pk, world.trajectory_a.pk)
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(world.rita)
    response = c.get(f"/insight/studies/{world.study_s.pk}/cases/{case}/model/")
    assert [v for _t, v, _f in response.context["rows"]] == [20.0, 22.0]  # the outcome
    gas = response.context["gas"]
    assert [t for t, _v in gas] == pytest.approx([30 / 365.25, 120 / 365.25])
    assert [v for _t, v in gas] == pytest.approx(expected)
    page = response.content.decode()
    assert 'class="gas-scores"' in page and "43.8" in page and "56.2" in page
    assert page.count("<svg") == 2  # the fitted line, and the goal attainment beside it
    # as the rest of the page: the study's key, years since the start, no goal texts or dates
    assert "Secret goal text" not in page
    assert (world.trajectory_a.start + dt.timedelta(days=30)).isoformat() not in page
    assert world.client_a.pseudonym not in page


def test_with_goal_attainment_as_the_outcome_the_fitted_line_runs_through_the_t_scores(
    world,
) -> None:
    run = _run(world)
    run.plan = _plan(world, outcome="gas_t")
    run.save()
    expected = _goals(world)
    case = study_case_key(world.study_s.pk, world.trajectory_a.pk)
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(world.rita)
    response = c.get(f"/insight/studies/{world.study_s.pk}/cases/{case}/model/")
    rows = response.context["rows"]
    assert [v for _t, v, _f in rows] == pytest.approx(expected)
    for t, _v, fitted in rows:
        assert fitted == pytest.approx(20.0 + 4.0 * t)
    assert response.context["gas"] == []  # not shown twice
    page = response.content.decode()
    assert "goal attainment (GAS T-score)" in page and "Secret goal text" not in page
