"""Fast bulk writes for services that write many rows at once (imports, generators).

``insert_rows`` writes rows of one model with COPY on PostgreSQL (psycopg's
``cursor.copy``) and ``executemany`` elsewhere, with primary keys reserved beforehand so
that the caller gets them back without a query per row. Values are given in the order of
the named fields; only fields that need it (dates, datetimes, JSON) go through the field's
``get_db_prep_save``, repeated values once. Fields not named get their default (``auto_now``
and ``auto_now_add`` fields: now).

Call these inside ``transaction.atomic``: on SQLite the configured ``IMMEDIATE``
transactions hold the write lock from the start, so keys read as ``MAX(id) + 1`` cannot be
taken by another writer; on PostgreSQL keys come from the table's sequence.

``optimize`` refreshes the planner's statistics after a large write (``ANALYZE`` on
PostgreSQL; a sampled ``ANALYZE`` of the tables, then ``PRAGMA optimize``, on SQLite).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

from werkplaats.core import data_versions

EXECUTEMANY_ROWS = 20_000
_SIMPLE = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.ForeignKey,
    models.IntegerField,
    models.OneToOneField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.SmallIntegerField,
    models.TextField,
)


def _converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    if type(field) in _SIMPLE:
        return None
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        key = tuple(value) if isinstance(value, list) else value
        try:
            return cache[key]
        except (KeyError, TypeError):
            prepared = field.get_db_prep_save(value, connection)
            try:
                cache[key] = prepared
            except TypeError:  # an unhashable value (a dict for JSON): not remembered
                pass
            return prepared

    return convert


def _default(field: models.Field[Any, Any]) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        value: Any = timezone.now()
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            value = value.date()
    else:
        value = field.get_default()
    return field.get_db_prep_save(value, connection)


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` new primary keys for ``model`` (inside a transaction; see the module docstring)."""
    if n <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, n],
            )
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX({pk}), 0) FROM {connection.ops.quote_name(table)}")
        top = int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            top = max(top, int(row[0]) if row else 0)
    return list(range(top + 1, top + 1 + n))


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ids: Sequence[int] | None = None,
) -> int:
    """Insert ``rows`` (values in the order of ``names``); return how many were written.

    With ``ids`` the rows get those primary keys (one per row, from :func:`reserve_ids`);
    without, the database assigns them.
    """
    opts = model._meta
    fields = [cast("models.Field[Any, Any]", opts.get_field(n)) for n in names]
    others = [f for f in opts.concrete_fields if f not in fields and not f.primary_key]
    tail = tuple(_default(f) for f in others)
    convert = [_converter(f) for f in fields]
    pk_field = opts.pk
    columns = [f.column for f in ([pk_field] if ids is not None else []) + fields + others]

    converting = [(i, c) for i, c in enumerate(convert) if c is not None]

    def prepared() -> Iterable[tuple[Any, ...]]:
        keys = iter(ids) if ids is not None else iter(())
        for row in rows:
            if converting:
                values = list(row)
                for i, c in converting:
                    values[i] = c(values[i])
                row = values
            if ids is not None:
                yield (next(keys), *row, *tail)
            else:
                yield (*row, *tail)

    quoted = ", ".join(connection.ops.quote_name(str(c)) for c in columns)
    table = connection.ops.quote_name(opts.db_table)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for values in prepared():
                    copy.write_row(values)
                    count += 1
            data_versions.written(model)  # COPY does not pass Django's execute wrappers
            return count
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple[Any, ...]] = []
        for values in prepared():
            batch.append(values)
            if len(batch) >= EXECUTEMANY_ROWS:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count  # on SQLite, explicit keys move the AUTOINCREMENT counter themselves


def optimize(models_: Iterable[type[models.Model]]) -> None:
    """Refresh the planner's statistics of these tables after a large write."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in models_:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        elif connection.vendor == "sqlite":
            # SQLite 3.40 (Debian 12) has no PRAGMA optimize=0x10000 (every table):
            # analyse the loaded tables themselves, sampled, then let optimize do the rest.
            cursor.execute("PRAGMA analysis_limit=1000")
            for model in models_:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            cursor.execute("PRAGMA optimize")


@contextmanager
def large_write(cache_mib: int = 128) -> Iterator[None]:
    """On SQLite, a larger page cache for the connection while a large write runs: the
    indexes of million-row tables then stay in memory instead of being re-read."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(cache_mib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
