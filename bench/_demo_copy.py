"""Running a bench's measuring half in a child process against a copy of the demo database.

The parent parses ``--sqlite PATH`` / ``--postgres NAME``, and for each database starts the
same script again with ``--child``, in production settings with the demo's development keys
(so names can be read); the child prints its result as JSON on its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

PG = "postgres://postgres@127.0.0.1:5432/"


def command_line(
    doc: str | None, child: Callable[[int], None]
) -> tuple[int, list[tuple[str, str]]]:
    """The parent's repeat count and databases; as ``--child``, run ``child`` and exit."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--sqlite", help="path of a copy of the demo's SQLite database")
    parser.add_argument("--postgres", help="name of a copy of the demo's PostgreSQL database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.repeat)
        raise SystemExit(0)
    runs = [
        (db, str(target))
        for db, target in (("sqlite", args.sqlite), ("postgresql", args.postgres))
        if target
    ]
    if not runs:
        parser.error("give --sqlite PATH and/or --postgres NAME")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return args.repeat, runs


def run_child(script: str, db: str, target: str, repeat: int) -> Any:
    """The child's JSON result; its output is shown and the bench stops if it failed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
        "WERKPLAATS_DEBUG": "0",
        "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
        # the demo's development keys, so that names can be read
        "WERKPLAATS_FIELD_KEY": "ZGV2LW9ubHktZmllbGQta2V5LTMyLWJ5dGVzLWxvbmc=",
        "WERKPLAATS_PSEUDONYM_KEY": "dev-only-pseudonym-key-not-for-real-data",
        "WERKPLAATS_ALLOWED_HOSTS": "localhost",
        "WERKPLAATS_SECOND_FACTOR": "0",
        "WERKPLAATS_SSL_REDIRECT": "0",
    }
    env.pop("DATABASE_URL", None)
    if db == "sqlite":
        env["WERKPLAATS_SQLITE_PATH"] = target
        env["WERKPLAATS_DATA_DIR"] = os.path.dirname(target)
    else:
        env["DATABASE_URL"] = PG + target
    with tempfile.TemporaryDirectory() as static:
        env["WERKPLAATS_STATIC_ROOT"] = static
        done = subprocess.run(
            [sys.executable, script, "--child", "--repeat", str(repeat)],
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])
