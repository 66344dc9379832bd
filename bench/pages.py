#!/usr/bin/env python3
"""One user at a time: each page's time, query count and its most repeated queries.

    .venv/bin/python bench/pages.py --sqlite /tmp/copy-of-demo.sqlite3
    .venv/bin/python bench/pages.py --postgres postgres://postgres@127.0.0.1:5432/copy_20k
    .venv/bin/python bench/pages.py --sqlite DB --page trajectory --top 15

Where ``bench/load.py`` shows how pages behave under 20 users, this shows why a page is
slow: it requests each page of the load bench's users in one process (Django's test
client, production settings: debug off), ``--repeat`` times after one warm-up, and prints
the median time, the median CPU time of this process (on SQLite the database's work is
in it, on PostgreSQL it is not; CPU time moves less than the clock on a busy machine), the
number of queries, the time spent in the database, and the rows the access log gained. ``--top N`` lists a page's N most repeated query shapes (numbers and
strings replaced by ?), the usual sign of one query per row. The database is written to
(the access log, the posted contacts): give it a copy.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def configure(args: argparse.Namespace) -> None:
    for key in [k for k in os.environ if k.startswith("WERKPLAATS_")]:
        del os.environ[key]
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="werkplaats.config.settings",
        WERKPLAATS_DEBUG="0",
        WERKPLAATS_SECRET_KEY="bench-pages-" + "k" * 50,
        # The demo's own keys (its identities and pseudonyms were made with them).
        WERKPLAATS_FIELD_KEY="ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        WERKPLAATS_PSEUDONYM_KEY="dev-only-pseudonym-key-not-for-real-data",
        WERKPLAATS_SECURE_COOKIES="0",
        WERKPLAATS_SSL_REDIRECT="0",
        WERKPLAATS_ALLOWED_HOSTS="testserver,127.0.0.1",
        WERKPLAATS_SECOND_FACTOR="1",
        WERKPLAATS_SECOND_FACTOR_DEMO_EXEMPT="1",
        WERKPLAATS_DATA_DIR=str(ROOT / "bench" / "out"),
        WERKPLAATS_MAIL_DIR=str(ROOT / "bench" / "out" / "mail"),
    )
    if args.postgres:
        os.environ["DATABASE_URL"] = args.postgres
    else:
        os.environ["WERKPLAATS_SQLITE_PATH"] = str(Path(args.sqlite).resolve())


SHAPE = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


def shape(sql: str) -> str:
    collapsed = SHAPE.sub("?", sql)
    return re.sub(r"\(\?(?:, \?)+\)", "(?, …)", collapsed)


class Recorder:
    """Counts queries and their time through Django's execute wrapper."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, float]] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, time.perf_counter() - began))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", help="path of a copy of a demo SQLite database")
    where.add_argument("--postgres", help="URL of a copy of a demo PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--page", default="", help="only pages whose name contains this")
    parser.add_argument("--top", type=int, default=0, help="list the N most repeated queries")
    parser.add_argument(
        "--profile", type=int, default=0, help="list the N functions with most time (cProfile)"
    )
    args = parser.parse_args()
    configure(args)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)  # as `werkplaats serve`
    from django.test import Client

    from werkplaats.casework.models import Trajectory
    from werkplaats.core.models import AccessLog
    from werkplaats.partnership.models import User
    from werkplaats.programme.models import Study

    def login(username: str) -> Client:
        client = Client()
        response = client.post(
            "/login/", {"username": username, "password": "werkplaats-demo"}, follow=False
        )
        if response.status_code != 302:
            raise SystemExit(f"{username}: login answered {response.status_code}")
        return client

    pro = User.objects.get(username="professional")
    trajectory = (
        Trajectory.objects.filter(lead_professional=pro, status="open").order_by("pk").first()
    )
    study = Study.objects.filter(researchers__username="onderzoeker").order_by("pk").first()
    if trajectory is None or study is None:
        raise SystemExit(
            "the demo's professional has no open trajectory or the researcher no study"
        )
    t = f"/trajectories/{trajectory.pk}/"
    users = {
        name: login(name)
        for name in ("professional", "teammanager", "client", "onderzoeker", "beleidsmaker")
    }

    def contact_post(client: Client) -> Any:
        form = client.get(t + "contacts/new/")
        html = form.content.decode()
        data: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d"),
            "duration_minutes": "30",
            "note": "bench-pages",
        }
        for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
            if name in ("csrfmiddlewaretoken",) or name not in data:
                data.setdefault(name, value)
        for name in set(re.findall(r'<select[^>]*name="([^"]+)"', html)):
            match = re.search(
                rf'<select[^>]*name="{name}"[^>]*>.*?<option value="([^"]+)"', html, re.S
            )
            if match:
                data.setdefault(name, match.group(1))
        return client.post(t + "contacts/new/", data)

    pages: list[tuple[str, str, Callable[[Client], Any]]] = [
        # The fixed cost every request pays (middleware, session, user, base template):
        # a page whose view does almost nothing.
        ("tasks (fixed cost)", "professional", lambda c: c.get("/tasks/")),
        ("home", "professional", lambda c: c.get("/")),
        ("caseload", "professional", lambda c: c.get("/caseload/")),
        ("trajectory", "professional", lambda c: c.get(t)),
        ("contact form", "professional", lambda c: c.get(t + "contacts/new/")),
        ("contact post", "professional", contact_post),
        ("manager: home", "teammanager", lambda c: c.get("/")),
        ("manager: caseload", "teammanager", lambda c: c.get("/caseload/")),
        ("client: my page", "client", lambda c: c.get("/me/")),
        ("client: my data", "client", lambda c: c.get("/me/my-data/")),
        ("client: home", "client", lambda c: c.get("/")),
        ("report", "onderzoeker", lambda c: c.get(f"/insight/studies/{study.pk}/report/")),
        ("municipality", "beleidsmaker", lambda c: c.get("/insight/municipality/outcomes/")),
        ("figures", "beleidsmaker", lambda c: c.get("/figures/")),
    ]
    print(f"database: {connection.vendor}, {Trajectory.objects.count():,} trajectories")
    print(
        f"{'page':<18} {'status':>6} {'median s':>9} {'CPU s':>7} {'queries':>8} {'db s':>7} "
        f"{'log rows':>8}"
    )
    for name, user, fetch in pages:
        if args.page and args.page not in name:
            continue
        client = users[user]
        fetch(client)  # warm: templates, first import
        times: list[float] = []
        cpu: list[float] = []
        recorder = Recorder()
        logged_before = AccessLog.objects.count()
        status = 0
        for _ in range(args.repeat):
            recorder.queries.clear()
            with connection.execute_wrapper(recorder):
                began, began_cpu = time.perf_counter(), time.process_time()
                response = fetch(client)
                times.append(time.perf_counter() - began)
                cpu.append(time.process_time() - began_cpu)
            status = response.status_code
        logged = (AccessLog.objects.count() - logged_before) / args.repeat
        db_time = sum(q[1] for q in recorder.queries)
        print(
            f"{name:<18} {status:>6} {statistics.median(times):>9.3f} "
            f"{statistics.median(cpu):>7.3f} {len(recorder.queries):>8} {db_time:>7.3f} "
            f"{logged:>8.1f}"
        )
        if args.profile:
            import cProfile
            import pstats

            # CPU time, not the clock: on a busy machine the clock counts the waits for a core.
            profiler = cProfile.Profile(time.process_time)
            profiler.runcall(fetch, client)
            pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(
                args.profile
            )
        if args.top:
            counts = Counter(shape(q[0]) for q in recorder.queries)
            spent: dict[str, float] = defaultdict(float)
            for sql, seconds in recorder.queries:
                spent[shape(sql)] += seconds
            for sql, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[: args.top]:
                print(f"    {counts[sql]:>5}× {seconds:7.3f} s  {sql[:220]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
