"""Messages: logged without their body, held back for people who opted out, written to
the mail folder in the demo, and the pages to opt out and to see one's tasks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.partnership.factories import UserFactory
from tests.text import mails_in
from werkplaats.operations import messages
from werkplaats.operations.mail_backend import FolderEmailBackend
from werkplaats.operations.models import MessageLog, OptOut, TaskRun

pytestmark = pytest.mark.django_db


def test_each_message_is_one_file_in_the_mail_folder(tmp_path, settings):
    settings.EMAIL_BACKEND = "werkplaats.operations.mail_backend.FolderEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    messages.send_email(kind="test", to="a@example.org", subject="Eén", body="hallo")
    messages.send_email(kind="test", to="b@example.org", subject="Twee", body="hoi")
    parsed = mails_in(tmp_path)
    assert len(parsed) == 2
    assert sorted(m["To"] for m in parsed) == ["a@example.org", "b@example.org"]
    assert FolderEmailBackend(folder=str(tmp_path)).send_messages([]) == 0


def test_the_folder_lists_messages_in_the_order_they_were_sent(tmp_path, settings):
    # Many within one second: the names still sort in sending order (a random part alone
    # shuffled them, and a reader taking "the first invitation" got any of them).
    settings.EMAIL_BACKEND = "werkplaats.operations.mail_backend.FolderEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    sent = [f"n{i:02d}@example.org" for i in range(40)]
    for address in sent:
        messages.send_email(kind="test", to=address, subject="S", body="b")
    assert [m["To"] for m in mails_in(tmp_path)] == sent


def test_the_log_names_who_what_and_where_but_not_the_body(mailoutbox):
    user = UserFactory(email="p@example.org")
    entry = messages.send_email(
        kind="invitation",
        to="p@example.org",
        subject="S",
        body="Klaas Bakker, uw afspraak",
        recipient=user,
        about=user,
    )
    assert (entry.kind, entry.address, entry.recipient, entry.outcome) == (
        "invitation",
        "p@example.org",
        user,
        "sent",
    )
    stored = " ".join(str(v) for v in MessageLog.objects.values_list().get())
    assert "Klaas" not in stored and "afspraak" not in stored


def test_opting_out_holds_back_optional_messages_only(mailoutbox):
    messages.opt_out(address="X@Example.org")
    held = messages.send_email(
        kind="reminder", to="x@example.org", subject="s", body="b", optional=True
    )
    assert held.outcome == "opted_out" and mailoutbox == []
    sent = messages.send_email(kind="set_password", to="x@example.org", subject="s", body="b")
    assert sent.outcome == "sent" and len(mailoutbox) == 1
    assert not OptOut.objects.filter(address_hash__contains="@").exists()  # only hashes


def test_a_failing_mail_server_is_logged_not_raised(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    entry = messages.send_email(kind="test", to="a@example.org", subject="s", body="b")
    assert entry.outcome == "failed" and entry.error


def test_text_messages_go_through_the_provider():
    messages.LoggingTextProvider.outbox.clear()
    entry = messages.send_text(kind="reminder", to="+31612345678", body="Uw vragenlijst")
    assert entry.outcome == "sent" and entry.channel == "text"
    assert messages.LoggingTextProvider.outbox == [("+31612345678", "Uw vragenlijst")]


def test_the_stop_link_asks_then_opts_out(client):
    url = messages.opt_out_url("buur@example.org")
    path = url.split("127.0.0.1:8000", 1)[1]
    assert client.get(path).status_code == 200
    assert not messages.is_opted_out("buur@example.org")  # opening the link changes nothing
    assert client.post(path).status_code == 200
    assert messages.is_opted_out("buur@example.org")
    bad = reverse("operations:stop", kwargs={"token": "nonsense"})
    assert client.get(bad).status_code == 404


def test_a_person_turns_reminders_off_and_on(client):
    user = UserFactory(email="z@example.org")
    client.force_login(user)
    client.post(reverse("operations:preferences"), {"reminders": "off"})
    assert messages.is_opted_out("z@example.org", user)
    client.post(reverse("operations:preferences"), {"reminders": "on"})
    assert not messages.is_opted_out("z@example.org", user)


def test_the_tasks_page_shows_ones_own_runs_with_the_reason(client):
    mine, other = UserFactory(), UserFactory()
    TaskRun.objects.create(
        kind="insight.build_report",
        object_key="study:1",
        started_by=mine,
        status="failed",
        error="Er zijn geen metingen.",
    )
    TaskRun.objects.create(
        kind="insight.build_report",
        object_key="study:2",
        started_by=other,
        status="failed",
        error="Iets anders.",
    )
    client.force_login(mine)
    page = client.get(reverse("operations:tasks")).content.decode()
    assert "Er zijn geen metingen." in page and "Iets anders." not in page
