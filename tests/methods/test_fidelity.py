"""Fidelity: answered in the contact form (per contact) or per period; shown over time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.methods.factories import described_method
from tests.web import logged_in
from werkplaats.casework.models import Contact, Trajectory
from werkplaats.methods.models import FidelityAnswer, FidelityRecord

pytestmark = pytest.mark.django_db


def _follow(world, version):
    Trajectory.objects.filter(pk=world.trajectory_a.pk).update(
        method=version.method, method_version=version.number
    )


def _contact(**extra):
    return {
        "date": timezone.localdate().isoformat(),
        "duration_minutes": 30,
        "mode": "home_visit",
        **extra,
    }


def test_the_contact_form_asks_the_checklist_and_stores_each_item(world):
    version = described_method(world.rita)
    _follow(world, version)
    items = list(version.items.all())
    url = reverse("casework:contact_new", args=[world.trajectory_a.pk])
    page = logged_in(world.alice, "en").get(url).content.decode()
    assert "Fidelity to Sterk in de wijk" in page
    assert all(i.text in page for i in items)
    response = logged_in(world.alice, "en").post(
        url, _contact(note="met buurvrouw", **{"fidelity-done": [items[0].pk, items[2].pk]})
    )
    assert response.status_code == 302
    record = FidelityRecord.objects.get(contact=Contact.objects.get(note="met buurvrouw"))
    assert record.method_version == version
    assert dict(FidelityAnswer.objects.filter(record=record).values_list("item_id", "done")) == {
        items[0].pk: True,
        items[1].pk: False,
        items[2].pk: True,
    }


def test_one_keystroke_marks_everything_done(world):
    version = described_method(world.rita)
    _follow(world, version)
    url = reverse("casework:contact_new", args=[world.trajectory_a.pk])
    logged_in(world.alice, "en").post(url, _contact(note="alles", **{"fidelity-all": "on"}))
    record = FidelityRecord.objects.get(contact__note="alles")
    assert record.answers.filter(done=True).count() == 3


def test_a_trajectory_without_a_method_gets_no_checklist(world):
    url = reverse("casework:contact_new", args=[world.trajectory_a.pk])
    assert "fidelity-done" not in logged_in(world.alice, "en").get(url).content.decode()
    assert logged_in(world.alice, "en").post(url, _contact(note="zonder")).status_code == 302
    assert not FidelityRecord.objects.exists()


def test_a_per_period_method_is_answered_once_per_month_and_a_stale_save_is_refused(world):
    version = described_method(world.rita, fidelity_mode="month")
    _follow(world, version)
    items = list(version.items.all())
    contact_page = logged_in(world.alice, "en").get(
        reverse("casework:contact_new", args=[world.trajectory_a.pk])
    )
    assert "fidelity-done" not in contact_page.content.decode()
    url = reverse("methods:fidelity_period", args=[world.trajectory_a.pk])
    day = timezone.localdate()
    assert (
        logged_in(world.alice, "en")
        .post(url, {"day": day.isoformat(), "done": [items[1].pk]})
        .status_code
        == 302
    )
    record = FidelityRecord.objects.get(trajectory=world.trajectory_a)
    assert record.period_start == day.replace(day=1)
    # a second save for the same month changes that record (version 1 was read)
    assert (
        logged_in(world.alice, "en")
        .post(url, {"day": day.isoformat(), "done": [items[0].pk], "version": 1})
        .status_code
        == 302
    )
    assert FidelityRecord.objects.filter(trajectory=world.trajectory_a).count() == 1
    assert list(record.answers.filter(done=True).values_list("item_id", flat=True)) == [items[0].pk]
    stale = logged_in(world.alice, "nl").post(
        url, {"day": day.isoformat(), "done": [], "version": 1}
    )
    assert stale.status_code == 409
    future = logged_in(world.alice, "nl").post(
        url, {"day": (day + dt.timedelta(days=40)).isoformat(), "done": []}
    )
    assert future.status_code == 400
    assert "toekomst" in future.content.decode()


def test_the_trajectory_page_shows_fidelity_over_time(world):
    version = described_method(world.rita)
    _follow(world, version)
    items = list(version.items.all())
    url = reverse("casework:contact_new", args=[world.trajectory_a.pk])
    earlier = (timezone.localdate() - dt.timedelta(days=14)).isoformat()
    logged_in(world.alice, "en").post(
        url, _contact(date=earlier, **{"fidelity-done": [items[0].pk]})
    )
    logged_in(world.alice, "en").post(url, _contact(**{"fidelity-all": "on"}))
    page = (
        logged_in(world.carol, "en")
        .get(reverse("casework:trajectory", args=[world.trajectory_a.pk]))
        .content.decode()
    )
    assert "Fidelity to the method" in page
    assert page.index("1/3") < page.index("3/3")  # oldest first
    assert "Netwerk betrokken; Afspraak vastgelegd" in page  # what was not done
