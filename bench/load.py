#!/usr/bin/env python3
"""Concurrent users against a running server, logged in the way a user logs in.

    .venv/bin/python bench/load.py                                   # 20,000 clients, 20 users
    .venv/bin/python bench/load.py --clients 1500 --seconds 30 --runs prod-sqlite
    .venv/bin/python bench/load.py --runs prod-postgres,prod-sqlite,dev-sqlite,dev-postgres
    .venv/bin/python bench/load.py --sqlite /tmp/copy.sqlite3 --postgres-db copy_20k

Runs (``--runs``): ``prod-postgres`` and ``prod-sqlite`` start the production server
(``werkplaats serve``: gunicorn), ``dev-sqlite`` and ``dev-postgres`` Django's development
server (``runserver``, as ``werkplaats demo`` serves), all with the same production settings
(debug off), so only the server differs. Each database holds the demo workplace built by the
demo builder (``--clients``; kept in bench/out/ or the PostgreSQL database
``werkplaats_bench_<clients>`` between runs; ``--rebuild`` builds again), or is one given
with ``--sqlite PATH`` / ``--postgres-db NAME``: a copy of a demo database built elsewhere
(the bench writes contacts and access-log entries to it). The demo's own keys are used, so
its identities read back.

Every user logs in through the login page with the demo persona's password; outside debug
the second factor is on, and the personas are let in without it by the setting made for
them (``WERKPLAATS_SECOND_FACTOR_DEMO_EXEMPT=1``; their addresses end in
``@demo.werkplaats.invalid``). A login counts only when the home page then shows the user's
own name in the logout button. The users (16 professionals, the client, the researcher and
two policy makers) loop over their pages until ``--seconds`` have passed: the professional's
home, caseload, a trajectory of their own and a contact form post; the client's own page and
"Mijn gegevens"; the researcher's study report page; the municipality page and the policy
figures. The contact form is two requests, timed apart: "contact form" (opening it) and
"contact post" (sending it: the 302 back to the trajectory); "(form + post)" is both
clicks together, as runs before 2026-12-07 reported "contact post", and is not counted
as a request. A response counts as an error unless it is the expected page: 200 with the user's
logout button and the page's own marker (a POST: a redirect to the trajectory), so a
redirect to the login page is an error, never a fast success.

``--mix care`` leaves out the researcher and the policy makers (19 professionals and the
client), to show the professional's and client's pages without the aggregate pages beside
them.

The load model: with ``--think 0`` (the default) each user asks for the next page the
moment the last one arrived, which saturates the server (20 users clicking without pause
are far more than 20 people at work). ``--think 5`` lets each user read a page for a
while before the next click: exponentially distributed, mean 5 s, seeded per user, so a
run repeats. ``--think 0,5`` makes both runs of every configuration; the tables label
each row "saturation" or "think 5 s". ``--web 2x4,3x4,4x2,5x1`` runs the production
server once per gunicorn setting (workers x threads) to compare them.

It prints p50/p95/max per page and run, and per run: requests per second, the server's
CPU milliseconds per request and its memory (PSS of the server's processes at the end; on
PostgreSQL without the database's own processes), this bench's own CPU milliseconds per
request (its users' threads run on the same cores as the server), errors by kind,
the contacts posted (302) against the contacts found in the database afterwards, server
errors (5xx) and how often "database is locked" reached a user (in a page, or as a server
error in the server's log). Only 127.0.0.1 is contacted, on ports 8120-8129; every loop
stops at its deadline.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = ROOT / ".venv" / "bin"
PASSWORD = "werkplaats-demo"  # werkplaats.demo.personas.PASSWORD
PG = os.environ.get("WERKPLAATS_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
MARK = "bench-load-contact"
PORTS = range(8120, 8130)
RUNS = ("prod-postgres", "prod-sqlite", "dev-sqlite", "dev-postgres")
# The login form's own field: a page that has it is the login page, not the one asked for.
LOGIN_FORM = 'name="password"'


# A database given on the command line (--sqlite, --postgres-db) instead of a built one.
GIVEN: dict[str, str] = {}


def environment(db: str, clients: int) -> dict[str, str]:
    # The web server's own settings (WERKPLAATS_WEB_WORKERS, _THREADS, ...) may be tried
    # from the caller's environment; nothing else of the caller's configuration leaks in.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("WERKPLAATS_") or k.startswith("WERKPLAATS_WEB_")
    }
    env.pop("DATABASE_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="werkplaats.config.settings",
        WERKPLAATS_DEBUG="0",
        WERKPLAATS_SECRET_KEY="bench-load-" + "k" * 50,
        # The demo's development keys: a demo database built elsewhere reads back.
        WERKPLAATS_FIELD_KEY="ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        WERKPLAATS_PSEUDONYM_KEY="dev-only-pseudonym-key-not-for-real-data",
        WERKPLAATS_SECURE_COOKIES="0",
        WERKPLAATS_SSL_REDIRECT="0",  # plain HTTP on the loopback: no proxy in front
        WERKPLAATS_ALLOWED_HOSTS="127.0.0.1,localhost",
        WERKPLAATS_DATA_DIR=str(OUT),
        WERKPLAATS_MAIL_DIR=str(OUT / "mail"),
        # The second factor stays required; the demo personas are exempt, as in the demo.
        WERKPLAATS_SECOND_FACTOR="1",
        WERKPLAATS_SECOND_FACTOR_DEMO_EXEMPT="1",
        WERKPLAATS_LOGIN_FAILURE_LIMIT="1000",
    )
    if db == "sqlite":
        env["WERKPLAATS_SQLITE_PATH"] = GIVEN.get("sqlite", str(OUT / f"bench-{clients}.sqlite3"))
    else:
        env["DATABASE_URL"] = f"{PG}/{GIVEN.get('postgres', f'werkplaats_bench_{clients}')}"
    return env


def _psql(sql: str, database: str = "postgres") -> str:
    import psycopg

    with psycopg.connect(f"{PG}/{database}", autocommit=True) as conn:
        rows = conn.execute(sql).fetchall()  # type: ignore[arg-type]
    return "" if not rows else str(rows[0][0])


def build(db: str, clients: int, rebuild: bool) -> None:
    env = environment(db, clients)
    OUT.mkdir(parents=True, exist_ok=True)
    if db in GIVEN:
        _migrate(env)  # a given database gets the schema of the code under test
        return
    if db == "sqlite":
        path = Path(env["WERKPLAATS_SQLITE_PATH"])
        if path.exists() and not rebuild:
            _migrate(env)  # a kept database gets the schema of the code under test
            return
        for suffix in ("", "-wal", "-shm", ".tasks.sqlite3"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = f"werkplaats_bench_{clients}"
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and not rebuild:
                _migrate(env)
                return
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
            conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    began = time.perf_counter()
    subprocess.run(
        [str(BIN / "werkplaats"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [str(BIN / "werkplaats"), "manage", "build_demo", "--clients", str(clients)],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(
        f"built the {db} demo, {clients:,} clients, in {time.perf_counter() - began:.0f} s",
        flush=True,
    )


def _migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(BIN / "werkplaats"), "migrate"], env=env, check=True, stdout=subprocess.DEVNULL
    )


def start_server(
    run: str, clients: int, port: int, web: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], float, float]:
    """Start the server (``web``: gunicorn's workers and threads, when not the settings');
    return it, seconds until it answered, and the first request's seconds."""
    kind, db = run.split("-")
    env = {**environment(db, clients), **(web or {})}
    if kind == "prod":
        cmd = [str(BIN / "werkplaats"), "serve", "--no-migrate", "--port", str(port)]
    else:
        cmd = [str(BIN / "werkplaats"), "manage", "runserver", f"127.0.0.1:{port}", "--noreload"]
    log = open(OUT / f"server-{run}.log", "wb")  # noqa: SIM115 - closed with the process
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{run}: the server stopped; see {log.name}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login/")
            t0 = time.perf_counter()
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return proc, time.perf_counter() - began, time.perf_counter() - t0
            raise RuntimeError(f"{run}: /login/ answered {response.status}; see {log.name}")
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{run}: the server did not answer on port {port}")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (gunicorn's master and its workers), from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def server_usage(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and memory (PSS, MiB) of the server's processes.

    The workers are read while they run (a process's own counters, not its children's,
    so nothing is counted twice). PostgreSQL's backends are not in the tree: on PostgreSQL
    this is the application's share only.
    """
    tick = os.sysconf("SC_CLK_TCK")
    cpu = 0.0
    memory = 0.0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        cpu += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        # Proportional set size: the workers share the preloaded application's pages,
        # which a sum of resident sizes would count once per worker.
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        memory += int(found.group(1)) / 1024 if found else 0.0
    return cpu, memory


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Fields(HTMLParser):
    """The named inputs of a form, as the browser would send them untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = defaultdict(list)
        self.radios: dict[str, list[str]] = defaultdict(list)
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "radio":
                self.radios[name].append(a.get("value", ""))
                if "checked" in a:
                    self.values[name] = [a.get("value", "")]
            elif kind == "checkbox":
                if "checked" in a:
                    self.values[name].append(a.get("value", "on"))
            elif kind not in ("submit", "button"):
                self.values[name].append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or not self.values.get(self._select):
                self.values[self._select] = [a.get("value", "")]
        elif tag == "textarea" and name:
            self.values[name].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


class Session:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(
        self, method: str, path: str, body: dict[str, list[str]] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Host": f"127.0.0.1:{self.port}",
        }
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt:
                    return 0, "", {}
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, text, {k.lower(): v for k, v in response.getheaders()}

    @staticmethod
    def csrf(html: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        return found.group(1) if found else ""

    def logged_in(self, html: str) -> bool:
        """The page shows this user's logout button (base.html: "Log out (username)")."""
        return f"({self.username})</button>" in html and LOGIN_FORM not in html

    def login(self) -> str:
        """Log in through the login page; return '' or why it failed."""
        _s, html, _h = self.request("GET", "/login/")
        status, _t, headers = self.request(
            "POST",
            "/login/",
            {
                "csrfmiddlewaretoken": [self.csrf(html)],
                "username": [self.username],
                "password": [PASSWORD],
            },
        )
        if status != 302:
            return f"login answered {status}"
        if "second-factor" in headers.get("location", ""):
            return "the second factor was asked"
        status, html, _h = self.request("GET", "/")
        if status != 200 or not self.logged_in(html):
            return f"home after login: {status}, not logged in"
        return ""


@dataclass
class Paths:
    trajectories: list[str]
    study_report: str


def discover(port: int) -> Paths:
    """The professional's trajectories and the researcher's study, read from their pages."""
    pro = Session(port, "professional")
    if why := pro.login():
        raise RuntimeError(f"professional: {why}")
    _s, html, _h = pro.request("GET", "/caseload/")
    trajectories = sorted(set(re.findall(r'href="(/trajectories/\d+/)"', html)))
    res = Session(port, "onderzoeker")
    if why := res.login():
        raise RuntimeError(f"onderzoeker: {why}")
    _s, html, _h = res.request("GET", "/")
    studies = re.findall(r'href="/studies/(\d+)/"', html)
    if not trajectories or not studies:
        raise RuntimeError(f"found {len(trajectories)} trajectories and {len(studies)} studies")
    # Every persona logs in once before the run: the first login upgrades the demo's stored
    # password hash, which ends the other sessions of that user that started before it
    # (Django ties a session to the password hash), so two users sharing an account must
    # not both make that first login during the run.
    for username in ("client", "beleidsmaker"):
        if why := Session(port, username).login():
            raise RuntimeError(f"{username}: {why}")
    return Paths(trajectories, f"/insight/studies/{studies[0]}/report/")


def contacts_in_database(db: str, clients: int) -> int:
    code = (
        "import django; django.setup(); from werkplaats.casework.models import Contact; "
        "print(Contact.objects.count())"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", code],
        env=environment(db, clients),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


@dataclass
class Result:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    posted: int = 0
    locked: int = 0
    server_errors: int = 0
    logins: int = 0
    pairs: list[float] = field(default_factory=list)


# (page, marker in the page's HTML that only that page has)
MARKERS = {
    "home": '<main id="main">',
    "caseload": 'href="/trajectories/',
    "trajectory": "/contacts/new/",
    "client: my page": 'id="h-mygoals"',
    "client: my data": "/me/my-data.pdf",
    "report": 'class="report-run"',
    "municipality": "<h1",
    "figures": "<h1",
}


def run_users(
    port: int, users: int, seconds: float, paths: Paths, mix: str = "full", think: float = 0.0
) -> Result:
    """The users' loops. ``think`` > 0: after each page a user reads for a while before the
    next click, exponentially distributed with that mean in seconds (seeded per user);
    0: the next request leaves the moment the last answer arrived (saturation)."""
    others = (
        ["client", "onderzoeker", "beleidsmaker", "beleidsmaker"] if mix == "full" else ["client"]
    )
    roles = ["professional"] * max(users - len(others), 1) + others
    roles = roles[:users]
    result = Result()
    lock = threading.Lock()
    # The clock starts when every user has logged in (logins are not what is measured).
    deadline = [0.0]

    def start_clock() -> None:
        deadline[0] = time.monotonic() + seconds

    ready = threading.Barrier(len(roles), action=start_clock, timeout=600)

    def record(page: str, began: float, error: str, text: str, status: int) -> None:
        with lock:
            result.times[page].append(time.perf_counter() - began)
            if error:
                result.errors[f"{page}: {error}"] += 1
            if "database is locked" in text:
                result.locked += 1
            if status >= 500:
                result.server_errors += 1

    def pages_of(role: str, rng: random.Random) -> list[tuple[str, str]]:
        if role == "onderzoeker":
            return [("report", paths.study_report)]
        if role == "beleidsmaker":
            return [("municipality", "/insight/municipality/outcomes/"), ("figures", "/figures/")]
        if role == "client":
            return [("client: my page", "/me/"), ("client: my data", "/me/my-data/")]
        t = rng.choice(paths.trajectories)
        return [("home", "/"), ("caseload", "/caseload/"), ("trajectory", t), ("contact post", t)]

    def visit(session: Session, page: str, path: str) -> None:
        began = time.perf_counter()
        if page == "contact post":
            form_path = path + "contacts/new/"
            status, html, _h = session.request("GET", form_path)
            if status != 200 or not session.logged_in(html):
                record("contact form", began, f"form answered {status}", html, status)
                return
            record("contact form", began, "", html, status)
            form = Fields()
            form.feed(html)
            body = dict(form.values)
            for name, values in form.radios.items():
                body.setdefault(name, values[:1])
            body.update(
                date=[time.strftime("%Y-%m-%d")],
                duration_minutes=["30"],
                note=[MARK],
            )
            posted = time.perf_counter()
            status, text, headers = session.request("POST", form_path, body)
            ok = status == 302 and headers.get("location", "").rstrip("/").endswith(
                path.rstrip("/")
            )
            record(
                page,
                posted,
                "" if ok else f"post answered {status} {headers.get('location', '')}",
                text,
                status,
            )
            with lock:  # both clicks together, as earlier runs reported them (not a request)
                result.pairs.append(time.perf_counter() - began)
            if ok:
                with lock:
                    result.posted += 1
        else:
            status, text, headers = session.request("GET", path)
            if status != 200:
                error = f"{status} {headers.get('location', '')}".strip()
            elif not session.logged_in(text):
                error = "not the page (logged out)"
            elif MARKERS[page] not in text:
                error = "not the page (marker missing)"
            else:
                error = ""
            record(page, began, error, text, status)

    def loop(role: str, seed: int) -> None:
        rng = random.Random(seed)
        reading = random.Random(10_000 + seed)  # the pauses do not change the pages chosen
        session = Session(port, role)
        why = session.login()
        with lock:
            if why:
                result.errors[f"login: {why}"] += 1
            else:
                result.logins += 1
        ready.wait()
        if why:
            return
        while time.monotonic() < deadline[0]:
            page, path = rng.choice(pages_of(role, rng))
            visit(session, page, path)
            if think > 0:
                left = deadline[0] - time.monotonic()
                time.sleep(max(0.0, min(reading.expovariate(1 / think), left)))

    threads = [threading.Thread(target=loop, args=(role, n)) for n, role in enumerate(roles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 300)
    return result


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass
class Config:
    run: str  # prod-postgres, ...
    web: str  # "3x4" (gunicorn workers x threads), "" for the settings' default, "runserver"
    think: float  # mean seconds a user reads a page; 0: no pause (saturation)

    @property
    def load_model(self) -> str:
        return f"think {self.think:g} s" if self.think else "saturation"


def configurations(runs: list[str], webs: list[str], thinks: list[float]) -> list[Config]:
    found = []
    for run in runs:
        for web in webs if run.startswith("prod") else ["runserver"]:
            for think in thinks:
                found.append(Config(run, web, think))
    return found


def web_setting(web: str) -> dict[str, str]:
    if web in ("", "runserver"):
        return {}
    workers, _x, threads = web.partition("x")
    return {"WERKPLAATS_WEB_WORKERS": workers, "WERKPLAATS_WEB_THREADS": threads}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--runs", default="prod-postgres,prod-sqlite,dev-sqlite,dev-postgres")
    parser.add_argument(
        "--web",
        default="",
        help="gunicorn workers x threads to compare for the prod runs, e.g. 2x4,3x4,4x2,5x1 "
        "(default: the settings', WERKPLAATS_WEB_WORKERS/_THREADS)",
    )
    parser.add_argument(
        "--think",
        default="0",
        help="mean reading time in seconds between a user's pages (exponential, seeded), "
        "one run per value: 0,5 gives a saturation run and a run with 5 s of reading",
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--sqlite", help="use this SQLite database (a copy: it is written to)")
    parser.add_argument("--postgres-db", help="use this PostgreSQL database (a copy)")
    parser.add_argument("--mix", choices=("full", "care"), default="full")
    args = parser.parse_args()
    if args.sqlite:
        GIVEN["sqlite"] = str(Path(args.sqlite).resolve())
    if args.postgres_db:
        GIVEN["postgres"] = args.postgres_db
    runs = [r for r in args.runs.split(",") if r]
    if unknown := [r for r in runs if r not in RUNS]:
        parser.error(f"unknown runs {unknown}; choose from {', '.join(RUNS)}")
    webs = [w for w in args.web.split(",") if w] or [""]
    if bad := [w for w in webs if not re.fullmatch(r"\d+x\d+", w) and w]:
        parser.error(f"--web takes workers x threads, as 3x4: not {bad}")
    thinks = [float(t) for t in args.think.split(",") if t]
    for db in dict.fromkeys(r.split("-")[1] for r in runs):
        build(db, args.clients, args.rebuild)
    print(
        f"{args.users} users ({args.mix}) for {args.seconds:.0f} s per run, "
        f"{args.clients:,} clients",
        flush=True,
    )
    rows = []
    summaries = []
    totals = []
    for n, config in enumerate(configurations(runs, webs, thinks)):
        run = config.run
        db = run.split("-")[1]
        port = PORTS[n % len(PORTS)]
        before = contacts_in_database(db, args.clients)
        load_before = load_average()
        proc, start_s, first_s = start_server(run, args.clients, port, web_setting(config.web))
        try:
            paths = discover(port)
            cpu_before, _memory = server_usage(proc.pid)
            bench_before = time.process_time()
            result = run_users(port, args.users, args.seconds, paths, args.mix, config.think)
            bench_cpu = time.process_time() - bench_before
            cpu_after, memory = server_usage(proc.pid)
        finally:
            stop(proc)
        load_after = load_average()
        found = contacts_in_database(db, args.clients) - before
        total = sum(len(v) for v in result.times.values())
        # A lock error that became a 500 shows no detail to the user; the server's log has it.
        log_text = (OUT / f"server-{run}.log").read_text(errors="replace")
        locked_in_log = log_text.count("database is locked")
        server = config.web or ("runserver" if run.startswith("dev") else "gunicorn default")
        label = (run, server, config.load_model)
        totals.append(
            (
                *label,
                total / float(args.seconds),
                (cpu_after - cpu_before) / max(total, 1) * 1000,
                bench_cpu / max(total, 1) * 1000,
                memory,
                result.server_errors,
                result.locked + locked_in_log,
                result.posted,
                found,
                sum(result.errors.values()),
                f"{load_before} → {load_after}",
            )
        )
        for page in sorted(result.times):
            v = result.times[page]
            errors = sum(c for k, c in result.errors.items() if k.startswith(page + ":"))
            rows.append((*label, page, len(v), statistics.median(v), pct(v, 0.95), max(v), errors))
        if result.pairs:
            v = result.pairs
            rows.append(
                (*label, "(form + post)", len(v), statistics.median(v), pct(v, 0.95), max(v), 0)
            )
        summaries.append(
            f"{run} ({server}, {config.load_model}): started in {start_s:.1f} s, first page "
            f"{first_s:.2f} s; {result.logins} of {args.users} users logged in; {total} "
            f"requests in {args.seconds:.0f} s ({total / args.seconds:.1f}/s); server CPU "
            f"{cpu_after - cpu_before:.0f} s, this bench's own CPU {bench_cpu:.1f} s; contacts posted {result.posted}, found afterwards "
            f"{found}; 'database is locked' in a page {result.locked} times, in the server log "
            f"{locked_in_log} times; server errors {result.server_errors}; errors "
            f"{dict(result.errors) or 0}\n    load before: {load_before}, after: {load_after}"
        )
        print(summaries[-1], flush=True)
    print()
    head = f"{'run':<14} {'server':<16} {'load model':<12}"
    print(f"{head} {'page':<16} {'n':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>7}")
    for run, server, model, page, n, p50, p95, mx, err in rows:
        print(
            f"{run:<14} {server:<16} {model:<12} {page:<16} {n:>6} {p50:>7.3f} {p95:>7.3f} "
            f"{mx:>7.2f} {err:>7}"
        )
    print()
    print(
        f"{head} {'req/s':>6} {'CPU ms/req':>10} {'bench ms':>8} {'PSS MiB':>8} {'5xx':>5} {'locked':>7} "
        f"{'posted':>7} {'found':>6} {'errors':>7}  load (1, 5, 15 min) before → after"
    )
    for (
        run,
        server,
        model,
        rate,
        cpu,
        bench,
        mem,
        five,
        locked,
        posted,
        found,
        errors,
        load,
    ) in totals:
        print(
            f"{run:<14} {server:<16} {model:<12} {rate:>6.1f} {cpu:>10.0f} {bench:>8.1f} "
            f"{mem:>8.0f} "
            f"{five:>5} {locked:>7} {posted:>7} {found:>6} {errors:>7}  {load}"
        )
    print()
    for line in summaries:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
