"""The access log (NEN 7513): every read, change, export and refusal of personal data.

Each entry records who (user, role, organisation — kept when the user is deleted), on
whose behalf, which clients (one row per client, for lists and exports too; a long list
repeated exactly is written once and referred to, see ``SHARED_LIST``), what
(view, change, create, export, denied), which object, when, from where (IP address and a
hash of the session) and the outcome. Entries form a hash chain keyed with
``settings.AUDIT_KEY``: :func:`verify` (``werkplaats audit verify``) reports every entry
that was altered, inserted or deleted.

The request's address and session come from :class:`AuditMiddleware`, so services that
log need only the user.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.http import Http404, HttpRequest, HttpResponse

from werkplaats.core.models import AccessLog, AccessLogClient, AccessLogHead


@dataclass(frozen=True)
class _Where:
    ip: str | None
    session: str
    method: str
    # The actor's fields per user id, read once per request: a page that logs two or
    # three entries (the trajectory page, a contact saved) asked for the same memberships
    # each time.
    actors: dict[int, dict[str, Any]] = field(default_factory=dict, compare=False)


_where: contextvars.ContextVar[_Where | None] = contextvars.ContextVar("audit_where", default=None)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the trusted proxy's header when one is configured, else the peer.

    ``WERKPLAATS_CLIENT_IP_HEADER`` (e.g. ``X-Forwarded-For``) is set only when a reverse
    proxy that overwrites or appends that header stands in front; then the right-most
    address is the one the proxy saw (with ``WERKPLAATS_PROXY_COUNT`` proxies in a row, the
    one that many places from the right). Without the setting the header is ignored, so a
    client cannot choose its own address.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "")
        if value:
            # Each of the PROXY_COUNT proxies appends the address it saw: the client's is
            # that many places from the right; what stands left of it the client wrote.
            parts = [part.strip() for part in value.split(",")]
            count = max(1, int(getattr(settings, "PROXY_COUNT", 1)))
            return parts[-count] if len(parts) >= count else (parts[0] or None)
    return request.META.get("REMOTE_ADDR") or None


def _session_hash(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None) if session is not None else None
    if not key:
        return ""
    return hashlib.sha256(f"session:{key}".encode()).hexdigest()[:16]


class AuditMiddleware:
    """Gives the log the request's address and session; logs refusals raised by views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _where.set(_Where(client_ip(request), "", request.method or "GET"))
        try:
            return self.get_response(request)
        finally:
            _where.reset(token)

    def process_view(self, request: HttpRequest, *args: object) -> None:
        # The session is known only after the session middleware ran.
        before = _where.get()
        _where.set(
            _Where(
                client_ip(request),
                _session_hash(request),
                request.method or "GET",
                before.actors if before is not None else {},
            )
        )

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied | Http404):
            match = request.resolver_match
            log_denied(
                getattr(request, "user", None),
                match.view_name if match else "url",
                ",".join(f"{k}={v}" for k, v in sorted(match.kwargs.items())) if match else "",
                f"{request.method} {request.path}",
            )


def _actor(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def _actor_fields(user: Any) -> dict[str, Any]:
    if user is None:
        return {"actor_id": None, "actor_name": "", "actor_role": "", "actor_organisation": ""}
    # (role, organisation name, team name): the user's own cached rows when it has them
    # (partnership's User, whose menu already read them for this request), else a query.
    rows_of = getattr(user, "membership_rows", None)
    rows: list[tuple[str, str, str | None]] = (
        rows_of()
        if callable(rows_of)
        else list(
            user.memberships.order_by("role", "pk").values_list(
                "role", "organisation__name", "team__name"
            )
        )
    )
    full = user.get_full_name()
    return {
        "actor_id": user.pk,
        "actor_name": (f"{full} ({user.username})" if full else user.username)[:300],
        "actor_role": ",".join(sorted({role for role, _o, _t in rows}))[:200],
        "actor_organisation": "; ".join(
            sorted({f"{org} / {team}" if team else org for _r, org, team in rows})
        )[:300],
    }


def _clients_of(obj: models.Model) -> list[int]:
    """The client(s) an object belongs to, following the usual links (none for other data)."""
    if obj._meta.label_lower == "casework.client":
        return [int(obj.pk)]
    for attr in ("client_id", "teller_client_id"):
        value = getattr(obj, attr, None)
        if value is not None:
            return [int(value)]
    for link in ("trajectory", "source", "document", "assessment", "goal", "snapshot", "check"):
        field = next((f for f in obj._meta.fields if f.name == link), None)
        if field is not None and getattr(obj, f"{link}_id", None) is not None:
            return _clients_of(getattr(obj, link))
    return []


def _digest(entry: AccessLog, client_ids: list[int]) -> str:
    content = [
        entry.seq,
        entry.at.astimezone(UTC).isoformat(),
        entry.actor_id,
        entry.actor_name,
        entry.actor_role,
        entry.actor_organisation,
        entry.on_behalf_of,
        entry.action,
        entry.object_type,
        entry.object_id,
        entry.detail,
        entry.client_count,
        entry.ip,
        entry.session,
        entry.outcome,
        client_ids,
        entry.prev_hash,
    ]
    message = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(settings.AUDIT_KEY.encode(), message, hashlib.sha256).hexdigest()


def record(
    user: Any,
    action: str,
    object_type: str,
    object_id: str,
    *,
    detail: str = "",
    clients: Iterable[int] = (),
    on_behalf_of: str = "",
    outcome: str = AccessLog.Outcome.OK,
) -> AccessLog:
    """Append one entry to the chain (serialised by a lock on the chain's head)."""
    actor = _actor(user)
    where = _where.get() or _Where(None, "", "")
    if action == AccessLog.Action.CHANGE and where.method in {"GET", "HEAD"}:
        # Opening an edit form shows the data; only a submitted form changes it.
        action = AccessLog.Action.VIEW
        detail = f"edit form {detail}".strip()
    client_ids = sorted({int(c) for c in clients})
    if actor is None:
        fields = _actor_fields(None)
    else:
        if actor.pk not in where.actors:
            where.actors[actor.pk] = _actor_fields(actor)
        fields = where.actors[actor.pk]
    db = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic():
        seq, prev_hash = _lock_head(db)
        entry = AccessLog(
            seq=seq + 1,
            user=actor,
            **fields,
            on_behalf_of=on_behalf_of[:300],
            action=action,
            object_type=object_type[:60],
            object_id=object_id[:100],
            detail=detail[:200],
            client_count=len(client_ids),
            ip=where.ip,
            session=where.session,
            outcome=outcome,
            prev_hash=prev_hash,
        )
        if len(client_ids) >= SHARED_LIST:
            entry.client_set = _client_set(client_ids)
            entry.clients_as = (
                AccessLog.objects.filter(client_set=entry.client_set, clients_as__isnull=True)
                .order_by("seq")
                .first()
            )
        entry.hash = _digest(entry, client_ids)
        _insert(db, entry)
        if entry.clients_as is None:
            _write_clients(entry.pk, client_ids)
        _move_head(db, entry)
    return entry


# The statements of an entry's append, written once per process from the models' fields:
# the ORM spent more on building an INSERT, a locked read and an UPDATE than the database
# on running them (about 1 ms of each page that shows personal data, bench/README.md).
def _statements(db: Any) -> dict[str, str]:
    """The append's statements for this database, written once per process."""
    found = _STATEMENTS.get(db.vendor)
    if found is None:
        quote = db.ops.quote_name
        head = quote(AccessLogHead._meta.db_table)
        columns = ", ".join(quote(f.column) for f in _ENTRY_FIELDS)
        marks = ", ".join(["%s"] * len(_ENTRY_FIELDS))
        insert = f"INSERT INTO {quote(AccessLog._meta.db_table)} ({columns}) VALUES ({marks})"
        if db.features.can_return_columns_from_insert:
            insert += f" RETURNING {quote(AccessLog._meta.pk.column)}"
        lock = " FOR UPDATE" if db.features.has_select_for_update else ""
        found = {
            "insert": insert,
            # On SQLite the transaction itself holds the write lock (BEGIN IMMEDIATE).
            "lock_head": f"SELECT seq, hash FROM {head} WHERE id = 1{lock}",
            "move_head": f"UPDATE {head} SET seq = %s, hash = %s WHERE id = 1",
        }
        _STATEMENTS[db.vendor] = found
    return found


_STATEMENTS: dict[str, dict[str, str]] = {}
_ENTRY_FIELDS = [f for f in AccessLog._meta.concrete_fields if not f.primary_key]


def _lock_head(db: Any) -> tuple[int, str]:
    """The chain's last seq and hash, its row locked until the transaction ends."""
    with db.cursor() as cursor:
        cursor.execute(_statements(db)["lock_head"])
        row = cursor.fetchone()
    if row is None:  # an empty database whose migration's head row was removed (a flush)
        head, _created = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
        return head.seq, head.hash
    return int(row[0]), str(row[1])


def _move_head(db: Any, entry: AccessLog) -> None:
    with db.cursor() as cursor:
        cursor.execute(_statements(db)["move_head"], [entry.seq, entry.hash])


def _insert(db: Any, entry: AccessLog) -> None:
    """One INSERT of the entry, each value prepared by its field as ``save()`` would."""
    values = [f.get_db_prep_save(f.pre_save(entry, True), db) for f in _ENTRY_FIELDS]
    with db.cursor() as cursor:
        cursor.execute(_statements(db)["insert"], values)
        entry.pk = (
            cursor.fetchone()[0]
            if db.features.can_return_columns_from_insert
            else (cursor.lastrowid)
        )
    entry._state.adding = False
    entry._state.db = db.alias


# A list of at least this many clients is written once and referred to by later entries
# naming the same clients: a study report page names every consenting client (156,727 at
# 200,000 clients), and writing their rows on every view took 1 s of CPU and 3-7 s.
SHARED_LIST = 1000


def _client_set(client_ids: list[int]) -> str:
    """The SHA-256 of a sorted list of client ids: equal lists, equal sets."""
    return hashlib.sha256(json.dumps(client_ids, separators=(",", ":")).encode()).hexdigest()


def _write_clients(entry_id: int, client_ids: list[int]) -> None:
    """One row per client, written without a model object per row.

    A study's report names every consenting client, thousands of rows for one read;
    ``bulk_create`` spent 1.4 s of the report page building and compiling them (20,000
    clients). PostgreSQL takes the rows by COPY, SQLite from one JSON array (``json_each``).
    """
    if not client_ids:
        return
    table = connection.ops.quote_name(AccessLogClient._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} (entry_id, client_id) FROM STDIN") as copy:
                for client_id in client_ids:
                    copy.write_row((entry_id, client_id))
        else:
            cursor.execute(
                f"INSERT INTO {table} (entry_id, client_id) SELECT %s, value FROM json_each(%s)",
                [entry_id, json.dumps(client_ids)],
            )


def log_access(
    user: Any,
    action: str,
    obj: models.Model,
    detail: str = "",
    *,
    clients: Iterable[int] | None = None,
    on_behalf_of: str = "",
) -> AccessLog:
    """Log one read or change of ``obj``; its client is found from the object's links."""
    return record(
        user,
        action,
        obj._meta.label_lower,
        str(obj.pk),
        detail=detail,
        clients=_clients_of(obj) if clients is None else clients,
        on_behalf_of=on_behalf_of,
    )


def log_list_access(
    user: Any, model: type[models.Model], detail: str, *, clients: Iterable[int]
) -> AccessLog:
    """Log that a list was shown, naming every client in it."""
    return record(
        user,
        AccessLog.Action.VIEW,
        model._meta.label_lower,
        "list",
        detail=detail,
        clients=clients,
    )


def log_denied(user: Any, what: str, object_id: str, detail: str = "") -> AccessLog:
    """Log a refused attempt (a 403, or a 404 for an object outside the user's reach)."""
    return record(
        user,
        AccessLog.Action.DENIED,
        what,
        object_id,
        detail=detail,
        outcome=AccessLog.Outcome.DENIED,
    )


@dataclass(frozen=True)
class Problem:
    seq: int
    what: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.what}"


def verify(batch_size: int = 2000) -> list[Problem]:
    """Check the whole chain: every entry's hash, every link, no gaps, the head."""
    problems: list[Problem] = []
    expected_prev = ""
    expected_seq = 1
    last_seq = 0
    after = 0
    shared: dict[int, list[int]] = {}  # the client lists that later entries refer to
    while True:
        chunk = list(AccessLog.objects.filter(seq__gt=after).order_by("seq")[:batch_size])
        if not chunk:
            break
        clients_by_entry: dict[int, list[int]] = {}
        for entry_id, client_id in AccessLogClient.objects.filter(
            entry_id__in=[e.pk for e in chunk]
        ).values_list("entry_id", "client_id"):
            clients_by_entry.setdefault(entry_id, []).append(client_id)
        for entry in chunk:  # an entry naming the clients of an earlier one
            if entry.clients_as_id is not None:
                if entry.clients_as_id not in shared:
                    holder = AccessLog(pk=entry.clients_as_id)
                    shared[entry.clients_as_id] = holder.client_ids()
                clients_by_entry[entry.pk] = shared[entry.clients_as_id]
        for entry in chunk:
            if entry.seq != expected_seq:
                problems.append(
                    Problem(entry.seq, f"entries {expected_seq}-{entry.seq - 1} are missing")
                )
            if entry.prev_hash != expected_prev:
                problems.append(Problem(entry.seq, "does not follow the entry before it"))
            digest = _digest(entry, sorted(clients_by_entry.get(entry.pk, [])))
            if not hmac.compare_digest(digest, entry.hash):
                problems.append(Problem(entry.seq, "its content was changed after it was written"))
            expected_prev = entry.hash
            expected_seq = entry.seq + 1
            last_seq = entry.seq
        after = chunk[-1].seq
    head = AccessLogHead.objects.filter(pk=1).first()
    head_seq = head.seq if head else 0
    head_hash = head.hash if head else ""
    if head_seq != last_seq or head_hash != expected_prev:
        problems.append(
            Problem(head_seq, f"the chain ends at entry {last_seq}, its head says {head_seq}")
        )
    return problems


def accesses_of_client(
    client_id: int, *, exclude_user_id: int | None = None, limit: int = 1000
) -> list[AccessLog]:
    """The newest ``limit`` entries that touched this client's data (for 'who looked')."""
    listing = AccessLog.objects.filter(clients__client_id=client_id).values("pk")
    entries = AccessLog.objects.filter(
        models.Q(pk__in=listing) | models.Q(clients_as__in=listing)
    ).order_by("-seq")
    if exclude_user_id is not None:
        entries = entries.exclude(actor_id=exclude_user_id)
    return list(
        entries.only(
            "seq", "at", "actor_name", "actor_role", "actor_organisation", "action", "object_type"
        )[:limit]
    )
