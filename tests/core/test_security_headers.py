"""Production headers, the request-size cap, session lifetimes and `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _login(username: str) -> Client:
    client = Client()
    assert (
        client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def test_pages_for_a_logged_in_user_are_not_stored(world):
    response = _login("alice").get(reverse("casework:caseload"))
    assert "no-store" in response["Cache-Control"]


def test_downloads_are_not_stored(world):
    response = _login("klaas").get(reverse("casework:me_data"))
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_every_answer_has_a_permissions_policy(world):
    response = Client().get(reverse("login"))
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_a_request_over_the_cap_is_refused_before_reading(world, settings):
    settings.MAX_REQUEST_BYTES = 1000
    response = Client().post(
        reverse("login"), data=b"x" * 2000, content_type="application/octet-stream"
    )
    assert response.status_code == 413


def test_the_session_ends_after_20_idle_minutes(world, settings):
    assert settings.SESSION_IDLE_SECONDS == 20 * 60
    client = _login("alice")
    assert client.get(reverse("casework:caseload")).status_code == 200
    session = client.session
    session["seen_at"] = int(time.time()) - 21 * 60
    session.save()
    response = client.get(reverse("casework:caseload"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("casework:caseload")).status_code == 302  # logged out


def test_the_session_ends_at_its_absolute_lifetime_however_busy(world, settings):
    client = _login("alice")
    client.get(reverse("casework:caseload"))
    session = client.session
    session["started_at"] = int(time.time()) - settings.SESSION_COOKIE_AGE - 60
    session.save()
    assert client.get(reverse("casework:caseload")).status_code == 302


def test_the_session_cookie_ends_with_the_browser(world, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    client = Client()
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["max-age"] and not cookie["expires"]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WERKPLAATS_", "DJANGO_"))}
    env.update(
        WERKPLAATS_SECRET_KEY="r8-Zp!q2vLw#9sT0yXc4@bN6mK1jH7gF3dS5aQe2Ru8Iy4Wo6Pl0Kj3Hg9Fd1",
        WERKPLAATS_FIELD_KEY="ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        WERKPLAATS_PSEUDONYM_KEY="a9Vd2kLq7Xw3Zr8Tn5Bm1Hc6Gf4Js0Ye",
        WERKPLAATS_ALLOWED_HOSTS="werkplaats.example.org",
        WERKPLAATS_DATA_DIR=str(tmp_path),
    )
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "werkplaats.cli",
            "manage",
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
