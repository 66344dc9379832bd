#!/usr/bin/env python3
"""Benchmark the feedback pages: team, organisation, professional and municipality, per
database, at a demo size (default 20,000 clients).

    .venv/bin/python bench/feedback.py                              # 20,000, both databases
    .venv/bin/python bench/feedback.py 20000 --db postgresql
    .venv/bin/python bench/feedback.py 20000 --src before=/tmp/main-src --src after=src
    .venv/bin/python bench/feedback.py 20000 --db postgresql --pg-db bench_fb --build-only
    .venv/bin/python bench/feedback.py 20000 --db postgresql --pg-db bench_fb   # measure it

The demo is built once per database (not timed) with this tree's code, into a temporary
SQLite file or a fresh PostgreSQL database. Then, for each ``--src NAME=DIR`` (the
``werkplaats`` package under DIR; default: this tree's ``src``, named ``now``), a fresh
process times each page through Django's test client as the user who may see it: the
team page (the team with most trajectories, as its manager), the organisation page (that
team's organisation, as its admin), the progress page of the team's trajectory with the
most assessments (as its lead professional) and the municipality table (as a policy
maker). Each page is requested twice; both times are printed (the second has warm caches
in the process, as a running server would). Peak memory is the measuring process's
``ru_maxrss``; the CPU columns are that process's CPU seconds for each request (for
PostgreSQL the server's own work is not in them), steadier than wall-clock time on a
loaded machine. The load average is printed beside the figures: other work shares the
machine.
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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from werkplaats.partnership.models import User

PG = "postgres://postgres@127.0.0.1:5432/"
HERE = Path(__file__).resolve().parent.parent


def child_build(clients: int, seed: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from werkplaats.demo.generator import build_demo

    began = time.perf_counter()
    counts = build_demo(clients, seed=seed, identities=False)
    print(json.dumps({"seconds": time.perf_counter() - began, "rows": counts["rows"]}))


def _targets() -> list[tuple[str, str, User]]:
    """(page, url, user) for the four pages."""
    from django.db.models import Count

    from werkplaats.casework.models import Trajectory
    from werkplaats.partnership.models import Membership, Role, Team

    team = Team.objects.annotate(n=Count("trajectories")).order_by("-n", "pk").first()
    if team is None:
        raise SystemExit("The database has no team.")
    manager = Membership.objects.filter(role=Role.TEAM_MANAGER, team=team).first()
    admin = Membership.objects.filter(role=Role.ORG_ADMIN, organisation=team.organisation).first()
    trajectory = (
        Trajectory.objects.filter(team=team)
        .annotate(n=Count("assessments"))
        .order_by("-n", "pk")
        .first()
    )
    policy = Membership.objects.filter(role=Role.POLICY_MAKER).order_by("pk").first()
    if manager is None or admin is None or trajectory is None or policy is None:
        raise SystemExit("The database lacks a team manager, an admin or a policy maker.")
    return [
        ("team", f"/insight/teams/{team.pk}/feedback/", manager.user),
        ("organisation", f"/insight/organisations/{team.organisation_id}/feedback/", admin.user),
        (
            "professional",
            f"/insight/trajectories/{trajectory.pk}/progress/",
            trajectory.lead_professional,
        ),
        ("municipality", "/insight/municipality/outcomes/", policy.user),
    ]


def child_measure() -> None:
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = []
    for page, url, user in _targets():
        c = Client()
        c.force_login(user)
        times = []
        cpu = []
        queries = 0
        for _round in range(2):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                began, began_cpu = time.perf_counter(), time.process_time()
                response = c.get(url, secure=True)  # HTTPS is required outside debug
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
            queries = len(captured)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
        out.append(
            {
                "page": page,
                "first": times[0],
                "second": times[1],
                "first_cpu": cpu[0],
                "second_cpu": cpu[1],
                "queries": queries,
            }
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import werkplaats

    print(json.dumps({"pages": out, "peak_mib": peak, "code": werkplaats.__file__}))


def _env(tmp: str, db: str, src: Path, static: str = "") -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
        "WERKPLAATS_DEBUG": "0",
        "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
        "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(b"f" * 32).decode(),
        "WERKPLAATS_PSEUDONYM_KEY": "bench-pseudonyms-" + "y" * 32,
        "WERKPLAATS_SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
        "WERKPLAATS_DATA_DIR": tmp,
        "WERKPLAATS_ALLOWED_HOSTS": "localhost,testserver",
        "WERKPLAATS_SECOND_FACTOR": "0",  # the test client logs in without a device
        "PYTHONPATH": str(src),
        # pages answer as outside debug: hashed static files, collected once
        "WERKPLAATS_STATIC_ROOT": static or str(Path(tmp) / "static"),
    }
    env.pop("DATABASE_URL", None)
    if db != "sqlite":
        env["DATABASE_URL"] = PG + db
    return env


def _child(args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(sql)


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clients", nargs="?", type=int, default=20000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--src", action="append", default=[], help="NAME=DIR: measure the code under DIR"
    )
    parser.add_argument("--sqlite", help="measure this SQLite file, built before (no build)")
    parser.add_argument("--pg-db", help="measure this PostgreSQL database, built before")
    parser.add_argument(
        "--build-only", action="store_true", help="build the demo into --sqlite / --pg-db"
    )
    parser.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "build":
        child_build(args.clients, args.seed)
        return 0
    if args.child == "measure":
        child_measure()
        return 0
    sources = [s.split("=", 1) for s in args.src] or [["now", str(HERE / "src")]]
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    static = tempfile.TemporaryDirectory()
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"],
        env=_env(static.name, "sqlite", HERE / "src", static.name),
        check=True,
    )
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(
        f"{'database':<11} {'clients':>8} {'code':<8} {'page':<13} {'first s':>8} "
        f"{'second s':>9} {'CPU 1st':>8} {'CPU 2nd':>8} {'queries':>8} {'peak MiB':>9} "
        f"{'load 1/5':>9}",
        flush=True,
    )
    for db in dbs:
        with tempfile.TemporaryDirectory() as tmp:
            given = args.sqlite if db == "sqlite" else args.pg_db
            name = "sqlite" if db == "sqlite" else (given or f"bench_feedback_plans_{os.getpid()}")

            def env(src: Path, tmp: str = tmp, name: str = name, given: str | None = given) -> dict:
                e = _env(tmp, name, src, static.name)
                if name == "sqlite" and given:
                    e["WERKPLAATS_SQLITE_PATH"] = str(Path(given).resolve())
                return e

            if db == "postgresql" and not given:
                _pg(f"DROP DATABASE IF EXISTS {name}")
            try:
                if not given or args.build_only:
                    if db == "postgresql":
                        _pg(f"CREATE DATABASE {name}")
                    built = _child(
                        ["--child", "build", str(args.clients), "--seed", str(args.seed)],
                        env(HERE / "src"),
                    )
                    print(
                        f"# {db}: demo of {args.clients:,} clients built in "
                        f"{built['seconds']:.0f} s ({built['rows']:,} rows), load {_load()}",
                        flush=True,
                    )
                if args.build_only:
                    continue
                for label, src in sources:
                    r = _child(["--child", "measure"], env(Path(src).resolve()))
                    if not r["code"].startswith(str(Path(src).resolve())):
                        raise SystemExit(f"{label}: imported {r['code']}, not under {src}")
                    for p in r["pages"]:
                        print(
                            f"{db:<11} {args.clients:>8,} {label:<8} {p['page']:<13} "
                            f"{p['first']:>8.2f} {p['second']:>9.2f} "
                            f"{p['first_cpu']:>8.2f} {p['second_cpu']:>8.2f} {p['queries']:>8} "
                            f"{r['peak_mib']:>9.0f} {_load():>9}",
                            flush=True,
                        )
            finally:
                if db == "postgresql" and not given:
                    _pg(f"DROP DATABASE IF EXISTS {name}")
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    static.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
