"""Login with hashed passwords and throttling."""

import pytest
from django.test import Client
from django.urls import reverse

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


def test_lockout_after_repeated_failures(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert client.get(reverse("home")).status_code == 302  # still not logged in


def test_dutch_is_the_default_language(world):
    html = Client().get(reverse("login")).content.decode()
    assert 'lang="nl"' in html and "Inloggen" in html
