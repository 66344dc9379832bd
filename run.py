#!/usr/bin/env python3
"""Run Werkplaats from a fresh clone with nothing but Python 3.11.

    python3 run.py demo      # build the demo workplace and serve it at http://127.0.0.1:8000
    python3 run.py test      # run the whole test suite (SQLite)
    python3 run.py test --postgres   # the suite against PostgreSQL at 127.0.0.1:5432
    python3 run.py check     # lint and format (ruff), types (mypy: src, tests and bench), import contracts
    python3 run.py <werkplaats subcommand ...>

The first call creates ``.venv`` and installs the pinned versions from
``requirements.lock``; later calls reinstall only when the lock or pyproject changed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".werkplaats-installed"
PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create the virtual environment and install the locked dependencies if needed."""
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"Werkplaats needs Python 3.11; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    print("Installing the pinned dependencies (requirements.lock) ...", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-r", str(ROOT / "requirements.lock")], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(fingerprint)


def _run(args: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call(args, cwd=ROOT, env={**os.environ, **(env or {})})


def _postgres_reachable(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def run_tests(extra: list[str]) -> int:
    """Import contract first (the statistics core stays Django-free), then pytest."""
    env: dict[str, str] = {}
    if "--postgres" in extra:
        extra = [a for a in extra if a != "--postgres"]
        if not _postgres_reachable():
            if os.environ.get("CI") == "true":
                print("PostgreSQL at 127.0.0.1:5432 does not answer, and CI=true requires it.")
                return 1
            print("SKIPPED: PostgreSQL suite — no server answers at 127.0.0.1:5432.")
            return 0
        env["DATABASE_URL"] = os.environ.get("WERKPLAATS_TEST_DATABASE_URL", PG_URL)
        # A fresh test database per run, so runs never see each other's leftovers.
        env["WERKPLAATS_TEST_DB_NAME"] = f"werkplaats_test_{os.getpid()}"
        extra = ["--create-db", *extra]
        print(f"Running the suite against PostgreSQL ({env['DATABASE_URL']}).", flush=True)
    code = _run([str(BIN / "lint-imports"), "--no-cache"])
    if code:
        return code
    return _run([str(PYTHON), "-m", "pytest", *extra], env)


def run_checks() -> int:
    """Every check, each run even when an earlier one failed, so one run shows all problems."""
    checks = [
        ("ruff check", [str(BIN / "ruff"), "check", "src", "tests", "bench"], {}),
        ("ruff format", [str(BIN / "ruff"), "format", "--check", "src", "tests", "bench"], {}),
        ("mypy", [str(BIN / "mypy"), "src", "tests", "bench"], {"WERKPLAATS_DEBUG": "1"}),
        ("import-linter", [str(BIN / "lint-imports"), "--no-cache", "--no-logo"], {}),
    ]
    failed = []
    for name, args, env in checks:
        print(f"== {name}", flush=True)
        if _run(args, env):
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


def main(argv: list[str]) -> int:
    ensure_environment()
    if not argv:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "test":
        return run_tests(rest)
    if command == "check":
        return run_checks()
    return _run([str(BIN / "werkplaats"), command, *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
