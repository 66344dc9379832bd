#!/usr/bin/env python3
"""The professional's working pages at scale: the home page (worklist) and the caseload.

    .venv/bin/python bench/caseload.py --sqlite /tmp/copy-of-demo20k.sqlite3
    .venv/bin/python bench/caseload.py --postgres copy_of_demo20k
    .venv/bin/python bench/caseload.py --sqlite X.sqlite3 --postgres Y --repeat 5

Reads a demo workplace built with the demo's development keys (``werkplaats demo --clients
20000 --no-serve``); the pages write access-log entries, so give a copy, never the shared
original. Each database is read in its own child process with production settings
(debug off) and Django's test client (no HTTP server, no second factor; the static files collected
first, as ``werkplaats serve`` does): the time is the
view's own, from request to rendered page.

Per user and page it prints the first request after both caches were emptied (the
organisation's not-on-track reference is then computed by the page, as happens only when
no worker has run for a day), the median of
``--repeat`` warm requests and their median CPU time (this process's: the view and
SQLite's work; PostgreSQL's server work is not in it), the number of SQL queries of a
warm request, and the rows on the page; then the time the worker takes to renew every organisation's reference. The
users: the demo's ``professional`` (own caseload) and ``teammanager`` (a
team's). The load average is printed before and after: other work on the machine
changes the figures.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from typing import Any

from _demo_copy import command_line, run_child

PAGES = [
    ("home (worklist)", "/"),
    ("home, overdue only", "/?when=overdue"),
    ("caseload", "/caseload/"),
    ("caseload, page 2", "/caseload/?page=2"),
    ("caseload, closed", "/caseload/?status=closed"),
    ("caseload, pseudonym search", "/caseload/?q=A"),
    ("caseload, name search", "/caseload/?q=de"),
]
USERS = ["professional", "teammanager"]


def child(repeat: int) -> None:
    import django

    django.setup()
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from werkplaats.casework.access import visible_trajectories
    from werkplaats.partnership.models import User

    call_command("collectstatic", interactive=False, verbosity=0)  # as `werkplaats serve`
    out = []
    for username in USERS:
        user = User.objects.get(username=username)
        reach = visible_trajectories(user).count()
        browser = Client(HTTP_HOST="localhost")
        browser.force_login(user)
        for _label, url in PAGES:  # imports and first-use work out of the figures
            browser.get(url)
        for label, url in PAGES:
            for name in ("default", "shared"):
                caches[name].clear()
            began = time.perf_counter()
            response = browser.get(url)
            cold = time.perf_counter() - began
            if response.status_code != 200:
                raise SystemExit(f"{username} {url}: {response.status_code}")
            warm, cpu = [], []
            for _ in range(repeat):
                began = time.perf_counter()
                before = resource.getrusage(resource.RUSAGE_SELF)
                with CaptureQueriesContext(connection) as queries:
                    browser.get(url)
                warm.append(time.perf_counter() - began)
                after = resource.getrusage(resource.RUSAGE_SELF)
                cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            rows = response.content.count(b'<tr class="row-') + response.content.count(
                b"<tr data-pseudonym="
            )
            out.append(
                {
                    "user": username,
                    "reach": reach,
                    "page": label,
                    "cold": cold,
                    "warm": statistics.median(warm),
                    "cpu": statistics.median(cpu),
                    "queries": len(queries),
                    "bytes": len(response.content),
                    "rows": rows,
                }
            )
    from werkplaats.insight.on_track import refresh_references

    began = time.perf_counter()
    organisations = refresh_references()
    print(json.dumps({"pages": out, "refresh": time.perf_counter() - began, "n": organisations}))


def run(db: str, target: str, repeat: int) -> dict[str, Any]:
    return dict(run_child(__file__, db, target, repeat))


def main() -> int:
    repeat, runs = command_line(__doc__, child)
    print(
        f"{'database':<11} {'user':<12} {'reach':>6} {'page':<27} {'cold ms':>8} "
        f"{'warm ms':>8} {'CPU ms':>7} {'queries':>7} {'rows':>5}"
    )
    for db, target in runs:
        result = run(db, target, repeat)
        for r in result["pages"]:
            print(
                f"{db:<11} {r['user']:<12} {r['reach']:>6} {r['page']:<27} "
                f"{1000 * float(r['cold']):>8.0f} {1000 * float(r['warm']):>8.0f} {1000 * float(r['cpu']):>7.0f} "
                f"{r['queries']:>7} {r['rows']:>5}",
                flush=True,
            )
        print(
            f"{db:<11} the worker's hourly refresh of {result['n']} organisations' "
            f"references: {result['refresh']:.1f} s",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
