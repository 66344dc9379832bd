"""Bulk writes of case content, for imports (``werkplaats import history``).

The same rules as the one-by-one services in ``services.py`` (ranges, choices, a closed
trajectory has an end), checked here for every row before anything is written, then
written with ``core.bulk`` (COPY on PostgreSQL). Callers run these inside one
``transaction.atomic`` and check their own rows first, so that a rejected row can be named
in the caller's terms (file and line); a ``ValidationError`` from here means a caller let
a bad row through. Access is logged once per call by the caller (one import, one entry),
not once per row.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection

from werkplaats.casework.models import (
    Client,
    Contact,
    NetworkMember,
    NetworkSnapshot,
    Trajectory,
)
from werkplaats.core.bulk import insert_rows, reserve_ids

PSEUDONYM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LANGUAGE_MAX = Client._meta.get_field("language").max_length or 30
LABEL_MAX = NetworkMember._meta.get_field("label").max_length or 60
MODES = frozenset(Contact.Mode.values)
STATUSES = frozenset(Trajectory.Status.values)
RELATIONS = frozenset(NetworkMember.Relation.values)
CLOSENESS = frozenset(NetworkMember.Closeness.values)


@dataclass(frozen=True, slots=True)
class ClientValues:
    birth_year: int | None
    language: str
    neighbourhood_id: int | None


@dataclass(frozen=True, slots=True)
class TrajectoryValues:
    client_id: int
    lead_professional_id: int
    team_id: int
    start: dt.date
    end: dt.date | None
    status: str
    method_id: int | None
    target_group_ids: tuple[int, ...] = ()


@dataclass(slots=True)
class ContactValues:  # not frozen: an import sets trajectory_id once the trajectory exists
    trajectory_id: int
    recorded_by_id: int
    date: dt.date
    duration_minutes: int
    mode: str
    principle_ids: tuple[int, ...] = ()
    actor_ids: tuple[int, ...] = ()
    alliance_heard: int | None = None
    alliance_my_goals: int | None = None
    alliance_trust: int | None = None
    alliance_next: int | None = None


@dataclass(frozen=True, slots=True)
class MemberValues:
    label: str
    relation: str
    formal: bool
    closeness: int


def _refuse(n: int, what: str, why: str) -> None:
    raise ValidationError(f"{what}[{n}]: {why}")


def new_pseudonyms(n: int) -> list[str]:
    """``n`` pseudonyms (``ABCD-2345``) that no client has yet."""
    taken = set(Client.objects.values_list("pseudonym", flat=True))
    out: list[str] = []
    while len(out) < n:
        code = "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(8))
        pseudonym = f"{code[:4]}-{code[4:]}"
        if pseudonym not in taken:
            taken.add(pseudonym)
            out.append(pseudonym)
    return out


def _check_client(n: int, c: ClientValues) -> None:
    if c.birth_year is not None and not 1900 <= c.birth_year <= dt.date.today().year:
        _refuse(n, "clients", f"birth year {c.birth_year}")
    if len(c.language) > LANGUAGE_MAX:
        _refuse(n, "clients", "language too long")


def clients_create_bulk(clients: Sequence[ClientValues]) -> list[int]:
    """Create clients with new pseudonyms; return their keys in the order given."""
    for n, c in enumerate(clients):
        _check_client(n, c)
    ids = reserve_ids(Client, len(clients))
    insert_rows(
        Client,
        ["pseudonym", "birth_year", "language", "neighbourhood"],
        (
            (p, c.birth_year, c.language, c.neighbourhood_id)
            for p, c in zip(new_pseudonyms(len(clients)), clients, strict=True)
        ),
        ids=ids,
    )
    return ids


def clients_update_bulk(updates: Sequence[tuple[int, ClientValues]]) -> None:
    for n, (_pk, c) in enumerate(updates):
        _check_client(n, c)
    table = connection.ops.quote_name(Client._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET birth_year = %s, language = %s, neighbourhood_id = %s "
            "WHERE id = %s",
            [(c.birth_year, c.language, c.neighbourhood_id, pk) for pk, c in updates],
        )


def _check_trajectory(n: int, t: TrajectoryValues) -> None:
    if t.status not in STATUSES:
        _refuse(n, "trajectories", f"status {t.status!r}")
    if t.end is not None and t.end < t.start:
        _refuse(n, "trajectories", "end lies before start")
    if t.status == Trajectory.Status.CLOSED and t.end is None:
        _refuse(n, "trajectories", "a closed trajectory needs an end date")


def _set_target_groups(pairs: Iterable[tuple[int, tuple[int, ...]]], *, replace: bool) -> None:
    through = Trajectory.target_groups.through
    pairs = list(pairs)
    if replace:
        keys = [pk for pk, _groups in pairs]
        for k in range(0, len(keys), 500):
            through.objects.filter(trajectory_id__in=keys[k : k + 500]).delete()
    insert_rows(
        through,
        ["trajectory", "targetgroup"],
        ((pk, g) for pk, groups in pairs for g in groups),
    )


def trajectories_create_bulk(trajectories: Sequence[TrajectoryValues]) -> list[int]:
    for n, t in enumerate(trajectories):
        _check_trajectory(n, t)
    ids = reserve_ids(Trajectory, len(trajectories))
    insert_rows(
        Trajectory,
        ["client", "lead_professional", "team", "start", "end", "status", "method"],
        (
            (
                t.client_id,
                t.lead_professional_id,
                t.team_id,
                t.start,
                t.end,
                t.status,
                t.method_id,
            )
            for t in trajectories
        ),
        ids=ids,
    )
    _set_target_groups(
        zip(ids, (t.target_group_ids for t in trajectories), strict=True), replace=False
    )
    return ids


def trajectories_update_bulk(updates: Sequence[tuple[int, TrajectoryValues]]) -> None:
    """Update imported trajectories; their version moves on, so an open edit form is refused."""
    for n, (_pk, t) in enumerate(updates):
        _check_trajectory(n, t)
    table = connection.ops.quote_name(Trajectory._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET lead_professional_id = %s, team_id = %s, start = %s, "
            '"end" = %s, status = %s, method_id = %s, version = version + 1 WHERE id = %s',
            [
                (t.lead_professional_id, t.team_id, t.start, t.end, t.status, t.method_id, pk)
                for pk, t in updates
            ],
        )
    _set_target_groups(((pk, t.target_group_ids) for pk, t in updates), replace=True)


def _check_contact(n: int, c: ContactValues) -> None:
    if c.mode not in MODES:
        _refuse(n, "contacts", f"mode {c.mode!r}")
    if not 1 <= c.duration_minutes <= 600:
        _refuse(n, "contacts", f"duration {c.duration_minutes}")
    for value in (c.alliance_heard, c.alliance_my_goals, c.alliance_trust, c.alliance_next):
        if value is not None and not 1 <= value <= 5:
            _refuse(n, "contacts", f"alliance check {value}")


def contacts_create_bulk(contacts: Sequence[ContactValues]) -> int:
    for n, c in enumerate(contacts):
        _check_contact(n, c)
    ids = reserve_ids(Contact, len(contacts))
    insert_rows(
        Contact,
        [
            "trajectory",
            "recorded_by",
            "date",
            "duration_minutes",
            "mode",
            "alliance_heard",
            "alliance_my_goals",
            "alliance_trust",
            "alliance_next",
        ],
        (
            (
                c.trajectory_id,
                c.recorded_by_id,
                c.date,
                c.duration_minutes,
                c.mode,
                c.alliance_heard,
                c.alliance_my_goals,
                c.alliance_trust,
                c.alliance_next,
            )
            for c in contacts
        ),
        ids=ids,
    )
    insert_rows(
        Contact.principles.through,
        ["contact", "workingprinciple"],
        ((pk, p) for pk, c in zip(ids, contacts, strict=True) for p in c.principle_ids),
    )
    insert_rows(
        Contact.actors.through,
        ["contact", "actorkind"],
        ((pk, a) for pk, c in zip(ids, contacts, strict=True) for a in c.actor_ids),
    )
    return len(ids)


def contacts_delete_on_dates(pairs: Iterable[tuple[int, dt.date]]) -> int:
    """Delete the contacts of these trajectories on these dates (an update replaces them)."""
    by_trajectory: dict[int, set[dt.date]] = {}
    for pk, day in pairs:
        by_trajectory.setdefault(pk, set()).add(day)
    deleted = 0
    for pk, days in by_trajectory.items():
        deleted += (
            Contact.objects.filter(trajectory_id=pk, date__in=days)
            .delete()[1]
            .get(Contact._meta.label, 0)
        )
    return deleted


def network_snapshots_write_bulk(
    snapshots: Sequence[tuple[int, dt.date, Sequence[MemberValues]]],
) -> int:
    """Write each trajectory's network as it stood on a date; an existing snapshot of that
    trajectory on that date is replaced (its members are the given ones)."""
    for n, (_pk, _day, members) in enumerate(snapshots):
        for m in members:
            if m.relation not in RELATIONS:
                _refuse(n, "networks", f"relation {m.relation!r}")
            if m.closeness not in CLOSENESS:
                _refuse(n, "networks", f"closeness {m.closeness}")
            if not m.label or len(m.label) > LABEL_MAX:
                _refuse(n, "networks", "label empty or too long")
    trajectories = sorted({pk for pk, _day, _members in snapshots})
    existing: dict[tuple[int, dt.date], int] = {}
    for k in range(0, len(trajectories), 500):
        for sid, tid, day in NetworkSnapshot.objects.filter(
            trajectory_id__in=trajectories[k : k + 500]
        ).values_list("pk", "trajectory_id", "date"):
            existing[(tid, day)] = sid
    keep = [existing[(pk, day)] for pk, day, _m in snapshots if (pk, day) in existing]
    for k in range(0, len(keep), 500):
        NetworkMember.objects.filter(snapshot_id__in=keep[k : k + 500]).delete()
    fresh = [(pk, day) for pk, day, _m in snapshots if (pk, day) not in existing]
    ids = reserve_ids(NetworkSnapshot, len(fresh))
    insert_rows(NetworkSnapshot, ["trajectory", "date"], fresh, ids=ids)
    existing.update(zip(fresh, ids, strict=True))
    insert_rows(
        NetworkMember,
        ["snapshot", "label", "relation", "formal", "closeness"],
        (
            (existing[(pk, day)], m.label, m.relation, m.formal, m.closeness)
            for pk, day, members in snapshots
            for m in members
        ),
    )
    return len(snapshots)
