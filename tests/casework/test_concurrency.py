"""Two people editing one goal or trajectory: the second save is refused, not merged."""

import pytest
from django.test import Client
from django.urls import reverse

from werkplaats.casework import services
from werkplaats.casework.models import Goal, Trajectory
from werkplaats.core.versioning import ConcurrentEditError

pytestmark = pytest.mark.django_db


def _goal_post(goal, version, text):
    return {
        "text": text,
        "weight": 1,
        "baseline": -1,
        "level_minus2": "a",
        "level_minus1": "b",
        "level_0": "c",
        "level_plus1": "d",
        "level_plus2": "e",
        "version": version,
    }


def test_second_goal_save_with_stale_version_is_refused(world):
    browser_1, browser_2 = Client(), Client()
    browser_1.force_login(world.alice)
    browser_2.force_login(world.alice)
    url = reverse("casework:goal_edit", kwargs={"pk": world.goal_a.pk})
    opened_version = world.goal_a.version
    first = browser_1.post(url, _goal_post(world.goal_a, opened_version, "Eerste versie"))
    assert first.status_code == 302
    second = browser_2.post(url, _goal_post(world.goal_a, opened_version, "Tweede versie"))
    assert second.status_code == 409
    assert "Someone else saved" in second.content.decode() or "iemand anders" in (
        second.content.decode().lower()
    )
    goal = Goal.objects.get(pk=world.goal_a.pk)
    assert goal.text == "Eerste versie"
    assert goal.version == opened_version + 1


def test_trajectory_update_service_refuses_stale_version(world):
    t = world.trajectory_a
    services.trajectory_update(
        trajectory=t, user=world.alice, expected_version=1, fields={"request_for_help": "x"}
    )
    stale = Trajectory.objects.get(pk=t.pk)
    stale.version = 1  # what a second editor opened
    with pytest.raises(ConcurrentEditError):
        services.trajectory_update(
            trajectory=stale,
            user=world.alice,
            expected_version=1,
            fields={"request_for_help": "y"},
        )
    assert Trajectory.objects.get(pk=t.pk).request_for_help == "x"


def test_trajectory_edit_page_saves_with_current_version(world):
    client = Client()
    client.force_login(world.alice)
    url = reverse("casework:trajectory_edit", kwargs={"pk": world.trajectory_a.pk})
    response = client.post(
        url,
        {
            "status": "open",
            "start": "2025-01-15",
            "end": "",
            "request_for_help": "Hulp bij post",
            "version": world.trajectory_a.version,
        },
    )
    assert response.status_code == 302
    assert Trajectory.objects.get(pk=world.trajectory_a.pk).request_for_help == "Hulp bij post"
