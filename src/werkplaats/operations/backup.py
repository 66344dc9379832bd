"""``werkplaats backup DIR`` and ``werkplaats restore DIR``.

A backup is a folder:

- ``database.sqlite3`` (SQLite's online backup API: one consistent copy while the
  application keeps writing) or ``database.pgdump`` (``pg_dump`` custom format, one
  snapshot; restore with ``pg_restore``);
- ``manifest.json``: when, from which engine and schema (the last migration per app),
  the row count of every table in the copy, and fingerprints of the two keys, so a
  restore can say that the configured keys are not the ones the data were written with.

The keys themselves are never written: a backup without ``WERKPLAATS_FIELD_KEY`` cannot
be read (identities stay encrypted), which is why it is kept apart (docs/deploy.md).
``restore`` writes into an empty database only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

FORMAT = "werkplaats.backup/1"


class BackupError(RuntimeError):
    """The backup or restore cannot be made; the message says why and what to do."""


def fingerprint(secret: str) -> str:
    """A short, one-way mark of a key: equal keys, equal marks; the key cannot be had back."""
    return hashlib.sha256(("werkplaats-key-fingerprint:" + secret).encode()).hexdigest()[:16]


def _key_marks() -> dict[str, str]:
    field_key = str(settings.FIELD_ENCRYPTION_KEY).split(",")[0].strip()
    return {
        "field_key": fingerprint(field_key),
        "pseudonym_key": fingerprint(str(settings.PSEUDONYM_KEY)),
    }


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    return env


def _table_counts_sqlite(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: db.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in sorted(names)}


def _table_counts_live() -> dict[str, int]:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
        counts = {}
        for name in sorted(n for n in names if not n.startswith("sqlite_")):
            cursor.execute(f'SELECT COUNT(*) FROM "{name}"')
            counts[name] = cursor.fetchone()[0]
    return counts


def _migrations_in(counts_source: Any) -> dict[str, str]:
    rows = counts_source("SELECT app, name FROM django_migrations ORDER BY id")
    last: dict[str, str] = {}
    for app, name in rows:
        last[app] = name
    return last


def backup(directory: Path) -> dict[str, Any]:
    """Write a consistent backup of the configured database to ``directory`` (new or empty)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty; name a new folder for each backup.")
    directory.mkdir(parents=True, exist_ok=True)
    engine = _engine()
    started = dt.datetime.now(dt.UTC)
    if engine == "sqlite":
        source = Path(str(settings.DATABASES["default"]["NAME"]))
        target = directory / "database.sqlite3"
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(target)
        try:
            # pages=-1: the whole database in one step, under one read transaction, so
            # writers committing meanwhile (WAL) are either wholly in the copy or not.
            src.backup(dst, pages=-1)
        finally:
            dst.close()
            src.close()
        counts = _table_counts_sqlite(target)
        with sqlite3.connect(target) as db:
            migrations = _migrations_in(lambda sql: db.execute(sql).fetchall())
    else:
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed (apt-get install postgresql-client).")
        target = directory / "database.pgdump"
        snapshot_counts = _pg_dump_with_counts(target)
        counts, migrations = snapshot_counts
    manifest = {
        "format": FORMAT,
        "created": started.isoformat(),
        "engine": engine,
        "file": target.name,
        "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
        "migrations": migrations,
        "tables": counts,
        "keys": _key_marks(),
        "settings": {
            "TIME_ZONE": settings.TIME_ZONE,
            "needs": ["WERKPLAATS_FIELD_KEY", "WERKPLAATS_PSEUDONYM_KEY", "WERKPLAATS_SECRET_KEY"],
        },
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _pg_dump_with_counts(target: Path) -> tuple[dict[str, int], dict[str, str]]:
    """pg_dump from an exported snapshot, and the row counts from that same snapshot."""
    import psycopg
    import psycopg.conninfo

    env = _pg_env()
    params = {
        key.lower(): str(value)
        for key, value in settings.DATABASES["default"].items()
        if key in ("HOST", "PORT", "USER", "PASSWORD") and value
    }
    params["dbname"] = str(settings.DATABASES["default"]["NAME"])
    with psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        done = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        names = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
            )
        ]
        counts = {
            n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0]  # type: ignore[index]
            for n in names
        }
        migrations = _migrations_in(lambda sql: conn.execute(sql).fetchall())
        conn.rollback()
    return counts, migrations


QUEUE_PREFIX = "huey_"  # the task queue's tables, made by any process that starts up


def _database_is_empty() -> bool:
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return not [n for n in names if not n.startswith(QUEUE_PREFIX)]


def _drop_queue_tables() -> None:
    """A fresh PostgreSQL database has the queue's (empty) tables already; the backup
    brings its own."""
    with connection.cursor() as cursor:
        for name in connection.introspection.table_names(cursor):
            if name.startswith(QUEUE_PREFIX):
                cursor.execute(f'DROP TABLE "{name}"')


def restore(directory: Path, *, ignore_keys: bool = False) -> dict[str, Any]:
    """Restore a backup folder into the configured database, which must be empty."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise BackupError(f"{directory} holds no manifest.json: not a Werkplaats backup.")
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    engine = _engine()
    if manifest["engine"] != engine:
        raise BackupError(
            f"This backup is of a {manifest['engine']} database; the configured database is "
            f"{engine}. Restore it into the same kind of database."
        )
    data = directory / manifest["file"]
    if hashlib.sha256(data.read_bytes()).hexdigest() != manifest["sha256"]:
        raise BackupError(f"{data.name} does not match its checksum: the backup is damaged.")
    marks = _key_marks()
    if not ignore_keys and marks != manifest["keys"]:
        wrong = [k for k in marks if marks[k] != manifest["keys"].get(k)]
        raise BackupError(
            "The configured keys are not the ones this backup was written with ("
            + ", ".join(wrong)
            + "): identities would not decrypt and study pseudonyms would change. Set "
            "WERKPLAATS_FIELD_KEY and WERKPLAATS_PSEUDONYM_KEY to the keys of the backed-up "
            "workplace (from where you keep them apart from the backups)."
        )
    if not _database_is_empty():
        raise BackupError(
            "The configured database is not empty. Restore into a new, empty database "
            "(SQLite: a new WERKPLAATS_SQLITE_PATH; PostgreSQL: createdb)."
        )
    if engine == "sqlite":
        connection.close()
        target = Path(str(settings.DATABASES["default"]["NAME"]))
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        src = sqlite3.connect(data)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=-1)
        finally:
            dst.close()
            src.close()
    else:
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed (apt-get install postgresql-client).")
        _drop_queue_tables()
        connection.close()
        env = _pg_env()
        done = subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={env['PGDATABASE']}",
                str(data),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    counts = _table_counts_live()
    differ = {
        name: (manifest["tables"].get(name), counts.get(name))
        for name in set(manifest["tables"]) | set(counts)
        if manifest["tables"].get(name) != counts.get(name)
    }
    if differ:
        raise BackupError(f"Restored row counts differ from the backup's: {differ}")
    return manifest
