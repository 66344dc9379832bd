#!/usr/bin/env python3
"""Benchmark instrument exchange and answers import: seconds and peak memory per step.

    .venv/bin/python bench/instrument_import.py                 # 2,000 fields, 10,000 records
    .venv/bin/python bench/instrument_import.py --fields 500 2000 --records 1000 10000

Definitions: a generated REDCap data dictionary of N fields (radio, checkbox, dropdown,
integer with bounds, date, text, notes, calc; one field in five with branching logic),
read, checked (``parse_definition``) and written to REDCap, XLSForm (.xlsx) and FHIR, and
each of those read back. Answers: ``import redcap`` of R records (each record a row of a
40-field form plus a repeating-instrument row) against a fresh temporary SQLite database,
all in one transaction, as ``werkplaats import redcap`` does.

Time is wall-clock (``time.perf_counter``) of a run without memory tracing; memory is the
peak of Python allocations during the step (``tracemalloc``, a second run), and for the
answers import the peak resident size of its own process (``ru_maxrss``). ``uptime``
is printed beside the figures: other work on the machine changes them.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

HEADER = (
    "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,"
    '"Choices, Calculations, OR Slider Labels",Field Note,'
    "Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,"
    "Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,"
    "Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation"
)


def dictionary(fields: int, forms: int = 1) -> bytes:
    """A REDCap data dictionary with ``fields`` fields spread over ``forms`` forms."""
    rows = [HEADER, "record_id,form_1,,text,Record ID,,,,,,,,,,,,,"]
    for n in range(1, fields):
        form = f"form_{1 + n * forms // fields}"
        kind = n % 8
        branching = f"[f{n - 1}] <> ''" if n % 5 == 0 else ""
        section = f"Part {n // 100}" if n % 100 == 1 else ""
        if kind == 0:
            cells = ("radio", f"Question {n}", "1, Never | 2, Sometimes | 3, Often | 4, Always", "")
        elif kind == 1:
            cells = ("checkbox", f"Which apply {n}", "a, First | b, Second | c, Third", "")
        elif kind == 2:
            cells = ("dropdown", f"Pick {n}", "nl, Netherlands | be, Belgium | de, Germany", "")
        elif kind == 3:
            cells = ("text", f"Count {n}", "", "integer")
        elif kind == 4:
            cells = ("text", f"Date {n}", "", "date_ymd")
        elif kind == 5:
            cells = ("notes", f"Say more {n}", "", "")
        elif kind == 6:
            cells = ("yesno", f"Yes or no {n}", "", "")
        else:
            cells = ("calc", f"Sum {n}", f"[f{n - 7}] + 1", "")
        low, high = ("0", "100") if cells[3] == "integer" else ("", "")
        rows.append(
            f'f{n},{form},{section},{cells[0]},{cells[1]},"{cells[2]}",,{cells[3]},{low},{high},,'
            f'"{branching}",,,,,,'
        )
    return ("\n".join(rows) + "\n").encode()


def records(count: int) -> tuple[bytes, bytes]:
    """A 40-field dictionary with a repeating form, and ``count`` records for it."""
    fields = 40
    head = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    head += [f"f{n}" if n % 8 != 1 else f"f{n}___{c}" for n in range(1, fields) for c in "abc"][:0]
    columns: list[str] = []
    for n in range(1, fields):
        if n % 8 == 1:
            columns += [f"f{n}___a", f"f{n}___b", f"f{n}___c"]
        elif n % 8 != 7:
            columns.append(f"f{n}")
    values = {0: "2", 2: "nl", 3: "17", 4: "2024-03-01", 5: "fine", 6: "1"}
    lines = [",".join(head + columns + ["form_1_complete"])]
    for r in range(1, count + 1):
        cells = []
        for column in columns:
            if "___" in column:
                cells.append("1" if column.endswith("a") else "0")
            else:
                cells.append(values[int(column[1:]) % 8])
        lines.append(",".join([str(r), "", ""] + cells + ["2"]))
    return dictionary(fields), ("\n".join(lines) + "\n").encode()


def measure(step: Callable[[], Any]) -> tuple[float, float, Any]:
    """(seconds, peak MiB of Python allocations, result) of one step."""
    began = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - began
    tracemalloc.start()
    step()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, result


def definitions(fields: int) -> list[tuple[str, float, float, str]]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from werkplaats.instruments import formats
    from werkplaats.stats.definition import parse_definition

    content = dictionary(fields)
    rows: list[tuple[str, float, float, str]] = []
    seconds, peak, result = measure(lambda: formats.read(content, "redcap", language="en"))
    rows.append(
        (
            f"read REDCap dictionary ({len(content) // 1024} KiB)",
            seconds,
            peak,
            f"{len(result.losses)} losses",
        )
    )
    first: dict[str, Any] = result.definitions[0]
    seconds, peak, definition = measure(lambda: parse_definition(first))
    rows.append(("check the definition", seconds, peak, f"{len(definition.items)} items"))
    for fmt in ("redcap", "xlsform-xlsx", "fhir"):

        def write(fmt: str = fmt) -> Any:
            return formats.write(definition, fmt, "en")

        seconds, peak, out = measure(write)
        rows.append(
            (
                f"write {fmt}",
                seconds,
                peak,
                f"{len(out.content) // 1024} KiB, {len(out.losses)} losses",
            )
        )

        def read(fmt: str = fmt, content: bytes = out.content) -> Any:
            return formats.read(content, fmt, language="en")

        seconds, peak, back = measure(read)
        items = sum(len(d["items"]) for d in back.definitions)
        rows.append((f"read {fmt} back", seconds, peak, f"{items} items"))
    return rows


def child(count: int, profile: bool = False) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from werkplaats.measurements.answers_import import redcap_import
    from werkplaats.partnership.models import Membership, Organisation, Role, Team, User

    organisation = Organisation.objects.create(name="Bench", kind="practice")
    team = Team.objects.create(organisation=organisation, name="Team")
    user = User.objects.create_user("bench", password=None)
    Membership.objects.create(
        user=user, organisation=organisation, role=Role.PROFESSIONAL, team=team
    )
    dictionary_bytes, records_bytes = records(count)

    def run() -> Any:
        return redcap_import(
            dictionary=dictionary_bytes, records=records_bytes, organisation=organisation, user=user
        )

    began = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        report = prof.runcall(run)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    else:
        report = run()
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    peak = usage.ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "created": report.created}))


PG = "postgres://postgres@127.0.0.1:5432/"


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(sql)


def answers(count: int, db: str, profile: bool) -> tuple[str, float, float, str]:
    """``import redcap`` of ``count`` records in a fresh child process and database."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
            "WERKPLAATS_DEBUG": "0",
            "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
            "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "WERKPLAATS_PSEUDONYM_KEY": "bench-pseudonyms-" + "y" * 32,
            "WERKPLAATS_SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
            "WERKPLAATS_DATA_DIR": tmp,
        }
        env.pop("DATABASE_URL", None)
        name = f"bench_redcap_{os.getpid()}"
        if db == "postgresql":
            _pg(f"DROP DATABASE IF EXISTS {name}")
            _pg(f"CREATE DATABASE {name}")
            env["DATABASE_URL"] = PG + name
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(count)]
                + (["--profile"] if profile else []),
                env=env,
                capture_output=True,
                text=True,
            )
        finally:
            if db == "postgresql":
                _pg(f"DROP DATABASE IF EXISTS {name}")
        if profile:
            print(done.stderr, file=sys.stderr)
        if done.returncode:
            print(done.stdout, done.stderr, file=sys.stderr)
            raise SystemExit(done.returncode)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        made = ", ".join(f"{v:,} {k}" for k, v in r["created"].items())
        return (
            f"import redcap ({db}): {count:,} records",
            r["seconds"],
            r["peak"],
            f"{r['cpu']:.1f} s CPU; {made} (RSS)",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--fields", nargs="*", type=int, default=[2000])
    parser.add_argument("--records", nargs="*", type=int, default=[10000])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--profile", action="store_true", help="cProfile's top 30 of the import")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.profile)
        return 0
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load: {load}")
    print(f"{'step':<44} {'seconds':>8} {'peak MiB':>9}  result")
    for fields in args.fields:
        print(f"-- a REDCap dictionary of {fields:,} fields")
        for name, seconds, peak, note in definitions(fields):
            print(f"{name:<44} {seconds:>8.2f} {peak:>9.1f}  {note}", flush=True)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for count in args.records:
        for db in dbs:
            name, seconds, peak, note = answers(count, db, args.profile)
            print(f"{name:<44} {seconds:>8.2f} {peak:>9.1f}  {note}", flush=True)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"load: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
