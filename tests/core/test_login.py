"""Login with hashed passwords and throttling."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_and_home(world):
    client = Client()
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_password_is_hashed(world):
    assert world.alice.password.startswith("md5$")  # the test hasher; production: Django's
    assert "correct-horse-battery" not in world.alice.password


def _login(client, username, password, address="127.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def test_failures_for_a_username_slow_it_down_but_never_lock_it(world, settings):
    settings.LOGIN_FREE_ATTEMPTS = 3
    settings.LOGIN_MAX_DELAY_SECONDS = 300
    with time_machine.travel("2026-03-02 09:00", tick=False) as clock:
        for _ in range(3):
            assert _login(Client(), "alice", "wrong").status_code == 200
        # Now the next attempt waits 2 seconds: even the right password is not checked.
        response = _login(Client(), "alice", PASSWORD)
        assert response.status_code == 200
        assert "Wait 2 seconds" in response.content.decode() or "Wacht 2 seconden" in (
            response.content.decode()
        )
        clock.shift(3)
        assert _login(Client(), "alice", PASSWORD).status_code == 302
        # The success cleared the count.
        assert _login(Client(), "alice", "wrong").status_code == 200
        assert _login(Client(), "alice", PASSWORD).status_code == 302


def test_the_delay_grows_and_has_a_ceiling(settings):
    from werkplaats.partnership.login_throttle import wait_after

    settings.LOGIN_FREE_ATTEMPTS = 3
    settings.LOGIN_MAX_DELAY_SECONDS = 300
    assert [wait_after(n) for n in range(2, 12)] == [0, 2, 4, 8, 16, 32, 64, 128, 256, 300]


def test_nobody_can_lock_a_colleague_out_by_name_behind_the_proxy(world, settings):
    """Many wrong passwords for alice from one address behind the proxy: alice, from her
    own address, logs in with the right one after a few minutes, not an hour later."""
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.LOGIN_MAX_DELAY_SECONDS = 300
    with time_machine.travel("2026-03-02 09:00", tick=False) as clock:
        attacker = Client()
        for _ in range(25):
            _login(attacker, "alice", "wrong", address="10.0.0.2", forwarded="203.0.113.9")
            clock.shift(400)  # the attacker waits out every delay
        clock.shift(301)
        response = _login(Client(), "alice", PASSWORD, address="10.0.0.2", forwarded="198.51.100.7")
        assert response.status_code == 302


def test_one_address_is_locked_after_the_address_limit_whatever_the_usernames(world, settings):
    settings.AXES_FAILURE_LIMIT = 10
    for n in range(10):
        _login(Client(), f"guess{n}", "wrong", address="203.0.113.9")
    response = _login(Client(), "alice", PASSWORD, address="203.0.113.9")
    assert response.status_code == 429
    # Someone at another address is not affected.
    assert _login(Client(), "alice", PASSWORD, address="198.51.100.7").status_code == 302


def test_a_client_supplied_forwarded_header_does_not_dodge_the_address_limit(world, settings):
    """Without WERKPLAATS_CLIENT_IP_HEADER a client's own X-Forwarded-For is ignored."""
    settings.CLIENT_IP_HEADER = ""
    settings.AXES_FAILURE_LIMIT = 10
    for n in range(10):
        _login(Client(), f"guess{n}", "wrong", address="203.0.113.9", forwarded=f"10.9.9.{n}")
    response = _login(Client(), "alice", PASSWORD, address="203.0.113.9", forwarded="10.9.9.99")
    assert response.status_code == 429


def test_behind_the_proxy_the_limit_counts_the_client_not_the_proxy(world, settings):
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.AXES_FAILURE_LIMIT = 10
    for n in range(10):
        _login(Client(), f"guess{n}", "wrong", address="10.0.0.2", forwarded="203.0.113.9")
    assert (
        _login(
            Client(), "alice", PASSWORD, address="10.0.0.2", forwarded="198.51.100.7"
        ).status_code
        == 302
    )
    assert (
        _login(Client(), "bob", PASSWORD, address="10.0.0.2", forwarded="203.0.113.9").status_code
        == 429
    )


def test_dutch_is_the_default_language(world):
    html = Client().get(reverse("login")).content.decode()
    assert 'lang="nl"' in html and "Inloggen" in html
