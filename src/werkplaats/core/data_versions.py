"""Data versions: figures computed from many rows, kept until one of their tables is written.

An aggregate page (the municipality's outcomes, the policy figures) reads tens of
thousands of rows to show a few dozen numbers, and those numbers change only when one of
the tables it reads is written to. :func:`kept` keeps such a figure in the shared cache
under the *versions* of the tables it reads; every write to one of those tables moves its
version on, so the next request computes the figure again::

    track(Trajectory, Client)                       # at start-up (an AppConfig.ready)
    rows = kept(f"figures:{ids}", [Trajectory, Client], compute)

**Every write counts, however it is made.** Every connection runs its statements through
:func:`_note_writes` (a Django execute wrapper): an ``INSERT``, ``UPDATE`` or ``DELETE`` on
a tracked table moves that table's version on in the same transaction, right after the
statement. That covers the ORM (``save``, ``update``, ``delete``, ``bulk_create``, many-to-
many changes), the bulk services' raw SQL and the admin; ``core.bulk.insert_rows`` reports
its PostgreSQL ``COPY`` itself (:func:`written`). A rolled-back write takes its version
change back with it; a committed one is visible to every web server and worker at the
same moment as the data, so a user never sees a figure from before their own write.
A write from outside the application (``psql``) is not seen: figures are kept at most
:data:`KEPT_SECONDS`.

**The key names everything the figure depends on**: the caller's key holds the scope of
the figure (e.g. the municipality, the language); this module adds the versions and the
database's identity (a random number from the migration that made the table), so a copy
of another database never reads this one's figures.

The version of a table is the sum over its rows in ``core_dataversion``: on PostgreSQL a
writer moves on a row no other transaction holds (``FOR UPDATE SKIP LOCKED``) or adds one,
so a long import holding one row never makes a professional's save wait; every committed
write raises the sum, so no two states share a key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.core.cache import caches
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created

T = TypeVar("T")

KEPT_SECONDS = 3600  # a kept figure is computed again after an hour at the latest
TABLE = "core_dataversion"
IDENTITY = "*"

# the tables some kept figure reads (db_table names), registered at start-up by track()
TRACKED: set[str] = set()

# INSERT OR IGNORE (SQLite's many-to-many add), INSERT … ON CONFLICT, UPDATE, DELETE
_WRITE = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.I
)
_MISSING = object()


def track(*tracked: type[models.Model] | str) -> None:
    """Count writes to these models' tables (call it where every process runs it: an app's
    ``ready``; a many-to-many field's table is its ``through`` model)."""
    for model in tracked:
        TRACKED.add(model if isinstance(model, str) else model._meta.db_table)


def _table_ready(connection: BaseDatabaseWrapper) -> bool:
    """Whether ``core_dataversion`` exists yet (not while the first migrations run)."""
    if getattr(connection, "_data_versions_ready", False):
        return True
    with connection.cursor() as cursor:
        ready = TABLE in connection.introspection.table_names(cursor)
    if ready:
        connection._data_versions_ready = True  # type: ignore[attr-defined]
    return ready


def _bump(connection: BaseDatabaseWrapper, table: str) -> None:
    if not _table_ready(connection):
        return  # the database is being made; nothing can have been kept from it
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {TABLE} SET version = version + 1 WHERE id = (SELECT id FROM {TABLE} "
                "WHERE table_name = %s ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)",
                [table],
            )
        else:  # one writer at a time
            cursor.execute(
                f"UPDATE {TABLE} SET version = version + 1 WHERE id = "
                f"(SELECT MIN(id) FROM {TABLE} WHERE table_name = %s)",
                [table],
            )
        if cursor.rowcount == 0:
            cursor.execute(
                f"INSERT INTO {TABLE} (table_name, version) VALUES (%s, 1)",
                [table],
            )


def written(model: type[models.Model], connection: BaseDatabaseWrapper | None = None) -> None:
    """Move the version of ``model``'s table on (for a write the wrapper cannot see)."""
    from django.db import connection as default

    table = model._meta.db_table
    if table in TRACKED:
        _bump(connection or default, table)


def _note_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    result = execute(sql, params, many, context)
    match = _WRITE.match(sql)  # fails at the first letter of a SELECT
    if match and match.group(1) in TRACKED:
        _bump(context["connection"], match.group(1))
    return result


def _install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if _note_writes not in connection.execute_wrappers:
        # first, so an execute_wrapper() block open at this moment pops its own on exit
        connection.execute_wrappers.insert(0, _note_writes)


def connect() -> None:
    """Watch every connection's writes (core's AppConfig.ready)."""
    from django.db import connections

    connection_created.connect(_install, dispatch_uid="werkplaats.core.data_versions")
    for connection in connections.all(initialized_only=True):
        _install(None, connection)


def versions(tables: Iterable[type[models.Model] | str]) -> str:
    """The state of these tables (and of the database itself) as a short text: it changes
    with every committed write to any of them."""
    from django.db import connection

    names = sorted({t if isinstance(t, str) else t._meta.db_table for t in tables} | {IDENTITY})
    missing = set(names) - TRACKED - {IDENTITY}
    if missing:
        raise ValueError(f"not tracked (data_versions.track): {', '.join(sorted(missing))}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT table_name, SUM(version) FROM {TABLE} WHERE table_name IN "
            f"({', '.join(['%s'] * len(names))}) GROUP BY table_name",
            names,
        )
        found = dict(cursor.fetchall())
    text = ";".join(f"{name}={found.get(name, 0)}" for name in names)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def kept(
    key: str,
    tables: Iterable[type[models.Model] | str],
    compute: Callable[[], T],
    *,
    seconds: int = KEPT_SECONDS,
) -> T:
    """``compute()``, or what it gave before for the same ``key`` while none of ``tables``
    was written to since (at most ``seconds`` ago).

    ``key`` must hold everything else the value depends on: whose figures (the scope the
    access check granted, never the user's own rights in general), the language. The
    versions are read before computing, so a value kept under them is never older than
    they are.
    """
    full = f"data:{key}:{versions(tables)}"
    shared = caches["shared"]
    found = shared.get(full, _MISSING)
    if found is not _MISSING:
        return cast(T, found)
    value = compute()
    shared.set(full, value, seconds)
    return value
