"""Realistic history directories for ``werkplaats import history`` (bench, tests, recovery).

``write_history(directory, context, clients=1000, seed=1, fmt="csv")`` writes the seven
files of docs/insight.md ("Importing history") for one organisation: clients, their
trajectories (about one in seven clients has a second), contacts every two to six weeks,
Pearlin Mastery answers of client and professional at every wave of the default plan
(intake, m03, m06, …, closure) and the De Jong Gierveld scale of the client at intake,
network snapshots at intake and half-way, and consents (care for everyone; each study in
the context for about six in ten clients, a few withdrawn later). The same seed gives the
same files. About 65 rows per client: 20,000 clients make some 1.3 million rows.

Mastery has a planted effect that an analysis of the imported data can find again: the
client's latent mastery rises by ``MASTERY_GAIN_PER_YEAR`` (on the latent scale, SD 1) per
year in a trajectory, more with a strengths-based professional
(``STRENGTHS_EXTRA_PER_YEAR``); ``latent`` in the returned summary holds each client's
start value, so a second recovery test can compare what it estimates with the truth.

``context_from_database(organisation)`` reads the teams, professionals, neighbourhoods,
methods (those that keep the default plan) and studies of an organisation that exists, so
the files import without a rejected row. ``fmt`` is one of csv, parquet, xlsx, sav, dta;
``formats`` can set it per table (Excel holds at most 1,048,576 rows a sheet).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkplaats.insight.history.checks import REQUIRED

# The file format is the importer's: the same columns, in the same order (no waves file).
COLUMNS = {name: columns for name, columns in REQUIRED.items() if name != "waves"}
MASTERY_GAIN_PER_YEAR = 0.30
STRENGTHS_EXTRA_PER_YEAR = 0.25
PEARLIN_REVERSED = {"m1", "m2", "m3", "m5", "m7"}
LANGUAGES = ["Nederlands"] * 7 + ["Arabisch", "Turks", "Pools", "Engels", "Tigrinya"]
GROUPS = ["multi-problem-household", "frail-elderly", "young-adults", "debt"]
MODES = ["home_visit"] * 4 + ["office"] * 3 + ["phone"] * 2 + ["video", "outreach", "group"]
PRINCIPLES = [
    "facilitator",
    "generalist",
    "bridge-builder",
    "integral",
    "strengths-based",
    "in-the-neighbourhood",
    "outreach",
]
SECTORS = ["health", "housing", "debt", "income", "education", "justice", "police"]
RELATIONS = (
    ["family"] * 4
    + ["friend"] * 3
    + ["neighbour"] * 2
    + ["acquaintance", "volunteer", "professional"]
)
FIRST_NAMES = [
    "Ans",
    "Bram",
    "Cor",
    "Daan",
    "Els",
    "Fatima",
    "Gert",
    "Hanna",
    "Ivo",
    "Joke",
    "Karim",
    "Lies",
    "Mo",
    "Noor",
    "Otto",
    "Petra",
    "Rik",
    "Sanne",
    "Tom",
    "Yara",
]


@dataclass
class HistoryContext:
    """What the files refer to: names that exist in the target database."""

    organisation: str
    professionals: list[str]
    teams: list[str]
    neighbourhoods: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    studies: list[int] = field(default_factory=list)
    today: dt.date = dt.date(2025, 6, 30)


def context_from_database(organisation: str, today: dt.date | None = None) -> HistoryContext:
    """The context of an existing organisation (needs Django set up)."""
    from werkplaats.casework.models import Method
    from werkplaats.measurements.models import MethodSchedule
    from werkplaats.partnership.models import Neighbourhood, Organisation, Role, User
    from werkplaats.programme.models import StudyParticipation

    org = Organisation.objects.get(name=organisation)
    odd = {
        s.method_id
        for s in MethodSchedule.objects.all()
        if (s.intake, s.interval_months, s.closure) != (True, 3, True)
    }
    return HistoryContext(
        organisation=org.name,
        professionals=sorted(
            User.objects.filter(
                memberships__organisation=org, memberships__role=Role.PROFESSIONAL
            ).values_list("username", flat=True)
        ),
        teams=sorted(org.teams.values_list("name", flat=True)),
        neighbourhoods=sorted(Neighbourhood.objects.values_list("name", flat=True)),
        methods=sorted(Method.objects.exclude(pk__in=odd).values_list("name", flat=True)),
        studies=sorted(
            StudyParticipation.objects.filter(organisation=org).values_list("study_id", flat=True)
        ),
        today=today or dt.date.today(),
    )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Gen:
    def __init__(self, context: HistoryContext, seed: int) -> None:
        if not context.professionals or not context.teams:
            raise ValueError("the context needs at least one professional and one team")
        self.c = context
        self.r = random.Random(seed)
        self.style = {p: self.r.random() < 0.5 for p in context.professionals}  # strengths-based
        self.latent: dict[str, float] = {}

    def rows(self, clients: int) -> Iterator[tuple[str, list[Any]]]:
        r, c = self.r, self.c
        window = 730
        traj_no = 0
        for k in range(1, clients + 1):
            ref = f"K{k:06d}"
            hood = r.choice(c.neighbourhoods) if c.neighbourhoods and r.random() < 0.9 else ""
            birth = r.randint(1935, 2006) if r.random() < 0.97 else ""
            yield "clients", [ref, birth, r.choice(LANGUAGES), hood]
            latent = r.gauss(0, 1)
            self.latent[ref] = latent
            n_traj = 2 if r.random() < 0.15 else 1
            start = c.today - dt.timedelta(days=r.randint(20, window))
            first_start = start
            for _t in range(n_traj):
                traj_no += 1
                tref = f"T{traj_no:07d}"
                months = r.choice([3, 4, 6, 6, 8, 9, 12, 12, 15, 18])
                end: dt.date | None = _add_months(start, months)
                assert end is not None
                status = "closed"
                if end >= c.today:
                    end, status = None, ("paused" if r.random() < 0.05 else "open")
                prof = r.choice(c.professionals)
                groups = r.sample(GROUPS, k=1 if r.random() < 0.7 else 2)
                method = r.choice(c.methods) if c.methods and r.random() < 0.4 else ""
                yield (
                    "trajectories",
                    [
                        tref,
                        ref,
                        prof,
                        r.choice(c.teams),
                        start.isoformat(),
                        end.isoformat() if end else "",
                        status,
                        ";".join(groups),
                        method,
                    ],
                )
                last = end or c.today
                yield from self._contacts(tref, start, last, prof)
                yield from self._waves(tref, start, end, last, prof, latent)
                yield from self._network(tref, start, last)
                if end is None:
                    break
                start = end + dt.timedelta(days=r.randint(30, 200))
                if start >= c.today - dt.timedelta(days=10):
                    break
            yield "consents", [ref, "care", first_start.isoformat(), ""]
            for study in c.studies:
                if r.random() < 0.6:
                    given = first_start + dt.timedelta(days=r.randint(0, 30))
                    withdrawn = ""
                    if r.random() < 0.05 and given < c.today - dt.timedelta(days=40):
                        withdrawn = (given + dt.timedelta(days=r.randint(10, 30))).isoformat()
                    yield "consents", [ref, str(study), given.isoformat(), withdrawn]

    def _contacts(
        self, tref: str, start: dt.date, last: dt.date, prof: str
    ) -> Iterator[tuple[str, list[Any]]]:
        r = self.r
        day = start
        while day <= last:
            principles = r.sample(PRINCIPLES, k=r.randint(1, 3))
            if self.style[prof] and "strengths-based" not in principles and r.random() < 0.7:
                principles.append("strengths-based")
            actors = ["client"]
            if r.random() < 0.35:
                actors.append("informal-network")
            if r.random() < 0.3:
                actors.append(r.choice(SECTORS))
            checked = r.random() < 0.4
            alliance = [r.randint(3, 5) if checked else "" for _ in range(4)]
            yield (
                "contacts",
                [
                    tref,
                    day.isoformat(),
                    r.choice([15, 20, 30, 30, 45, 45, 60, 60, 90]),
                    r.choice(MODES),
                    ";".join(principles),
                    ";".join(actors),
                    *alliance,
                ],
            )
            day += dt.timedelta(days=r.randint(14, 45))

    def _pearlin(self, level: float, noise: float) -> list[tuple[str, int]]:
        out = []
        for i in range(1, 8):
            item = f"m{i}"
            v = 2.5 + 0.75 * level + self.r.gauss(0, noise)
            v = min(4, max(1, round(v)))
            out.append((item, 5 - v if item in PEARLIN_REVERSED else v))
        return out

    def _waves(
        self,
        tref: str,
        start: dt.date,
        end: dt.date | None,
        last: dt.date,
        prof: str,
        latent: float,
    ) -> Iterator[tuple[str, list[Any]]]:
        r = self.r
        waves = [("intake", start)]
        k = 1
        while True:
            due = _add_months(start, 3 * k)
            if (end is not None and due >= end) or due > self.c.today:
                break
            waves.append((f"m{3 * k:02d}", due))
            k += 1
        if end is not None:
            waves.append(("closure", end))
        gain = MASTERY_GAIN_PER_YEAR + (STRENGTHS_EXTRA_PER_YEAR if self.style[prof] else 0.0)
        for wave, due in waves:
            when = min(due + dt.timedelta(days=r.randint(0, 10)), last)
            level = latent + gain * (when - start).days / 365.25
            if r.random() < 0.85:  # the client answers most waves
                for item, value in self._pearlin(level, 0.6):
                    yield (
                        "measurements",
                        [tref, "pearlin-mastery", "client", wave, when.isoformat(), item, value],
                    )
            if r.random() < 0.9:
                for item, value in self._pearlin(level - 0.2, 0.7):
                    yield (
                        "measurements",
                        [
                            tref,
                            "pearlin-mastery",
                            "professional",
                            wave,
                            when.isoformat(),
                            item,
                            value,
                        ],
                    )
            if wave == "intake" and r.random() < 0.4:
                lonely = 1 / (1 + math.exp(latent))
                for item in ("lone3", "lone4", "lone7", "lone8", "lone9", "lone10"):
                    value = 1 + (r.random() < lonely) + (r.random() < lonely / 2)
                    yield (
                        "measurements",
                        [tref, "dejong-gierveld-6", "client", wave, when.isoformat(), item, value],
                    )

    def _network(self, tref: str, start: dt.date, last: dt.date) -> Iterator[tuple[str, list[Any]]]:
        r = self.r
        members = [(r.choice(FIRST_NAMES), r.choice(RELATIONS)) for _ in range(r.randint(2, 6))]
        moments = [start]
        if (last - start).days > 150:
            moments.append(start + (last - start) / 2)
        for n, day in enumerate(moments):
            if n and r.random() < 0.6:
                members.append((r.choice(FIRST_NAMES), r.choice(RELATIONS)))
            for label, relation in members:
                formal = 1 if relation == "professional" else 0
                yield (
                    "networks",
                    [tref, day.isoformat(), label, relation, formal, r.choice([1, 2, 2, 3])],
                )


def write_history(
    directory: Path,
    context: HistoryContext,
    *,
    clients: int = 1000,
    seed: int = 1,
    fmt: str = "csv",
    formats: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write the files; return rows per file and each client's latent start (``latent``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    chosen = {name: (formats or {}).get(name, fmt) for name in COLUMNS}
    gen = _Gen(context, seed)
    counts = dict.fromkeys(COLUMNS, 0)
    handles: dict[str, Any] = {}
    writers: dict[str, Any] = {}
    held: dict[str, list[list[Any]]] = {n: [] for n in COLUMNS if chosen[n] != "csv"}
    try:
        for name in COLUMNS:
            if chosen[name] == "csv":
                handles[name] = (directory / f"{name}.csv").open("w", newline="", encoding="utf-8")
                writers[name] = csv.writer(handles[name])
                writers[name].writerow(COLUMNS[name])
        for name, row in gen.rows(clients):
            counts[name] += 1
            if name in writers:
                writers[name].writerow(row)
            else:
                held[name].append(row)
    finally:
        for h in handles.values():
            h.close()
    for name, rows in held.items():
        _write_other(directory, name, chosen[name], rows)
    return {"rows": counts, "total": sum(counts.values()), "latent": gen.latent}


def _write_other(directory: Path, name: str, fmt: str, rows: list[list[Any]]) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=COLUMNS[name]).astype(str)
    path = directory / f"{name}.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    elif fmt in ("sav", "dta"):
        import pyreadstat

        writer = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta
        writer(frame, str(path))
    else:
        raise ValueError(f"unknown format {fmt!r}")
