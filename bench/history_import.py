#!/usr/bin/env python3
"""Benchmark ``werkplaats import history``: seconds and peak memory, beside DuckDB's read.

    .venv/bin/python bench/history_import.py                       # 20,000 clients, both databases
    .venv/bin/python bench/history_import.py 2000 20000 --db sqlite
    .venv/bin/python bench/history_import.py 20000 --profile       # cProfile's top 25 as well

For each size, ``demo.history_files.write_history`` writes a directory of CSV files (seed 1,
not timed) for one organisation with 40 professionals in 4 teams, 12 neighbourhoods and one
study. Then, per database, a fresh child process migrates a fresh database (a temporary
SQLite file, or a temporary PostgreSQL database at 127.0.0.1:5432), makes that
organisation (not timed) and times ``import_history`` on the directory: reading, checking
every row, writing in one transaction and refreshing the planner's statistics. Peak memory
is that child's ``ru_maxrss`` (Django and the migrations included); CPU seconds (user +
system, of the import alone) say more than wall-clock seconds on a shared, loaded machine,
so both are printed, with the load average at the start. The floor beside it is
DuckDB reading the same files into tables (``CREATE TABLE … AS SELECT * FROM
read_csv(…)``), in its own process: no checks, no database of ours.
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
from pathlib import Path

ORG = "Welzijn Bench"
PG = "postgres://postgres@127.0.0.1:5432/"


def setup_world() -> None:
    import datetime as dt

    from werkplaats.partnership.models import (
        Membership,
        Municipality,
        Neighbourhood,
        Organisation,
        Role,
        StakeholderKind,
        Team,
        User,
    )
    from werkplaats.programme.models import Study, StudyParticipation

    town = Municipality.objects.create(name="Gemeente Bench")
    for n in range(12):
        Neighbourhood.objects.create(municipality=town, name=f"Wijk {n + 1}")
    org = Organisation.objects.create(name=ORG, kind=StakeholderKind.PRACTICE, municipality=town)
    teams = [Team.objects.create(organisation=org, name=f"Team {t + 1}") for t in range(4)]
    for p in range(40):
        user = User.objects.create(username=f"sw-{p + 1:02d}")
        Membership.objects.create(
            user=user, organisation=org, team=teams[p % 4], role=Role.PROFESSIONAL
        )
    study = Study.objects.create(
        start=dt.date(2023, 1, 1),
        title="Bench",
        question="?",
        design="quantitative",
        participation="consulted",
        phase="data_collection",
    )
    StudyParticipation.objects.create(study=study, organisation=org)


def child_import(directory: str, profile: bool) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    setup_world()
    from werkplaats.insight.history import import_history

    began = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        report = prof.runcall(import_history, Path(directory), ORG)
        stats = pstats.Stats(prof, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(25)
        stats.sort_stats("tottime").print_stats(25)
    else:
        report = import_history(Path(directory), ORG)
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    peak = usage.ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mib": peak, "created": report.created}))


def child_generate(directory: str, clients: int) -> None:
    import datetime as dt

    import django

    # The generator reads the importer's column lists, which import the models.
    django.setup()
    from werkplaats.demo.history_files import HistoryContext, write_history

    context = HistoryContext(
        organisation=ORG,
        professionals=[f"sw-{p + 1:02d}" for p in range(40)],
        teams=[f"Team {t + 1}" for t in range(4)],
        neighbourhoods=[f"Wijk {n + 1}" for n in range(12)],
        studies=[1],
        today=dt.date(2025, 6, 30),
    )
    summary = write_history(Path(directory), context, clients=clients, seed=1)
    print(json.dumps({"rows": summary["rows"], "total": summary["total"]}))


def child_duckdb(directory: str) -> None:
    import duckdb

    con = duckdb.connect()
    began = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    rows = 0
    for path in sorted(Path(directory).glob("*.csv")):
        con.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_csv('{path}', header = true)")
        counted = con.execute(f"SELECT count(*) FROM {path.stem}").fetchone()
        assert counted is not None
        rows += counted[0]
    seconds = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows}))


def _env(tmp: str, db: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
        "WERKPLAATS_DEBUG": "0",
        "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
        "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "WERKPLAATS_PSEUDONYM_KEY": "bench-pseudonyms-" + "y" * 32,
        "WERKPLAATS_SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
        "WERKPLAATS_DATA_DIR": tmp,
        "WERKPLAATS_ALLOWED_HOSTS": "localhost",
    }
    env.pop("DATABASE_URL", None)
    if db != "sqlite":
        env["DATABASE_URL"] = PG + db
    return env


def _child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True
    )
    if done.stderr and "--profile" in args:
        print(done.stderr, file=sys.stderr)
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(sql)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20000])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", choices=["import", "generate", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "import":
        child_import(args.dir, args.profile)
        return 0
    if args.child == "generate":
        child_generate(args.dir, args.sizes[0])
        return 0
    if args.child == "duckdb":
        child_duckdb(args.dir)
        return 0
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'database':<11} {'clients':>8} {'rows':>11} {'CSV MiB':>8} {'import s':>9} "
        f"{'CPU s':>7} {'rows/s':>9} {'peak MiB':>9} {'DuckDB s':>9} {'CPU s':>7}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            files = Path(tmp) / "history"
            generated = _child(
                ["--child", "generate", "--dir", str(files), str(size)], _env(tmp, "sqlite")
            )
            mib = sum(p.stat().st_size for p in files.iterdir()) / 2**20
            floor = _child(["--child", "duckdb", "--dir", str(files)], _env(tmp, "sqlite"))
            for db in dbs:
                name = "sqlite"
                if db == "postgresql":
                    name = f"bench_history_{os.getpid()}"
                    _pg(f"DROP DATABASE IF EXISTS {name}")
                    _pg(f"CREATE DATABASE {name}")
                else:
                    (Path(tmp) / "bench.sqlite3").unlink(missing_ok=True)
                try:
                    extra = ["--profile"] if args.profile else []
                    r = _child(["--child", "import", "--dir", str(files), *extra], _env(tmp, name))
                finally:
                    if db == "postgresql":
                        _pg(f"DROP DATABASE IF EXISTS {name}")
                total = generated["total"]
                print(
                    f"{db:<11} {size:>8,} {total:>11,} {mib:>8.0f} {r['seconds']:>9.1f} "
                    f"{r['cpu']:>7.1f} {total / r['seconds']:>9,.0f} {r['peak_mib']:>9.0f} "
                    f"{floor['seconds']:>9.2f} {floor['cpu']:>7.2f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
