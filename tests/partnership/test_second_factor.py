"""The second factor for staff (TOTP + recovery codes) and the network member's login."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery"


@pytest.fixture
def required(settings):
    settings.SECOND_FACTOR_REQUIRED = True
    settings.SECOND_FACTOR_DEMO_EXEMPT = False
    return settings


def _password_login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _code(device: TOTPDevice, drift: int = 0) -> str:
    """The app's code now (``drift`` 1: the next step's, which the device also accepts;
    a code once used is refused, so a second login in the same 30 s needs the next one)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:06d}"


def _set_up(client: Client, user) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("second_factor_setup"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("second_factor_setup"), {"code": _code(device)})
    assert done.status_code == 200
    return device, list(done.context["codes"])


def test_staff_reach_nothing_before_the_second_factor(world, required):
    alice = _password_login("alice")
    response = alice.get(reverse("casework:caseload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_setup"))
    device, codes = _set_up(alice, world.alice)
    assert len(codes) == 10
    assert alice.get(reverse("casework:caseload")).status_code == 200


def test_the_next_login_asks_for_a_code(world, required):
    first = _password_login("alice")
    device, codes = _set_up(first, world.alice)
    again = _password_login("alice")
    response = again.get(reverse("casework:caseload"))
    assert response["Location"].startswith(reverse("second_factor"))
    # setting up a second app is refused before the first one is proven
    assert again.get(reverse("second_factor_setup")).status_code == 302
    wrong = again.post(reverse("second_factor"), {"code": "000000"})
    assert wrong.status_code == 200
    assert again.get(reverse("casework:caseload")).status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    right = again.post(reverse("second_factor"), {"code": _code(device, drift=1)})
    assert right.status_code == 302
    assert again.get(reverse("casework:caseload")).status_code == 200


def test_a_recovery_code_works_once(world, required):
    first = _password_login("alice")
    _device, codes = _set_up(first, world.alice)
    second = _password_login("alice")
    assert second.post(reverse("second_factor"), {"code": codes[0]}).status_code == 302
    assert second.get(reverse("casework:caseload")).status_code == 200
    third = _password_login("alice")
    assert third.post(reverse("second_factor"), {"code": codes[0]}).status_code == 200
    assert third.get(reverse("casework:caseload")).status_code == 302


def test_a_wrong_code_is_logged_as_refused(world, required):
    from werkplaats.core.models import AccessLog

    first = _password_login("alice")
    _set_up(first, world.alice)
    again = _password_login("alice")
    again.post(reverse("second_factor"), {"code": "123456"})
    assert AccessLog.objects.filter(
        actor_id=world.alice.pk, action="denied", object_type="second_factor"
    ).exists()


def test_clients_need_no_second_factor(world, required):
    klaas = _password_login("klaas")
    assert klaas.get(reverse("casework:me")).status_code == 200


def test_demo_personas_are_exempt_only_while_the_exemption_is_on(world, required):
    world.alice.email = "professional@demo.werkplaats.invalid"
    world.alice.save()
    assert _password_login("alice").get(reverse("casework:caseload")).status_code == 302
    required.SECOND_FACTOR_DEMO_EXEMPT = True
    assert _password_login("alice").get(reverse("casework:caseload")).status_code == 200


def test_network_members_cannot_log_in_with_a_password(world):
    response = Client().post(reverse("login"), {"username": "nina", "password": PASSWORD})
    assert response.status_code == 200
    assert "eenmalige link" in response.content.decode()


def test_network_members_do_not_see_the_programme(world):
    client = Client()
    client.force_login(world.nina)
    assert client.get(reverse("programme:map")).status_code == 403


def test_the_second_factor_is_on_by_default_outside_debug():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WERKPLAATS_", "DJANGO_"))}
    env.update(
        WERKPLAATS_SECRET_KEY="x" * 50,
        WERKPLAATS_FIELD_KEY="ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        WERKPLAATS_PSEUDONYM_KEY="p" * 40,
        DJANGO_SETTINGS_MODULE="werkplaats.config.settings",
    )
    code = (
        "from django.conf import settings;"
        "print(settings.SECOND_FACTOR_REQUIRED, settings.SECOND_FACTOR_DEMO_EXEMPT)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "False"]
