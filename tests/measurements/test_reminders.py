"""Wave invitations and reminders: who gets what, when, how often, and what is logged."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.personas import build_world
from tests.text import found
from werkplaats.measurements import access, reminders, services
from werkplaats.measurements.models import Invitation, MethodSchedule, OneTimeLink
from werkplaats.measurements.tasks import prune_expired_links
from werkplaats.operations.messages import opt_out
from werkplaats.operations.models import MessageLog

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
# trajectory_a starts on 2025-01-15: its intake wave is open on the 20th.
MORNING = dt.datetime(2025, 1, 20, 10, 0, tzinfo=AMS)


@pytest.fixture
def world():
    w = build_world()
    w.klaas.email = "klaas@example.org"
    w.klaas.save()
    plan = services.plan_for(w.trajectory_a)
    plan.network_member_email = "buurvrouw@example.org"
    plan.save()
    return w


def _to(mail, address):
    return [m for m in mail if m.to == [address]]


def test_a_due_wave_invites_the_client_and_the_network_member(world, mailoutbox):
    sweep = reminders.send_due_invitations(now=MORNING)
    client_mail = _to(mailoutbox, "klaas@example.org")
    network_mail = _to(mailoutbox, "buurvrouw@example.org")
    # The default plan: the client answers two instruments, the network member one.
    assert (len(client_mail), len(network_mail)) == (2, 1)
    assert sweep.invitations == 3
    assert client_mail[0].subject == "Er staat een vragenlijst voor u klaar"
    assert " u " in client_mail[0].body and " je " not in client_mail[0].body
    token = found(r"/q/([A-Za-z0-9_-]+)/", network_mail[0].body)
    link = access.access_link(token)  # the link in the message works
    assert link.assessment.informant == "network_member"
    assert "/messages/stop/" in network_mail[0].body
    logged = MessageLog.objects.filter(kind="invitation")
    assert logged.count() == 3
    assert set(logged.values_list("outcome", flat=True)) == {"sent"}
    assert logged.filter(address="klaas@example.org", recipient=world.klaas).count() == 2


def test_a_second_pass_sends_nothing_new(world, mailoutbox):
    reminders.send_due_invitations(now=MORNING)
    reminders.send_due_invitations(now=MORNING + dt.timedelta(hours=1))
    assert len(mailoutbox) == 3
    assert Invitation.objects.count() == 3


def test_reminders_after_n_days_at_most_m_times(world, mailoutbox):
    reminders.send_due_invitations(now=MORNING)
    reminders.send_due_invitations(now=MORNING + dt.timedelta(days=6))
    assert len(mailoutbox) == 3  # not yet
    first_link = OneTimeLink.objects.get().token_hash
    reminders.send_due_invitations(now=MORNING + dt.timedelta(days=7))
    assert len(mailoutbox) == 6
    assert mailoutbox[-1].subject.startswith("Herinnering")
    assert OneTimeLink.objects.get().token_hash != first_link  # a fresh link
    reminders.send_due_invitations(now=MORNING + dt.timedelta(days=14))
    reminders.send_due_invitations(now=MORNING + dt.timedelta(days=21))
    assert len(mailoutbox) == 9
    assert MessageLog.objects.filter(kind="reminder").count() == 6


def test_nothing_in_quiet_hours(world, mailoutbox):
    late = MORNING.replace(hour=22)
    early = MORNING.replace(hour=7)
    assert reminders.send_due_invitations(now=late).quiet >= 1
    reminders.send_due_invitations(now=early)
    assert mailoutbox == []
    reminders.send_due_invitations(now=MORNING.replace(hour=8))
    assert len(mailoutbox) == 3


def test_a_completed_questionnaire_gets_no_reminder(world, mailoutbox):
    from tests.measurements.factories import answer_all

    reminders.send_due_invitations(now=MORNING)
    for invitation in Invitation.objects.select_related("assessment"):
        services.assessment_complete(assessment=answer_all(invitation.assessment), user=None)
    reminders.send_due_invitations(now=MORNING + dt.timedelta(days=8))
    assert len(mailoutbox) == 3


def test_a_person_who_opted_out_gets_nothing_and_the_log_says_so(world, mailoutbox):
    opt_out(user=world.klaas)
    reminders.send_due_invitations(now=MORNING)
    assert _to(mailoutbox, "klaas@example.org") == []
    assert len(_to(mailoutbox, "buurvrouw@example.org")) == 1
    assert MessageLog.objects.filter(address="klaas@example.org", outcome="opted_out").count() == 2


def test_english_when_the_plan_says_so(world, mailoutbox):
    plan = services.plan_for(world.trajectory_a)
    plan.message_language = "en"
    plan.save()
    reminders.send_due_invitations(now=MORNING)
    assert mailoutbox[0].subject == "A questionnaire is ready for you"


def test_invitations_can_be_turned_off_per_method(world, mailoutbox):
    from werkplaats.casework.models import Method

    method = Method.objects.create(name="Stil werken")
    MethodSchedule.objects.create(method=method, invitations=False)
    world.trajectory_a.method = method
    world.trajectory_a.save()
    reminders.send_due_invitations(now=MORNING)
    assert mailoutbox == []


def test_the_weekly_digest_counts_without_naming_clients(world, mailoutbox):
    world.alice.email = "alice@example.org"
    world.alice.save()
    sent = reminders.send_weekly_digests(today=MORNING.date())
    assert sent >= 1
    digest = _to(mailoutbox, "alice@example.org")[0]
    assert "open" in digest.body
    assert world.client_a.pseudonym not in digest.body
    assert MessageLog.objects.filter(kind="digest", recipient=world.alice).exists()


def test_long_expired_links_are_pruned(world):
    from tests.measurements.factories import make_link

    make_link(world.trajectory_a, days=-40)
    assert prune_expired_links() == 1
    assert OneTimeLink.objects.count() == 0
