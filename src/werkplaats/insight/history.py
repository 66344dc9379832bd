"""Importing an organisation's history: tidy CSV or Parquet files, all or nothing.

``werkplaats import history DIR --organisation NAME`` reads ``clients``,
``trajectories`` (both required), ``contacts``, ``measurements`` and ``networks`` (each
``.csv`` or ``.parquet``) in the format of docs/insight.md. Every row is checked first;
when any row is rejected nothing is written and the report lists every rejected row with
its reason. Otherwise everything is written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction

from werkplaats.casework.models import (
    ActorKind,
    Client,
    Contact,
    Method,
    NetworkMember,
    NetworkSnapshot,
    TargetGroup,
    Trajectory,
    WorkingPrinciple,
)
from werkplaats.instruments.models import Instrument
from werkplaats.measurements.models import Informant
from werkplaats.measurements.services import AssessmentRecord, assessments_record_bulk
from werkplaats.partnership.models import Neighbourhood, Organisation, Role, User
from werkplaats.stats.definition import AnswerError, check_answer
from werkplaats.stats.scoring import completeness

FILES = ("clients", "trajectories", "contacts", "measurements", "networks")
REQUIRED = {
    "clients": ["client_ref", "birth_year", "language", "neighbourhood"],
    "trajectories": [
        "trajectory_ref",
        "client_ref",
        "professional",
        "team",
        "start",
        "end",
        "status",
        "target_groups",
        "method",
    ],
    "contacts": [
        "trajectory_ref",
        "date",
        "duration_minutes",
        "mode",
        "principles",
        "actors",
        "alliance_heard",
        "alliance_my_goals",
        "alliance_trust",
        "alliance_next",
    ],
    "measurements": [
        "trajectory_ref",
        "instrument",
        "informant",
        "wave",
        "wave_date",
        "item_id",
        "value",
    ],
    "networks": ["trajectory_ref", "date", "label", "relation", "formal", "closeness"],
}
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class HistoryImportError(ValueError):
    """Rows were rejected; nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.text())


@dataclass
class ImportReport:
    rejected: list[tuple[str, int, str]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)

    def reject(self, file: str, row: int, reason: str) -> None:
        self.rejected.append((file, row, reason))

    def text(self) -> str:
        if not self.rejected:
            made = ", ".join(f"{v} {k}" for k, v in self.created.items())
            return f"Imported: {made}."
        lines = [f"{len(self.rejected)} rows rejected; nothing was imported."]
        lines += [f"{f} row {r}: {why}" for f, r, why in self.rejected]
        return "\n".join(lines)


def read_table(directory: Path, name: str) -> pd.DataFrame | None:
    for suffix, reader in ((".csv", _read_csv), (".parquet", pd.read_parquet)):
        path = directory / f"{name}{suffix}"
        if path.exists():
            return reader(path)
    return None


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v).strip()


def _date(v: Any) -> dt.date:
    text = _text(v)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _int(v: Any, lo: int, hi: int, *, optional: bool = False) -> int | None:
    text = _text(v)
    if not text and optional:
        return None
    try:
        value = int(float(text))
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if not lo <= value <= hi:
        raise ValueError(f"{value} lies outside {lo}–{hi}")
    return value


def _codes(v: Any) -> list[str]:
    return [c.strip() for c in _text(v).split(";") if c.strip()]


def _new_pseudonyms(n: int) -> list[str]:
    taken = set(Client.objects.values_list("pseudonym", flat=True))
    out: list[str] = []
    while len(out) < n:
        code = "".join(secrets.choice(ALPHABET) for _ in range(8))
        p = f"{code[:4]}-{code[4:]}"
        if p not in taken:
            taken.add(p)
            out.append(p)
    return out


def import_history(directory: Path, organisation: str, *, dry_run: bool = False) -> ImportReport:
    """Check every row, then write everything or nothing; see the module docstring."""
    report = ImportReport()
    org = Organisation.objects.filter(name=organisation).first()
    if org is None:
        report.reject("-", 0, f"no organisation named {organisation!r}")
        raise HistoryImportError(report)
    tables: dict[str, pd.DataFrame] = {}
    for name in FILES:
        t = read_table(directory, name)
        if t is None:
            if name in ("clients", "trajectories"):
                report.reject(name, 0, f"{name}.csv or {name}.parquet is missing")
            continue
        missing = [c for c in REQUIRED[name] if c not in t.columns]
        if missing:
            report.reject(name, 0, f"columns missing: {', '.join(missing)}")
            continue
        tables[name] = t
    if report.rejected:
        raise HistoryImportError(report)

    hoods = {n.name: n for n in Neighbourhood.objects.all()}
    teams = {t.name: t for t in org.teams.all()}
    professionals = {
        u.username: u
        for u in User.objects.filter(
            memberships__organisation=org, memberships__role=Role.PROFESSIONAL
        )
    }
    groups = {g.code: g for g in TargetGroup.objects.all()}
    methods = {m.name: m for m in Method.objects.all()}
    principles = {p.code: p for p in WorkingPrinciple.objects.all()}
    actors = {a.code: a for a in ActorKind.objects.all()}
    instruments = {i.slug: i for i in Instrument.objects.all()}

    clients: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(tables["clients"].to_dict("records"), start=2):
        ref = _text(row["client_ref"])
        try:
            if not ref:
                raise ValueError("client_ref is empty")
            if ref in clients:
                raise ValueError(f"client_ref {ref!r} appears twice")
            hood = _text(row["neighbourhood"])
            if hood and hood not in hoods:
                raise ValueError(f"unknown neighbourhood {hood!r}")
            clients[ref] = {
                "birth_year": _int(row["birth_year"], 1900, dt.date.today().year, optional=True),
                "language": _text(row["language"])[:30],
                "neighbourhood": hoods.get(hood),
            }
        except ValueError as exc:
            report.reject("clients", n, str(exc))

    trajectories: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(tables["trajectories"].to_dict("records"), start=2):
        ref = _text(row["trajectory_ref"])
        try:
            if not ref or ref in trajectories:
                raise ValueError(f"trajectory_ref {ref!r} is empty or appears twice")
            if _text(row["client_ref"]) not in clients:
                raise ValueError(f"unknown client_ref {_text(row['client_ref'])!r}")
            user = professionals.get(_text(row["professional"]))
            if user is None:
                raise ValueError(
                    f"{_text(row['professional'])!r} is not a professional of {org.name}"
                )
            team = teams.get(_text(row["team"]))
            if team is None:
                raise ValueError(f"{_text(row['team'])!r} is not a team of {org.name}")
            start = _date(row["start"])
            end = _date(row["end"]) if _text(row["end"]) else None
            status = _text(row["status"]) or "open"
            if status not in Trajectory.Status.values:
                raise ValueError(f"status {status!r} is not one of {Trajectory.Status.values}")
            if end is not None and end < start:
                raise ValueError("end lies before start")
            if status == "closed" and end is None:
                raise ValueError("a closed trajectory needs an end date")
            codes = _codes(row["target_groups"])
            unknown = [c for c in codes if c not in groups]
            if unknown:
                raise ValueError(f"unknown target groups {unknown}")
            method = _text(row["method"])
            if method and method not in methods:
                raise ValueError(f"unknown method {method!r}")
            trajectories[ref] = {
                "client": _text(row["client_ref"]),
                "user": user,
                "team": team,
                "start": start,
                "end": end,
                "status": status,
                "groups": codes,
                "method": methods.get(method),
            }
        except ValueError as exc:
            report.reject("trajectories", n, str(exc))

    contacts: list[dict[str, Any]] = []
    for n, row in enumerate(tables.get("contacts", pd.DataFrame()).to_dict("records"), start=2):
        try:
            ref = _text(row["trajectory_ref"])
            if ref not in trajectories:
                raise ValueError(f"unknown trajectory_ref {ref!r}")
            mode = _text(row["mode"])
            if mode not in Contact.Mode.values:
                raise ValueError(f"mode {mode!r} is not one of {Contact.Mode.values}")
            ps, acts = _codes(row["principles"]), _codes(row["actors"])
            bad = [p for p in ps if p not in principles] + [a for a in acts if a not in actors]
            if bad:
                raise ValueError(f"unknown principles or actors {bad}")
            contacts.append(
                {
                    "ref": ref,
                    "date": _date(row["date"]),
                    "duration_minutes": _int(row["duration_minutes"], 1, 600),
                    "mode": mode,
                    "principles": ps,
                    "actors": acts,
                    **{
                        k: _int(row[k], 1, 5, optional=True)
                        for k in (
                            "alliance_heard",
                            "alliance_my_goals",
                            "alliance_trust",
                            "alliance_next",
                        )
                    },
                }
            )
        except ValueError as exc:
            report.reject("contacts", n, str(exc))

    answers: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for n, row in enumerate(tables.get("measurements", pd.DataFrame()).to_dict("records"), start=2):
        try:
            ref = _text(row["trajectory_ref"])
            if ref not in trajectories:
                raise ValueError(f"unknown trajectory_ref {ref!r}")
            slug = _text(row["instrument"])
            instrument = instruments.get(slug)
            if instrument is None:
                raise ValueError(f"unknown instrument {slug!r}")
            informant = _text(row["informant"])
            if informant not in Informant.values:
                raise ValueError(f"informant {informant!r} is not one of {Informant.values}")
            version = instrument.versions.filter(organisation__isnull=True).order_by("-pk").first()
            if version is None:
                raise ValueError(f"instrument {slug!r} has no version")
            try:
                value = check_answer(version.parsed, _text(row["item_id"]), _text(row["value"]))
            except AnswerError as exc:
                raise ValueError(str(exc)) from None
            key = (ref, slug, informant, _text(row["wave"]))
            entry = answers.setdefault(
                key,
                {
                    "date": _date(row["wave_date"]),
                    "answers": {},
                    "row": n,
                    "definition": version.parsed,
                },
            )
            entry["answers"][_text(row["item_id"])] = value
        except ValueError as exc:
            report.reject("measurements", n, str(exc))
    for (ref, slug, informant, wave), entry in answers.items():
        missing = completeness(entry["definition"], entry["answers"]).missing_required
        if missing:
            report.reject(
                "measurements",
                entry["row"],
                f"{ref} {slug} {informant} {wave}: required items unanswered: {missing}",
            )

    snapshots: dict[tuple[str, dt.date], list[dict[str, Any]]] = defaultdict(list)
    for n, row in enumerate(tables.get("networks", pd.DataFrame()).to_dict("records"), start=2):
        try:
            ref = _text(row["trajectory_ref"])
            if ref not in trajectories:
                raise ValueError(f"unknown trajectory_ref {ref!r}")
            relation = _text(row["relation"])
            if relation not in NetworkMember.Relation.values:
                raise ValueError(
                    f"relation {relation!r} is not one of {NetworkMember.Relation.values}"
                )
            snapshots[(ref, _date(row["date"]))].append(
                {
                    "label": _text(row["label"])[:60] or "?",
                    "relation": relation,
                    "formal": bool(_int(row["formal"], 0, 1)),
                    "closeness": _int(row["closeness"], 1, 3),
                }
            )
        except ValueError as exc:
            report.reject("networks", n, str(exc))

    if report.rejected:
        raise HistoryImportError(report)
    if dry_run:
        report.created = {
            "clients": len(clients),
            "trajectories": len(trajectories),
            "contacts": len(contacts),
            "assessments": len(answers),
            "network snapshots": len(snapshots),
        }
        return report
    try:
        _write(report, clients, trajectories, contacts, answers, snapshots)
    except ValidationError as exc:  # a rule only the database layer knows; nothing was kept
        report.reject("-", 0, "; ".join(exc.messages))
        raise HistoryImportError(report) from exc
    return report


@transaction.atomic
def _write(
    report: ImportReport,
    clients: dict[str, dict[str, Any]],
    trajectories: dict[str, dict[str, Any]],
    contacts: list[dict[str, Any]],
    answers: dict[tuple[str, str, str, str], dict[str, Any]],
    snapshots: dict[tuple[str, dt.date], list[dict[str, Any]]],
) -> None:
    made = Client.objects.bulk_create(
        [
            Client(pseudonym=p, **values)
            for p, values in zip(_new_pseudonyms(len(clients)), clients.values(), strict=True)
        ]
    )
    client_of = dict(zip(clients, made, strict=True))
    traj: dict[str, Trajectory] = {}
    for ref, t in trajectories.items():
        obj = Trajectory(
            client=client_of[t["client"]],
            lead_professional=t["user"],
            team=t["team"],
            start=t["start"],
            end=t["end"],
            status=t["status"],
            method=t["method"],
        )
        obj.full_clean()
        obj.save()
        obj.target_groups.set(TargetGroup.objects.filter(code__in=t["groups"]))
        traj[ref] = obj
    principles = {p.code: p for p in WorkingPrinciple.objects.all()}
    actors = {a.code: a for a in ActorKind.objects.all()}
    for c in contacts:
        owner = traj[c["ref"]]
        contact = Contact.objects.create(
            trajectory=owner,
            date=c["date"],
            duration_minutes=c["duration_minutes"],
            mode=c["mode"],
            alliance_heard=c["alliance_heard"],
            alliance_my_goals=c["alliance_my_goals"],
            alliance_trust=c["alliance_trust"],
            alliance_next=c["alliance_next"],
            recorded_by=owner.lead_professional,
        )
        contact.principles.set([principles[p] for p in c["principles"]])
        contact.actors.set([actors[a] for a in c["actors"]])
    assessments_record_bulk(
        [
            AssessmentRecord(
                trajectory=traj[ref],
                instrument=slug,
                informant=informant,
                wave=wave,
                wave_date=entry["date"],
                answers=entry["answers"],
            )
            for (ref, slug, informant, wave), entry in answers.items()
        ]
    )
    for (ref, date), members in snapshots.items():
        snap = NetworkSnapshot.objects.create(trajectory=traj[ref], date=date)
        NetworkMember.objects.bulk_create([NetworkMember(snapshot=snap, **m) for m in members])
    report.created = {
        "clients": len(made),
        "trajectories": len(traj),
        "contacts": len(contacts),
        "assessments": len(answers),
        "network snapshots": len(snapshots),
    }
