#!/usr/bin/env python3
"""Benchmark the demo build: clients, rows, seconds and peak memory per size.

    .venv/bin/python bench/demo_build.py                  # 1,500 clients
    .venv/bin/python bench/demo_build.py 1500 20000 200000
    .venv/bin/python bench/demo_build.py 200000 --no-identities

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
    args = parser.parse_args()
    if args.child:
        child(args.sizes[0], args.seed, not args.no_identities)
        return 0
    print(f"{'clients':>9} {'rows':>11} {'seconds':>9} {'rows/s':>9} {'peak MiB':>9}  identities")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
                "WERKPLAATS_DEBUG": "0",
                "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
                "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
                "WERKPLAATS_SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"),
                "WERKPLAATS_DATA_DIR": tmp,
            }
            command = [sys.executable, __file__, str(size), "--seed", str(args.seed), "--child"]
            if args.no_identities:
                command.append("--no-identities")
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                print(done.stdout, done.stderr, file=sys.stderr)
                return done.returncode
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{r['clients']:>9,} {r['rows']:>11,} {r['seconds']:>9.1f} "
                f"{r['rows'] / r['seconds']:>9,.0f} {r['peak_mib']:>9.0f}  "
                f"{'no' if args.no_identities else 'yes'}",
                flush=True,
            )
            if args.verbose:
                for key, value in r["counts"].items():
                    print(f"{'':>11}{key:<26} {value:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
