"""The access log to NEN 7513: fields, lists naming every client, refusals, the hash chain."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from werkplaats.core.audit import record, verify
from werkplaats.core.models import AccessLog, AccessLogClient


def _login(user) -> Client:
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.force_login(user)
    return client


def _newest(**filters) -> AccessLog:
    return AccessLog.objects.filter(**filters).latest("seq")


def test_an_entry_says_who_for_whom_which_client_where_and_the_outcome(world):
    _login(world.carol).get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    entry = _newest(user=world.carol, object_type="casework.trajectory")
    assert entry.action == "view" and entry.outcome == "ok"
    assert entry.actor_name and "team_manager" in entry.actor_role
    assert world.trajectory_a.team.organisation.name in entry.actor_organisation
    assert entry.ip == "192.0.2.7"
    assert len(entry.session) == 16
    assert list(entry.clients.values_list("client_id", flat=True)) == [world.client_a.pk]


def test_a_page_that_logs_twice_reads_the_actor_once_and_names_them_in_both(world):
    """The trajectory page logs the trajectory and the client's name: the actor's
    memberships (role, organisation) are read once for the request, not once per entry."""
    from django.test.utils import CaptureQueriesContext

    browser = _login(world.alice)
    url = reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk})
    before = AccessLog.objects.count()
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    entries = list(AccessLog.objects.order_by("seq")[before:])
    assert len(entries) >= 2
    assert {(e.actor_name, e.actor_role, e.actor_organisation) for e in entries} == {
        (entries[0].actor_name, "professional", entries[0].actor_organisation)
    }
    assert world.org_a.name in entries[0].actor_organisation
    # the actor's memberships (role, organisation, team) are read once for the request:
    # the menu's roles and the log's actor fields share them (User.membership_rows)
    roles_read = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "partnership_membership"."role"')
        and "WHERE" in q["sql"]
        and '"partnership_membership"."user_id" =' in q["sql"].split("WHERE", 1)[1]
    ]
    assert len(roles_read) == 1
    assert '"partnership_organisation"."name"' in roles_read[0]


def test_a_list_names_every_client_in_it(world):
    _login(world.alice).get(reverse("casework:caseload"))
    entry = _newest(user=world.alice, object_type="casework.trajectory", object_id="list")
    assert entry.object_id != "*"
    assert world.client_a.pk in set(entry.clients.values_list("client_id", flat=True))
    assert entry.client_count == entry.clients.count()


def test_a_study_export_names_every_consenting_client(world):
    from tests.core.test_access_matrix import _planned

    _planned(world)  # the export holds the model's data of the study's analysis plan
    response = _login(world.rita).get(
        reverse("insight:study_export", kwargs={"pk": world.study_s.pk, "fmt": "csv"})
    )
    assert response.status_code == 200
    entry = _newest(user=world.rita, action="export")
    assert world.client_a.pk in set(entry.clients.values_list("client_id", flat=True))
    assert world.study_s.title in entry.on_behalf_of


def test_an_entry_for_thousands_of_clients_keeps_every_one_and_verifies(world):
    # A study's report names every consenting client; those rows are written in bulk
    # (COPY on PostgreSQL, one JSON array on SQLite), not one model object per row.
    ids = [world.client_a.pk, *range(10**6, 10**6 + 4999), 2**40]
    entry = record(world.rita, "view", "programme.study", "1", clients=reversed(ids))
    stored = sorted(entry.clients.values_list("client_id", flat=True))
    assert stored == sorted(ids) and entry.client_count == 5001
    assert verify() == []
    small = record(world.rita, "view", "programme.study", "1", clients=[world.client_a.pk] * 2)
    assert list(small.clients.values_list("client_id", flat=True)) == [world.client_a.pk]
    assert record(world.rita, "view", "programme.study", "1").clients.count() == 0
    assert verify() == []


def test_a_long_client_list_is_written_once_and_later_entries_refer_to_it(world):
    """A study report page names every consenting client on every view: the list is
    written once; a later entry with the same clients points at it (no rows of its own),
    still names them (hash, who-looked, verify), and a changed list is written anew."""
    from werkplaats.core.audit import SHARED_LIST, accesses_of_client

    ids = [world.client_a.pk, *range(10**6, 10**6 + SHARED_LIST)]
    first = record(world.rita, "view", "programme.study", "1", clients=ids)
    again = record(world.rita, "view", "programme.study", "1", clients=reversed(ids))
    assert first.clients_as is None and first.clients.count() == len(ids)
    assert again.clients_as == first and again.clients.count() == 0
    assert again.client_ids() == sorted(ids) and again.client_count == len(ids)
    assert AccessLogClient.objects.filter(client_id=10**6).count() == 1  # written once
    seen = {e.seq for e in accesses_of_client(world.client_a.pk)}
    assert {first.seq, again.seq} <= seen
    assert verify() == []
    other = record(world.rita, "view", "programme.study", "1", clients=ids[:-1])
    assert other.clients_as is None and other.clients.count() == len(ids) - 1
    short = record(world.rita, "view", "programme.study", "1", clients=[world.client_a.pk])
    again_short = record(world.rita, "view", "programme.study", "1", clients=[world.client_a.pk])
    assert short.clients.count() == again_short.clients.count() == 1  # short lists as ever
    assert verify() == []
    # a row taken out of the shared list is found in every entry that names it
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_accesslogclient WHERE entry_id = %s AND client_id = %s",
            [first.pk, 10**6],
        )
    broken = {p.seq for p in verify()}
    assert {first.seq, again.seq} <= broken and other.seq not in broken


def test_a_refused_attempt_is_logged(world):
    response = _login(world.bob).get(
        reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk})
    )
    assert response.status_code == 404
    entry = _newest(user=world.bob)
    assert entry.action == "denied" and entry.outcome == "denied"
    assert "casework:trajectory" in entry.object_type
    assert str(world.trajectory_a.pk) in entry.object_id


def test_opening_an_edit_form_is_a_view_and_saving_it_a_change(world):
    url = reverse("casework:trajectory_edit", kwargs={"pk": world.trajectory_a.pk})
    _login(world.alice).get(url)
    entry = _newest(user=world.alice, object_type="casework.trajectory")
    assert entry.action == "view"


def test_deleting_a_user_keeps_their_name_on_their_entries(world):
    _login(world.carol).get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    name = world.carol.username
    world.carol.delete()
    entry = AccessLog.objects.filter(actor_name__contains=name).order_by("-seq").first()
    assert entry is not None and entry.user_id is None
    assert verify() == []


def test_the_log_cannot_be_edited_through_the_application(world):
    _login(world.carol).get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    entry = _newest(user=world.carol)
    entry.detail = "nothing to see"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        AccessLog.objects.filter(pk=entry.pk).delete()
    with pytest.raises(TypeError):
        AccessLog.objects.filter(pk=entry.pk).update(detail="x")


def _three_entries(world) -> list[AccessLog]:
    client = _login(world.alice)
    for _ in range(3):
        client.get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    return list(AccessLog.objects.order_by("seq"))


def test_audit_verify_passes_on_an_untouched_log(world, capsys):
    _three_entries(world)
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


def test_audit_verify_finds_an_altered_row(world):
    entries = _three_entries(world)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_accesslog SET detail = %s WHERE id = %s", ["edited", entries[1].pk]
        )
    problems = verify()
    assert [p.seq for p in problems] == [entries[1].seq]
    with pytest.raises(CommandError):
        call_command("audit_verify")


def test_audit_verify_finds_a_changed_client_list(world):
    _three_entries(world)
    entry = AccessLog.objects.filter(client_count__gt=0).earliest("seq")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_accesslogclient WHERE entry_id = %s", [entry.pk])
    assert [p.seq for p in verify()] == [entry.seq]


def test_audit_verify_finds_a_deleted_row(world):
    entries = _three_entries(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_accesslogclient WHERE entry_id = %s", [entries[1].pk])
        cursor.execute("DELETE FROM core_accesslog WHERE id = %s", [entries[1].pk])
    problems = verify()
    assert problems and problems[0].seq == entries[2].seq
    assert "missing" in str(problems[0])


def test_audit_verify_finds_a_deleted_last_row(world):
    entries = _three_entries(world)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_accesslogclient WHERE entry_id = %s", [entries[-1].pk])
        cursor.execute("DELETE FROM core_accesslog WHERE id = %s", [entries[-1].pk])
    assert verify()


def test_the_client_sees_who_looked_at_their_file(world):
    _login(world.carol).get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    page = _login(world.klaas).get(reverse("casework:me")).content.decode()
    assert "Wie heeft mijn dossier bekeken" in page
    carol = world.carol.get_full_name() or world.carol.username
    assert carol in page
    assert "bekeek uw dossier" in page
    download = _login(world.klaas).get(reverse("casework:me_data"))
    rows = json.loads(download.content)["who_looked_at_my_file"]
    assert any(row["who"] == carol and row["role"] for row in rows)
    # The client's own reads are not listed as someone else's look.
    assert all(row["who"] != (world.klaas.get_full_name() or world.klaas.username) for row in rows)


def test_every_entry_names_its_clients_when_the_object_has_one(world):
    _login(world.alice).get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    identity = _newest(user=world.alice, object_type="casework.clientidentity")
    assert identity is not None
    assert AccessLogClient.objects.filter(entry=identity, client_id=world.client_a.pk).exists()


def test_a_file_read_all_day_is_one_line_with_its_count_and_the_download_keeps_each(world):
    import datetime as dt

    from werkplaats.portal.who_looked import by_day

    for _ in range(3):
        _login(world.carol).get(
            reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk})
        )
    _login(world.alice).get(reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk}))
    page = _login(world.klaas).get(reverse("casework:me_data_page")).content.decode()
    carol = world.carol.get_full_name() or world.carol.username
    lines = [line for line in page.split("<li>") if line.startswith(tuple("0123456789"))]
    carol_lines = [line for line in lines if f"{carol} (" in line and "bekeek uw dossier" in line]
    assert len(carol_lines) == 1 and "(3 keer, tot " in carol_lines[0]
    download = _login(world.klaas).get(reverse("casework:me_data"))
    rows = json.loads(download.content)["who_looked_at_my_file"]
    assert sum(1 for r in rows if r["who"] == carol and r["what"] == "bekeek uw dossier") == 3
    # Another day or another person is another line; the order is the newest first.
    day = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    row = {"who": "P", "role": "r", "organisation": "o", "what": "w"}
    grouped = by_day(
        [
            {**row, "when": day + dt.timedelta(days=1)},
            {**row, "when": day + dt.timedelta(hours=8)},
            {**row, "when": day},
            {**row, "who": "Q", "when": day},
            {**row, "when": day},
        ]
    )
    assert [(x["who"], x["times"]) for x in grouped] == [("P", 1), ("P", 3), ("Q", 1)]
    assert grouped[1]["when"] == day and grouped[1]["until"] == day + dt.timedelta(hours=8)


def test_my_page_lists_the_newest_fifty_looks(world):
    for _ in range(55):
        _login(world.carol).get(
            reverse("casework:trajectory", kwargs={"pk": world.trajectory_a.pk})
        )
    page = _login(world.klaas).get(reverse("casework:me")).content.decode()
    section = page.split('class="who-looked"', 1)[1].split("</ul>", 1)[0]
    assert section.count("<li>") == 50
