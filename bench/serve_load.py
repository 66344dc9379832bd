"""Concurrent users against a running server: the production server (gunicorn) and the
development server, on SQLite and on PostgreSQL, at a given demo size.

    .venv/bin/python bench/serve_load.py --clients 20000 --users 20 --seconds 120
    .venv/bin/python bench/serve_load.py --db sqlite --server prod --clients 1500 --seconds 30

For each (database, server) it builds the demo workplace once (kept in bench/out/ or the
PostgreSQL database ``werkplaats_bench_<clients>``; ``--rebuild`` builds again), starts
the server on a free port on 127.0.0.1, logs 20 users in (professionals, the researcher
and the policy maker), and lets each user loop over its pages for ``--seconds``: the
professional's home, caseload, a trajectory and a contact form post; the researcher's
study report page; the municipality page. It prints p50/p95/max per page, errors, and
the contacts posted (302) against the contacts found in the database afterwards.

Only 127.0.0.1 is ever contacted; every loop ends at its deadline.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BIN = ROOT / ".venv" / "bin"
PASSWORD = "werkplaats-demo"
PG = "postgres://postgres@127.0.0.1:5432"
MARK = "bench-contact"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(db: str, clients: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKPLAATS_")}
    env.pop("DATABASE_URL", None)
    # Production settings (no debug) with the development keys the demo was built with.
    env.update(
        WERKPLAATS_DEBUG="0",
        WERKPLAATS_SECRET_KEY="dev-only-insecure-key-do-not-use-in-production",
        WERKPLAATS_FIELD_KEY="ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        WERKPLAATS_PSEUDONYM_KEY="dev-only-pseudonym-key-not-for-real-data",
        WERKPLAATS_SECURE_COOKIES="0",
        WERKPLAATS_DATA_DIR=str(OUT),
        WERKPLAATS_LOGIN_FAILURE_LIMIT="1000",
    )
    if db == "sqlite":
        env["WERKPLAATS_SQLITE_PATH"] = str(OUT / f"bench-{clients}.sqlite3")
    else:
        env["DATABASE_URL"] = f"{PG}/werkplaats_bench_{clients}"
    return env


def build(db: str, clients: int, rebuild: bool) -> None:
    env = environment(db, clients)
    OUT.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        path = Path(env["WERKPLAATS_SQLITE_PATH"])
        if path.exists() and not rebuild:
            return
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        name = f"werkplaats_bench_{clients}"
        exists = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname='{name}'",
            ],
            capture_output=True,
            text=True,
        ).stdout.strip()
        if exists and not rebuild:
            return
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-qc",
                f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            ],
            check=True,
        )
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
            check=True,
        )
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
        f"built {db} demo with {clients} clients in {time.perf_counter() - began:.0f} s", flush=True
    )


def start_server(db: str, server: str, clients: int, port: int) -> subprocess.Popen[bytes]:
    env = environment(db, clients)
    if server == "prod":
        cmd = [str(BIN / "werkplaats"), "serve", "--no-migrate", "--port", str(port)]
    else:
        env["WERKPLAATS_DEBUG"] = "1"  # the development server as `demo` runs it
        cmd = [str(BIN / "werkplaats"), "manage", "runserver", f"127.0.0.1:{port}", "--noreload"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status in (200, 503):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"{server} server did not start on port {port}")


class Fields(HTMLParser):
    """The named inputs of the first form with a submit button (for the contact post)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = defaultdict(list)
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name].append(a.get("value", "on"))
            elif kind not in ("submit", "button"):
                self.values[name].append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.values:
                if "selected" in a:
                    self.values[self._select] = []
                if not self.values[self._select]:
                    self.values[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None


class User:
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
        return response.status, text, dict(response.getheaders())

    def csrf(self, html: str) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        return found.group(1) if found else ""

    def login(self) -> bool:
        _s, html, _h = self.request("GET", "/login/")
        status, _t, _h = self.request(
            "POST",
            "/login/",
            {
                "csrfmiddlewaretoken": [self.csrf(html)],
                "username": [self.username],
                "password": [PASSWORD],
            },
        )
        return status == 302


def discover(port: int) -> dict[str, str]:
    """Paths a user needs: a trajectory of the professional, the study of the researcher."""
    pro = User(port, "professional")
    pro.login()
    _s, html, _h = pro.request("GET", "/caseload/")
    trajectories = re.findall(r'href="(/trajectories/\d+/)"', html)
    res = User(port, "researcher")
    res.login()
    _s, html, _h = res.request("GET", "/")
    studies = re.findall(r'href="(/insight/studies/\d+/)"', html) or re.findall(
        r'href="(/studies/\d+/)"', html
    )
    return {
        "trajectories": " ".join(sorted(set(trajectories))),
        "study": studies[0] if studies else "",
    }


def contacts_found(db: str, clients: int) -> int:
    env = environment(db, clients)
    code = (
        "import django; django.setup(); from werkplaats.casework.models import Contact; "
        f"print(Contact.objects.filter(notes='{MARK}').count())"
    )
    done = subprocess.run(
        [str(BIN / "python"), "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def run_users(
    port: int, users: int, seconds: float, paths: dict[str, str]
) -> tuple[dict[str, list[float]], dict[str, int], int, int]:
    trajectories = paths["trajectories"].split()
    roles = ["professional"] * (users - 2) + ["researcher", "beleidsmaker"]
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    posted = [0]
    locked = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def record(page: str, status: int, began: float, text: str) -> None:
        with lock:
            times[page].append(time.perf_counter() - began)
            if status not in (200, 302):
                errors[page] += 1
            if "database is locked" in text:
                locked[0] += 1

    def loop(role: str, seed: int) -> None:
        rng = random.Random(seed)
        user = User(port, role)
        if not user.login():
            with lock:
                errors["login"] += 1
            return
        while time.monotonic() < deadline:
            if role == "researcher":
                pages = [("report", paths["study"])] if paths["study"] else []
            elif role == "beleidsmaker":
                pages = [("municipality", "/insight/municipality/")]
            else:
                t = rng.choice(trajectories) if trajectories else "/"
                pages = [
                    ("home", "/"),
                    ("caseload", "/caseload/"),
                    ("trajectory", t),
                    ("contact post", t + "contacts/new/"),
                ]
            if not pages:
                return
            page, path = rng.choice(pages)
            began = time.perf_counter()
            if page == "contact post":
                status, html, _h = user.request("GET", path)
                form = Fields()
                form.feed(html)
                body = dict(form.values)
                body["notes"] = [MARK]
                body["date"] = [time.strftime("%Y-%m-%d")]
                status, text, _h = user.request("POST", path, body)
                record(
                    page, status if status == 302 else 599 if status == 200 else status, began, text
                )
                if status == 302:
                    with lock:
                        posted[0] += 1
            else:
                status, text, _h = user.request("GET", path)
                record(page, status, began, text)

    threads = [threading.Thread(target=loop, args=(role, n)) for n, role in enumerate(roles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 300)
    return times, errors, posted[0], locked[0]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--server", choices=["prod", "dev", "both"], default="both")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    servers = ["prod", "dev"] if args.server == "both" else [args.server]
    rows = []
    for db in dbs:
        build(db, args.clients, args.rebuild)
        for server in servers:
            port = free_port()
            before = contacts_found(db, args.clients)
            proc = start_server(db, server, args.clients, port)
            try:
                paths = discover(port)
                began = time.perf_counter()
                times, errors, posted, locked = run_users(port, args.users, args.seconds, paths)
                elapsed = time.perf_counter() - began
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
            found = contacts_found(db, args.clients) - before
            total = sum(len(v) for v in times.values())
            for page in sorted(times):
                v = times[page]
                rows.append(
                    (
                        db,
                        server,
                        page,
                        len(v),
                        statistics.median(v),
                        pct(v, 0.95),
                        max(v),
                        errors.get(page, 0),
                    )
                )
            rows.append(
                (
                    db,
                    server,
                    "ALL",
                    total,
                    float("nan"),
                    float("nan"),
                    float("nan"),
                    sum(errors.values()),
                )
            )
            print(
                f"{db}/{server}: {total} requests in {elapsed:.0f} s "
                f"({total / elapsed:.1f}/s); contacts posted {posted}, found {found}; "
                f"'database is locked' shown {locked} times",
                flush=True,
            )
    print(f"\n{args.users} users, {args.seconds:.0f} s each, {args.clients} clients\n")
    print("| db | server | page | n | p50 s | p95 s | max s | errors |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for db, server, page, n, p50, p95, mx, err in rows:
        if page == "ALL":
            continue
        print(f"| {db} | {server} | {page} | {n} | {p50:.2f} | {p95:.2f} | {mx:.2f} | {err} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
