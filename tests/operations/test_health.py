"""/healthz: what a load balancer and a monitor read, with nothing personal in it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from werkplaats.operations import health
from werkplaats.operations.tasks import beat

pytestmark = pytest.mark.django_db


def test_without_a_worker_it_serves_but_says_degraded(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "migrations": "ok",
        "worker": "never",
    }
    assert "no-store" in response["Cache-Control"]


def test_a_worker_heard_from_makes_it_ok(client):
    beat()
    assert client.get("/healthz").json()["status"] == "ok"


def test_a_worker_silent_too_long_is_stale(client, settings):
    settings.WERKPLAATS_WORKER_STALE_SECONDS = 300
    beat(now=timezone.now() - dt.timedelta(seconds=301))
    body = client.get("/healthz").json()
    assert (body["status"], body["worker"]) == ("degraded", "stale")


def test_pending_migrations_take_the_server_out(client, monkeypatch):
    monkeypatch.setattr(health, "_migrations_ok", type(health._migrations_ok)())
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("x", False)])
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"
    assert response.json()["status"] == "fail"


def test_an_unreachable_database_takes_the_server_out(client, monkeypatch):
    monkeypatch.setattr(health, "check_database", lambda: "unreachable")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_only_get(client):
    assert client.post("/healthz").status_code == 405
