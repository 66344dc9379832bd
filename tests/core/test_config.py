"""Settings helpers fail loudly with a message that says what to set."""

import pytest

from werkplaats.config.env import (
    ConfigurationError,
    database_from_url,
    env_bool,
    env_int,
    env_str,
)


def test_missing_required_variable_names_it(monkeypatch):
    monkeypatch.delenv("WERKPLAATS_SOMETHING", raising=False)
    with pytest.raises(ConfigurationError, match="WERKPLAATS_SOMETHING"):
        env_str("WERKPLAATS_SOMETHING")


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_bool(monkeypatch, raw, value):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG") is value


def test_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ConfigurationError, match="true or false"):
        env_bool("X_FLAG")


def test_int_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("X_NUM", "five")
    with pytest.raises(ConfigurationError, match="whole number"):
        env_int("X_NUM", 1)


def test_database_url_is_parsed():
    db = database_from_url("postgres://wp:s%40cret@db.example:6543/werkplaats")
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "wp",
        "s@cret",
        "db.example",
        "6543",
        "werkplaats",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://x/y", "postgres://"), ("postgres://localhost", "names no database")],
)
def test_bad_database_url(url, message):
    with pytest.raises(ConfigurationError, match=message):
        database_from_url(url)


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(settings, db):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite-specific settings")
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 20000


def test_sqlite_keeps_its_connection_from_one_request_to_the_next(
    settings, tmp_path, django_db_blocker
):
    """Django closes a connection at the end of a request unless it may live longer
    (CONN_MAX_AGE): opening one per request read the schema and ran the pragmas again."""
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    configured = settings.DATABASES["default"]
    if not str(configured["ENGINE"]).endswith("sqlite3"):
        pytest.skip("SQLite-specific settings")
    conf = connections.configure_settings(
        {"default": {**configured, "NAME": str(tmp_path / "kept.sqlite3")}}
    )["default"]
    wrapper = DatabaseWrapper(conf, alias="kept")
    with django_db_blocker.unblock():
        wrapper.ensure_connection()
        opened = wrapper.connection
        wrapper.close_if_unusable_or_obsolete()  # what the end of every request calls
        assert wrapper.connection is opened
        with wrapper.cursor() as cursor:  # the pragmas of a new connection still hold
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
        wrapper.close()


def test_the_command_line_names_a_missing_key_in_both_languages_without_a_traceback():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("WERKPLAATS_", "DJANGO_"))}
    env["WERKPLAATS_DEBUG"] = "0"
    done = subprocess.run(
        [sys.executable, "-m", "werkplaats.cli", "manage", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Set the environment variable WERKPLAATS_SECRET_KEY" in done.stderr
    assert "Geef de omgevingsvariabele WERKPLAATS_SECRET_KEY een waarde" in done.stderr
