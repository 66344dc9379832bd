"""An organisation's own measurement plan for a method (``OrganisationSchedule``) is the
one its trajectories follow: the method's page shows it to that organisation's people,
the practice-based evidence measures what any organisation's plan measures, and the
history import judges waves by it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.insight.test_history import MEASUREMENT_HEAD, files, pearlin, rejected
from tests.methods.factories import described_method
from werkplaats.insight.history import import_history
from werkplaats.measurements.models import MethodSchedule, OrganisationSchedule
from werkplaats.methods.evidence import measures

pytestmark = pytest.mark.django_db

PEARLIN = [{"instrument": "pearlin-mastery", "informants": ["client"]}]
LONELINESS = [{"instrument": "dejong-gierveld-6", "informants": ["client"]}]


def _method_with_plans(world):
    method = described_method(world.rita).method
    MethodSchedule.objects.create(method=method, instruments=PEARLIN)
    OrganisationSchedule.objects.create(
        method=method, organisation=world.org_a, instruments=LONELINESS, interval_months=4
    )
    return method


def _page(user, method) -> str:
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(user)
    return browser.get(reverse("methods:detail", args=[method.pk])).content.decode()


def test_the_method_page_shows_the_readers_own_organisations_plan(world):
    method = _method_with_plans(world)
    html = _page(world.alice, method)
    assert "Measurement plan of Welzijn A" in html
    own = html[html.index("Measurement plan of Welzijn A") : html.index("Default measurement plan")]
    assert "dejong-gierveld-6: client" in own and "pearlin-mastery" not in own


def test_another_organisations_plan_is_not_shown_as_yours(world):
    method = _method_with_plans(world)
    html = _page(world.bob, method)  # Welzijn B has no plan of its own
    assert "Measurement plan of" not in html
    assert "pearlin-mastery: client" in html


def test_the_evidence_measures_what_an_organisations_own_plan_measures(world):
    method = _method_with_plans(world)
    assert [m[0] for m in measures(method)] == ["pearlin-mastery", "dejong-gierveld-6"]


def test_the_history_import_judges_waves_by_the_organisations_plan(world, tmp_path: Path):
    method = _method_with_plans(world)  # default every 3 months, Welzijn A every 4
    trajectories = (
        "trajectory_ref,client_ref,professional,team,start,end,status,target_groups,method\n"
        f"t1,c1,alice,Team A,2024-01-10,,open,frail-elderly,{method.name}\n"
    )
    files(
        tmp_path,
        trajectories=trajectories,
        measurements=MEASUREMENT_HEAD + pearlin("t1", "m04", "2024-05-10"),
    )
    assert import_history(tmp_path, "Welzijn A").created["assessments"] == 1
    OrganisationSchedule.objects.all().delete()  # back to the default: m04 is no wave
    (tmp_path / "again").mkdir()
    files(
        tmp_path / "again",
        trajectories=trajectories.replace("t1,c1", "t9,c9"),
        clients="client_ref,birth_year,language,neighbourhood\nc9,1950,Nederlands,Centrum\n",
        measurements=MEASUREMENT_HEAD + pearlin("t9", "m04", "2024-05-10"),
    )
    assert "wave 'm04' is not a wave of this trajectory" in rejected(tmp_path / "again")
