#!/usr/bin/env python3
"""The figures across teams at scale: dilemmas by kind per team, organisation and year,
and working principles per team over time (casework.practice_figures).

    .venv/bin/python bench/practice_figures.py --sqlite /tmp/copy-of-demo20k.sqlite3
    .venv/bin/python bench/practice_figures.py --sqlite X.sqlite3 --postgres Y --repeat 5

Reads a demo workplace built with the demo's development keys; the pages write
access-log entries, so give a copy, never the shared original. Each database is read in
its own child process with production settings (debug off) and Django's test client (no
HTTP server, no second factor): the time is the view's own, from request to rendered
page, as the demo's educator (``docent``) sees it. Per page: the first request (the first
page also pays the process's start: lazy imports, templates), the same page again after
the cache was cleared (``cold``: the protected table recomputed in a warm process, what a
user waits for when its five minutes have run out), the median of ``--repeat`` more, the
number of SQL queries, and the peak of Python memory
(tracemalloc) during one request. The rows the figures rest on are counted beside them.
The load average is printed before and after.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

from _demo_copy import command_line, run_child

PAGES = [
    ("dilemmas per team", "/dilemmas/across-teams/?by=team"),
    ("dilemmas per organisation", "/dilemmas/across-teams/?by=organisation"),
    ("dilemmas per year", "/dilemmas/across-teams/?by=year"),
    ("principles: outreach", "/working-principles/?principle=outreach"),
    ("principles: strengths-based", "/working-principles/?principle=strengths-based"),
]
USER = "docent"


def child(repeat: int) -> None:
    import tracemalloc

    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from werkplaats.casework.models import Contact, Dilemma
    from werkplaats.partnership.models import User

    call_command("collectstatic", interactive=False, verbosity=0)  # as `werkplaats serve`
    user = User.objects.get(username=USER)
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(user)
    rows = {"dilemmas": Dilemma.objects.count(), "contacts": Contact.objects.count()}
    out = []
    for label, url in PAGES:
        began = time.perf_counter()
        response = browser.get(url)
        first = time.perf_counter() - began
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        warm = []
        for _ in range(repeat):
            began = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                browser.get(url)
            warm.append(time.perf_counter() - began)
        # the protected table recomputed in a warm process (what a user waits for when
        # the five-minute cache has run out); "first" also pays the process's own start
        cache.clear()
        began = time.perf_counter()
        browser.get(url)
        cold = time.perf_counter() - began
        tracemalloc.start()
        browser.get(url)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out.append(
            {
                "page": label,
                "first": first,
                "warm": statistics.median(warm),
                "cold": cold,
                "queries": len(queries),
                "peak_mb": peak / 2**20,
                "rows": rows["dilemmas"] if "dilemmas" in label else rows["contacts"],
            }
        )
    print(json.dumps(out))


def run(db: str, target: str, repeat: int) -> list[dict[str, object]]:
    return list(run_child(__file__, db, target, repeat))


def main() -> int:
    repeat, runs = command_line(__doc__, child)
    print(
        f"{'database':<11} {'page':<28} {'rows read':>9} {'first ms':>8} {'cold ms':>8} "
        f"{'warm ms':>8} "
        f"{'queries':>7} {'peak MB':>7}"
    )
    for db, target in runs:
        for r in run(db, target, repeat):
            print(
                f"{db:<11} {r['page']:<28} {r['rows']:>9} "
                f"{1000 * float(r['first']):>8.0f} {1000 * float(r['cold']):>8.0f} "  # type: ignore[arg-type]
                f"{1000 * float(r['warm']):>8.0f} "  # type: ignore[arg-type]
                f"{r['queries']:>7} {float(r['peak_mb']):>7.1f}",  # type: ignore[arg-type]
                flush=True,
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
