"""Password reset by e-mail: through the mail path (var/mail/ folder backend here), the
same answer for known and unknown addresses, a one-time link, throttled, Dutch and
English (docs/security.md)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.personas import PASSWORD
from tests.text import found, mails_in
from werkplaats.operations.models import MessageLog
from werkplaats.partnership import password_reset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mail_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "werkplaats.operations.mail_backend.FolderEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    return tmp_path


def _ask(address, *, language="nl", ip="198.51.100.7"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    return client.post(reverse("password_reset"), {"email": address}, REMOTE_ADDR=ip)


def _page_text(response):
    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_known_address_gets_a_one_time_link_that_sets_a_new_password(world, mail_dir):
    world.alice.email = "alice@example.org"
    world.alice.save()
    assert _ask("Alice@Example.org").status_code == 200
    (mail,) = mails_in(mail_dir)
    assert mail["To"] == "alice@example.org"
    assert "wachtwoord" in mail["Subject"].lower()
    link = found(r"http\S+/invitation/\S+/", mail.get_content(), group=0)
    path = link.split("127.0.0.1:8000", 1)[-1]
    client = Client()
    response = client.post(
        path,
        {
            "new_password1": "een-nieuw-lang-wachtwoord",
            "new_password2": "een-nieuw-lang-wachtwoord",
        },
    )
    assert response.status_code == 302
    assert (
        client.post(
            reverse("login"), {"username": "alice", "password": "een-nieuw-lang-wachtwoord"}
        ).status_code
        == 302
    )
    # The link works once.
    assert Client().get(path).status_code == 410
    assert MessageLog.objects.filter(kind="password_reset", outcome="sent").count() == 1


def test_the_mail_is_in_english_for_an_english_page(world, mail_dir):
    world.bob.email = "bob@example.org"
    world.bob.save()
    _ask("bob@example.org", language="en")
    (mail,) = mails_in(mail_dir)
    assert mail["Subject"] == "Reset your Werkplaats password"
    assert "it works once" in mail.get_content()


def test_a_newer_link_replaces_the_older_one(world, mail_dir):
    world.alice.email = "alice@example.org"
    world.alice.save()
    _ask("alice@example.org")
    _ask("alice@example.org")
    links = [found(r"/invitation/\S+/", m.get_content(), group=0) for m in mails_in(mail_dir)]
    assert sorted(Client().get(link).status_code for link in links) == [200, 410]


def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_work(
    world, mail_dir, monkeypatch
):
    """No user enumeration: the page is the same, and the request runs the same queries
    (the look-up and the mail happen in the background task, not in the request)."""
    world.alice.email = "alice@example.org"
    world.alice.save()
    queued = []
    # As with a real queue: the request only hands the work over.
    monkeypatch.setattr(
        password_reset._send_reset, "_enqueue", lambda run, args, kwargs: queued.append(args)
    )
    with CaptureQueriesContext(connection) as known_queries:
        known = _ask("alice@example.org", ip="198.51.100.1")
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = _ask("nobody@example.org", ip="198.51.100.2")
    assert [a[0] for a in queued] == ["alice@example.org", "nobody@example.org"]
    assert known.status_code == unknown.status_code == 200
    assert _page_text(known) == _page_text(unknown)
    shape = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in known_queries.captured_queries]
    other = [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in unknown_queries.captured_queries]
    assert shape == other
    assert not any("partnership_user" in q for q in shape)


def test_an_unknown_address_gets_no_mail_and_a_network_member_none_either(world, mail_dir):
    world.nina.email = "nina@example.org"
    world.nina.save()
    _ask("nobody@example.org")
    _ask("nina@example.org")
    assert mails_in(mail_dir) == []


def test_reset_mails_are_throttled_per_address_and_per_client(world, mail_dir, settings):
    world.alice.email = "alice@example.org"
    world.alice.save()
    for n in range(6):
        assert _ask("alice@example.org", ip=f"198.51.100.{n}").status_code == 200
    assert len(mails_in(mail_dir)) == 3  # at most three mails an hour per address
    for n in range(10):
        _ask(f"x{n}@example.org", ip="203.0.113.9")
    response = _ask("alice@example.org", ip="203.0.113.9")
    assert response.status_code == 429
    assert len(mails_in(mail_dir)) == 3


def test_the_login_page_links_to_the_reset_and_the_form_explains_a_bad_address(world):
    assert reverse("password_reset") in Client().get(reverse("login")).content.decode()
    response = Client().post(reverse("password_reset"), {"email": "geen adres"})
    assert response.status_code == 400
    assert "e-mailadres" in response.content.decode().lower()


def test_the_old_password_keeps_working_until_the_link_is_used(world, mail_dir):
    world.alice.email = "alice@example.org"
    world.alice.save()
    _ask("alice@example.org")
    assert (
        Client().post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )
