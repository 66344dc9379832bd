"""Checks for /healthz: is the database reachable, is the schema current, is a worker alive.

Nothing here reads personal data; the answer names only what is wrong.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

_migrations_ok = threading.Event()  # once current, stays current until the next restart


@dataclass
class Health:
    database: str  # ok | unreachable
    migrations: str  # ok | pending | unknown
    worker: str  # ok | stale | never

    @property
    def serving(self) -> bool:
        """Whether this web server can answer requests (what a load balancer needs)."""
        return self.database == "ok" and self.migrations == "ok"

    @property
    def status(self) -> str:
        if not self.serving:
            return "fail"
        return "ok" if self.worker == "ok" else "degraded"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unreachable"
    return "ok"


def check_migrations() -> str:
    if _migrations_ok.is_set():
        return "ok"
    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "unknown"
    if plan:
        return "pending"
    _migrations_ok.set()
    return "ok"


def check_worker(now: dt.datetime | None = None) -> str:
    from werkplaats.operations.models import WorkerHeartbeat

    try:
        last = (
            WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        )
    except DatabaseError:
        return "never"
    if last is None:
        return "never"
    limit = dt.timedelta(seconds=settings.WERKPLAATS_WORKER_STALE_SECONDS)
    return "ok" if (now or timezone.now()) - last <= limit else "stale"


def health() -> Health:
    database = check_database()
    if database != "ok":
        return Health(database, "unknown", "never")
    return Health(database, check_migrations(), check_worker())
