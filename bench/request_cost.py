#!/usr/bin/env python3
"""What every request costs the production server, page by page, one request at a time.

    .venv/bin/python bench/request_cost.py --sqlite /tmp/copy.sqlite3
    .venv/bin/python bench/request_cost.py --postgres-db copy_20k --requests 300
    .venv/bin/python bench/request_cost.py --sqlite /tmp/copy.sqlite3 --web 1x1

``bench/pages.py`` times a page inside one process through Django's test client, which
keeps the database connection open between requests and has no WSGI server in front.
This starts the real server (``werkplaats serve``: gunicorn, with one process by default,
``--web``), logs in through the login page as ``bench/load.py`` does, and asks for each
page ``--requests`` times in a row on one keep-alive connection. It prints, per page, the
server's CPU milliseconds per request (user + system of the server's processes, read from
/proc before and after; on PostgreSQL without the database's own processes), the clock
per request and the CPU of this client per request. The pages: the health check (no
session, no template), the login page (a template, no user), the background-work page of
the professional (a logged-in page whose view makes one query: what every logged-in
request pays), the professional's home and the client's page. Every answer is checked to be
the page asked for (200, the user's logout button, the page's marker).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from load import (
    GIVEN,
    LOGIN_FORM,
    PORTS,
    Session,
    build,
    load_average,
    server_usage,
    start_server,
    stop,
    web_setting,
)

# (label, user or "" for none, path, marker only that page has)
PAGES = [
    ("health check", "", "/healthz", '"status"'),
    ("login page", "", "/login/", LOGIN_FORM),
    ("tasks (fixed cost)", "professional", "/tasks/", '<main id="main">'),
    ("professional: home", "professional", "/", '<main id="main">'),
    ("client: my page", "client", "/me/", 'id="h-mygoals"'),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", help="a copy of a demo SQLite database (it is written to)")
    where.add_argument("--postgres-db", help="a copy of a demo PostgreSQL database")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--web", default="1x1", help="gunicorn workers x threads")
    parser.add_argument("--page", default="", help="only pages whose label contains this")
    args = parser.parse_args()
    if args.sqlite:
        GIVEN["sqlite"] = str(Path(args.sqlite).resolve())
        run = "prod-sqlite"
    else:
        GIVEN["postgres"] = args.postgres_db
        run = "prod-postgres"
    db = run.split("-")[1]
    build(db, 0, rebuild=False)
    print(f"{run}, gunicorn {args.web}, {args.requests} requests per page; load {load_average()}")
    proc, _start, _first = start_server(run, 0, PORTS[-1], web_setting(args.web))
    rows = []
    try:
        sessions: dict[str, Session] = {}
        for label, user, path, marker in PAGES:
            if args.page and args.page not in label:
                continue
            if user and user not in sessions:
                sessions[user] = Session(PORTS[-1], user)
                if why := sessions[user].login():
                    raise SystemExit(f"{user}: {why}")
            session = sessions.get(user) or Session(PORTS[-1], "-")
            for _ in range(5):  # warm: the first requests of a process import and compile
                session.request("GET", path)
            wall: list[float] = []
            errors = 0
            cpu_before, _memory = server_usage(proc.pid)
            client_before = time.process_time()
            for _ in range(args.requests):
                began = time.perf_counter()
                status, text, _headers = session.request("GET", path)
                wall.append(time.perf_counter() - began)
                if status != 200 or marker not in text or (user and not session.logged_in(text)):
                    errors += 1
            client_cpu = time.process_time() - client_before
            cpu_after, _memory = server_usage(proc.pid)
            n = args.requests
            rows.append(
                (
                    label,
                    (cpu_after - cpu_before) / n * 1000,
                    statistics.median(wall) * 1000,
                    client_cpu / n * 1000,
                    errors,
                )
            )
    finally:
        stop(proc)
    print(
        f"{'page':<20} {'server CPU ms':>13} {'median ms':>10} {'client CPU ms':>13} {'errors':>6}"
    )
    for label, cpu, median, client, errors in rows:
        print(f"{label:<20} {cpu:>13.1f} {median:>10.1f} {client:>13.2f} {errors:>6}")
    print(f"load {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
