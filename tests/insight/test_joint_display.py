"""The joint display and the case page show the study plan's fitted model from the latest
stored report run (no stand-in figure); the story's trajectory links to its case page."""

from __future__ import annotations

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
