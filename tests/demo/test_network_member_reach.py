"""The demo reaches its network members: an address for invitations and reminders (they
arrive in the mail folder as waves come due), and a one-time link instead of a password."""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client as Browser
from django.test import override_settings

from tests.text import found, mails_in
from werkplaats.demo.generator import build_demo
from werkplaats.demo.personas import NO_PASSWORD, PASSWORD
from werkplaats.measurements import access, reminders
from werkplaats.measurements.models import Informant, MeasurementPlan

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
FOLDER_BACKEND = "werkplaats.operations.mail_backend.FolderEmailBackend"


def _messages(folder):
    out = []
    for message in mails_in(folder):
        out.append((message["To"], message["Subject"], message.get_content()))
    return out


def test_demo_network_members_get_invitations_then_reminders_in_the_mail_folder(tmp_path):
    build_demo(120, seed=1)
    plans = MeasurementPlan.objects.exclude(network_member_email="")
    assert plans.exists()
    # The persona client's sister answers at her own address.
    own = plans.get(trajectory__client__user__username="client")
    assert own.network_member_email == "netwerklid@demo.werkplaats.invalid"
    morning = dt.datetime.combine(dt.date.today(), dt.time(10), tzinfo=AMS)
    with override_settings(EMAIL_BACKEND=FOLDER_BACKEND, EMAIL_FILE_PATH=str(tmp_path)):
        first = reminders.send_due_invitations(now=morning)
        invited = _messages(tmp_path)
        tokens = [found(r"/q/([A-Za-z0-9_-]+)/", m[2]) for m in invited if "/q/" in m[2]]
        working = [access.access_link(t).assessment.informant for t in tokens]
        later = reminders.send_due_invitations(now=morning + dt.timedelta(days=8))
        everything = _messages(tmp_path)
    assert working and set(working) == {Informant.NETWORK_MEMBER}
    to_network = [m for m in invited if "@demo.werkplaats.invalid" in m[0]]
    assert first.invitations >= 1 and to_network
    to, subject, body = to_network[0]
    assert subject == "Er staat een vragenlijst voor u klaar"
    # Plain words: the client-facing title and the wave in words, no codes.
    assert "Vragen over grip op uw leven" in body
    assert re.search(r"\((bij de start|na \d+ maanden?|bij het einde van de hulp)\)", body)
    assert not re.search(r"\bm\d\d\b|\bintake\b|Pearlin", body)
    # A week on, the unanswered ones are reminded, in the same folder; a network member's
    # reminder goes to the address her invitation went to.
    assert later.reminders >= 1
    reminded = {m[0] for m in everything if m[1].startswith("Herinnering")}
    assert reminded & {m[0] for m in to_network}


def test_the_demo_prints_a_one_time_link_for_the_network_member_not_a_password():
    out = StringIO()
    call_command("build_demo", "--clients", "60", "--seed", "2", stdout=out)
    text = out.getvalue()
    row = next(line for line in text.splitlines() if "netwerklid" in line and "network" in line)
    assert PASSWORD not in row and NO_PASSWORD in row
    link = re.search(r"http://\S+/q/([A-Za-z0-9_-]+)/", text)
    assert link is not None
    # The link opens the sister's questionnaire without a login ...
    page = Browser().get(f"/q/{link.group(1)}/", follow=True)
    assert page.status_code == 200
    assert "Vragen over grip op uw leven" in page.content.decode()
    # ... and the password the table no longer shows would not have let her in.
    refused = Browser().post("/login/", {"username": "netwerklid", "password": PASSWORD})
    assert refused.status_code == 200 and "eenmalige link" in refused.content.decode()
    # A fresh link on demand replaces the first.
    again = StringIO()
    call_command("demo_link", stdout=again)
    assert "/q/" in again.getvalue() and link.group(1) not in again.getvalue()
