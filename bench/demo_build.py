#!/usr/bin/env python3
"""Benchmark the demo build: clients, rows, seconds and peak memory per size.

    .venv/bin/python bench/demo_build.py                  # 1,500 clients
    .venv/bin/python bench/demo_build.py 1500 20000 200000
    .venv/bin/python bench/demo_build.py 200000 --no-identities
    .venv/bin/python bench/demo_build.py 3000 --postgres --compare-copy   # COPY vs executemany

With ``--postgres`` each size builds into a fresh PostgreSQL database of its own
(``WERKPLAATS_BENCH_PG``, default postgres://postgres@127.0.0.1:5432; the database is made
and dropped by the bench). ``--compare-copy`` builds every size twice on PostgreSQL, with
COPY (the default) and with executemany (``WERKPLAATS_DEMO_COPY=0``), side by side.

Each size runs in its own process against a fresh temporary SQLite file (migrated first;
migration time is not counted), with DEBUG off, so peak memory is that build's alone.
Peak memory is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that process.
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


def child(clients: int, seed: int, identities: bool) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from werkplaats.demo.generator import build_demo

    began = time.perf_counter()
    counts = build_demo(clients, seed=seed, identities=identities)
    seconds = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "clients": clients,
                "rows": counts["rows"],
                "seconds": seconds,
                "peak_mib": peak_mib,
                "counts": counts,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1500])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-identities", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="print rows per table")
    parser.add_argument("--postgres", action="store_true", help="build on PostgreSQL")
    parser.add_argument("--compare-copy", action="store_true", help="COPY vs executemany")
    args = parser.parse_args()
    if args.child:
        child(args.sizes[0], args.seed, not args.no_identities)
        return 0
    if args.compare_copy:
        args.postgres = True
    modes = ["copy", "executemany"] if args.compare_copy else ["copy"]
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(
        f"{'clients':>9} {'rows':>11} {'seconds':>9} {'rows/s':>9} {'peak MiB':>9}  "
        f"{'database':<10} {'insert':<12} identities"
    )
    runs = [(size, mode) for size in args.sizes for mode in modes]
    seconds: dict[tuple[int, str], float] = {}
    for size, mode in runs:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
                "WERKPLAATS_DEBUG": "0",
                "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
                "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                "WERKPLAATS_PSEUDONYM_KEY": "bench-pseudonym-" + "p" * 32,
                "WERKPLAATS_SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
                "WERKPLAATS_DATA_DIR": tmp,
                "WERKPLAATS_DEMO_COPY": "1" if mode == "copy" else "0",
            }
            database = "sqlite"
            if args.postgres:
                database = f"bench_build_{os.getpid()}"
                server = os.environ.get("WERKPLAATS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
                _psql(server, f"DROP DATABASE IF EXISTS {database}")
                _psql(server, f"CREATE DATABASE {database}")
                env["DATABASE_URL"] = f"{server}/{database}"
            command = [sys.executable, __file__, str(size), "--seed", str(args.seed), "--child"]
            if args.no_identities:
                command.append("--no-identities")
            try:
                done = subprocess.run(command, env=env, capture_output=True, text=True)
            finally:
                if args.postgres:
                    _psql(server, f"DROP DATABASE IF EXISTS {database}")
            if done.returncode:
                print(done.stdout, done.stderr, file=sys.stderr)
                return done.returncode
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{r['clients']:>9,} {r['rows']:>11,} {r['seconds']:>9.1f} "
                f"{r['rows'] / r['seconds']:>9,.0f} {r['peak_mib']:>9.0f}  "
                f"{'postgresql' if args.postgres else 'sqlite':<10} "
                f"{mode if args.postgres else 'executemany':<12} "
                f"{'no' if args.no_identities else 'yes'}",
                flush=True,
            )
            seconds[(size, mode)] = r["seconds"]
            if args.verbose:
                for key, value in r["counts"].items():
                    print(f"{'':>11}{key:<26} {value:>12,}")
    if args.compare_copy:
        for size in args.sizes:
            ratio = seconds[(size, "executemany")] / seconds[(size, "copy")]
            print(f"{size:>9,} clients: COPY is {ratio:.1f}x as fast as executemany")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0


def _psql(server: str, sql: str) -> None:
    """One statement on the server's maintenance database (psycopg, autocommit)."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
