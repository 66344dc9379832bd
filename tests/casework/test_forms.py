"""Forms validate with messages a user can act on, in Dutch and in English."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.web import logged_in
from werkplaats.casework.models import Contact, NetworkMember, Trajectory

pytestmark = pytest.mark.django_db


def _contact(**overrides):
    data = {
        "date": timezone.localdate().isoformat(),
        "duration_minutes": 45,
        "mode": "home_visit",
        "alliance_heard": "4",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "This date lies in the future"), ("nl", "Deze datum ligt in de toekomst")],
)
def test_future_contact_date_is_refused_in_both_languages(world, language, expected):
    url = reverse("casework:contact_new", kwargs={"pk": world.trajectory_a.pk})
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    before = Contact.objects.count()
    response = logged_in(world.alice, language).post(url, _contact(date=future))
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert Contact.objects.count() == before


def test_contact_saves_with_principles_and_actors(world):
    from werkplaats.casework.models import ActorKind, WorkingPrinciple

    url = reverse("casework:contact_new", kwargs={"pk": world.trajectory_a.pk})
    principle = WorkingPrinciple.objects.get(code="strengths-based")
    actor = ActorKind.objects.get(code="informal-network")
    response = logged_in(world.alice, "nl").post(
        url, _contact(principles=[principle.pk], actors=[actor.pk], note="Samen naar de bank")
    )
    assert response.status_code == 302
    contact = Contact.objects.filter(note="Samen naar de bank").get()
    assert list(contact.principles.all()) == [principle]
    assert list(contact.actors.all()) == [actor]
    assert contact.recorded_by == world.alice
    assert contact.alliance_heard == 4


def test_contact_form_defaults_follow_the_last_contact(world):
    world.trajectory_a.contacts.update(mode="phone", duration_minutes=15)
    url = reverse("casework:contact_new", kwargs={"pk": world.trajectory_a.pk})
    page = logged_in(world.alice, "en").get(url).content.decode()
    assert re.search(r'value="phone"[^>]*checked', page)
    assert not re.search(r'value="home_visit"[^>]*checked', page)
    assert 'value="15"' in page


def test_alliance_out_of_range_is_refused(world):
    url = reverse("casework:contact_new", kwargs={"pk": world.trajectory_a.pk})
    before = Contact.objects.count()
    response = logged_in(world.alice, "en").post(url, _contact(alliance_heard="9"))
    assert response.status_code == 200
    assert "less than or equal to 5" in response.content.decode()
    assert Contact.objects.count() == before


def test_closed_trajectory_needs_an_end_date(world):
    url = reverse("casework:trajectory_edit", kwargs={"pk": world.trajectory_a.pk})
    response = logged_in(world.alice, "en").post(
        url,
        {
            "status": "closed",
            "start": "2025-01-15",
            "end": "",
            "version": 1,
        },
    )
    assert response.status_code == 200
    assert "A closed trajectory needs an end date." in response.content.decode()
    assert Trajectory.objects.get(pk=world.trajectory_a.pk).status == "open"


def test_network_member_starts_a_new_wave_from_the_last(world):
    url = reverse("casework:network_member_new", kwargs={"pk": world.trajectory_a.pk})
    response = logged_in(world.alice, "en").post(
        url,
        {
            "date": timezone.localdate().isoformat(),
            "label": "Buurman Piet",
            "relation": "neighbour",
            "closeness": 2,
            "support_given": ["company"],
        },
    )
    assert response.status_code == 302
    latest = world.trajectory_a.network_snapshots.order_by("-date").first()
    labels = sorted(latest.members.values_list("label", flat=True))
    assert labels == ["Buurman Piet", "Dochter", "Huisarts"]
    assert NetworkMember.objects.filter(label="Dochter").count() == 2  # the old wave is kept


def test_goal_score_outside_levels_is_refused(world):
    url = reverse("casework:goal_score", kwargs={"pk": world.goal_a.pk})
    before = world.goal_a.scores.count()
    response = logged_in(world.alice, "en").post(url, {"date": "2025-05-01", "level": "3"})
    assert response.status_code == 200
    assert world.goal_a.scores.count() == before


def test_second_score_on_the_same_day_corrects_the_first(world):
    url = reverse("casework:goal_score", kwargs={"pk": world.goal_a.pk})
    client = logged_in(world.alice, "en")
    client.post(url, {"date": "2025-05-01", "level": "0"})
    client.post(url, {"date": "2025-05-01", "level": "1"})
    scores = list(world.goal_a.scores.filter(date=dt.date(2025, 5, 1)))
    assert [s.level for s in scores] == [1]
