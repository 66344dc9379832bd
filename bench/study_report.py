#!/usr/bin/env python3
"""Benchmark the study report: seconds from request to finished report, per demo size.

    .venv/bin/python bench/study_report.py                 # 1,500 clients
    .venv/bin/python bench/study_report.py 1500 200000
    .venv/bin/python bench/study_report.py 200000 --sqlite /tmp/200k.sqlite3 --build-only
    .venv/bin/python bench/study_report.py 200000 --sqlite /tmp/200k.sqlite3   # measure it
    .venv/bin/python bench/study_report.py 20000 --sqlite /tmp/20k.sqlite3 \
        --src before=/tmp/before/src --src after=src      # another tree's code, side by side

Each size runs in its own process against a fresh temporary SQLite file: migrate, build
the demo (not counted), then time, for the cohort study "Wat werkt voor wie?". With
``--sqlite FILE`` (one size) the demo is built once into FILE (``--build-only``) or read
from a copy of FILE, so a large demo is built once for several measurements; the copy is
migrated to this tree's schema first (not counted). Then:

* ``data``: the plan's analysis data (``dataset.study_data``) alone;
* ``report``: ``werkplaats report study ID`` (data, analyses as the study's plan says, the
  exports in four formats, the codebook, items.csv, estimates.csv, specification.json,
  report.html and report.pdf), as the command does it; the run is stored;
* ``page``: the report page requested through Django's test client as its researcher,
  after the report was built (it shows the latest stored run).

Peak memory is ``ru_maxrss`` of the process (the demo build included). With ``--src
NAME=DIR`` (with ``--sqlite``; repeatable) each measurement runs the ``werkplaats`` package
under DIR against its own fresh copy of FILE, one row per NAME.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(clients: int, seed: int, out: str, *, build: bool = True, only: bool = False) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.test import Client

    import werkplaats
    from werkplaats.demo.generator import build_demo
    from werkplaats.insight.dataset import study_data
    from werkplaats.insight.report import write_report
    from werkplaats.insight.selectors import current_plan
    from werkplaats.programme.models import Study

    began = time.perf_counter()
    if build:
        build_demo(clients, seed=seed, identities=False)
    built = time.perf_counter() - began
    if only:
        print(json.dumps({"clients": clients, "build": built}))
        return
    study = Study.objects.get(title__startswith="Wat werkt")
    researcher = study.researchers.order_by("username").first()
    plan_row = current_plan(study)
    if researcher is None or plan_row is None:
        raise SystemExit(f"The study {study.title!r} has no researcher or no analysis plan.")

    began = time.perf_counter()
    rows = len(study_data(study, plan_row.plan).rows)
    frame_s = time.perf_counter() - began

    began = time.perf_counter()
    folder = write_report(study, Path(out), pdf=True)
    report_s = time.perf_counter() - began

    client = Client()
    client.force_login(researcher)
    pages = []
    for _round in range(2):  # the first request also imports the URL modules
        began = time.perf_counter()
        response = client.get(
            f"/insight/studies/{study.pk}/report/", HTTP_HOST="localhost", secure=True
        )
        pages.append(time.perf_counter() - began)
        assert response.status_code == 200, response.status_code
    page_s, again_s = pages
    print(
        json.dumps(
            {
                "clients": clients,
                "rows": rows,
                "build": built,
                "frame": frame_s,
                "page": page_s,
                "again": again_s,
                "report": report_s,
                "pdf_kib": (folder / "report.pdf").stat().st_size / 1024,
                "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "code": werkplaats.__file__,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1500])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite", help="build the demo into FILE once, or measure a copy of it")
    parser.add_argument("--build-only", action="store_true", help="with --sqlite: build only")
    parser.add_argument(
        "--src", action="append", default=[], help="NAME=DIR: measure the code under DIR"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prebuilt", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.sizes[0], args.seed, args.out, build=not args.prebuilt, only=args.build_only)
        return 0
    if args.sqlite and len(args.sizes) != 1:
        parser.error("--sqlite takes one size")
    if args.src and (not args.sqlite or args.build_only):
        parser.error("--src measures a demo built before: give --sqlite FILE")
    here = Path(__file__).resolve().parent.parent / "src"
    sources = [s.split("=", 1) for s in args.src] or [["now", str(here)]]
    # One static root per code tree: each tree collects its own files (a newer tree may
    # have a file the older one lacks, and the manifest storage refuses a missing file).
    statics = {label: tempfile.TemporaryDirectory() for label, _src in sources}
    print(f"uptime: {_uptime()}")
    print(
        f"{'code':<8} {'clients':>9} {'measurements':>13} {'build s':>8} {'data set s':>10} "
        f"{'report s':>9} {'page s':>8} {'again s':>8} {'PDF KiB':>8} {'peak MiB':>9} "
        f"{'load 1/5':>9}",
        flush=True,
    )
    runs = [(size, label, src) for size in args.sizes for label, src in sources]
    for size, label, src in runs:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "werkplaats.config.settings",
                "WERKPLAATS_DEBUG": "0",
                "WERKPLAATS_ALLOWED_HOSTS": "localhost",
                "WERKPLAATS_SECRET_KEY": "bench-" + "x" * 40,
                # fixed: a demo built once (--sqlite) is read again with the same key
                "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(b"f" * 32).decode(),
                "WERKPLAATS_PSEUDONYM_KEY": "bench-pseudonyms-" + "y" * 32,
                "WERKPLAATS_SQLITE_PATH": str(
                    Path(args.sqlite).resolve()
                    if args.sqlite and args.build_only
                    else Path(tmp) / "bench.sqlite3"
                ),
                "WERKPLAATS_DATA_DIR": tmp,
                # the page is requested as a server outside debug would answer it: over
                # HTTPS, with hashed static files; the test client has no second factor
                "WERKPLAATS_STATIC_ROOT": statics[label].name,
                "WERKPLAATS_SECOND_FACTOR": "0",
                "PYTHONPATH": str(Path(src).resolve()),
            }
            if not any(Path(statics[label].name).iterdir()):
                subprocess.run(
                    [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v0"],
                    env=env,
                    check=True,
                )
            command = [
                sys.executable,
                __file__,
                str(size),
                "--seed",
                str(args.seed),
                "--child",
                "--out",
                str(Path(tmp) / "reports"),
            ]
            if args.sqlite and args.build_only:
                command.append("--build-only")
            elif args.sqlite:
                shutil.copyfile(args.sqlite, Path(tmp) / "bench.sqlite3")
                command.append("--prebuilt")
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            if done.returncode:
                print(done.stdout, done.stderr, file=sys.stderr)
                return done.returncode
            r = json.loads(done.stdout.strip().splitlines()[-1])
            if "code" in r and not r["code"].startswith(str(Path(src).resolve())):
                print(f"{label}: imported {r['code']}, not under {src}", file=sys.stderr)
                return 1
            if args.build_only:
                print(f"# demo of {size:,} clients built into {args.sqlite} in {r['build']:.0f} s")
                continue
            built = "prebuilt" if args.sqlite else f"{r['build']:.1f}"
            print(
                f"{label:<8} {r['clients']:>9,} {r['rows']:>13,} {built:>8} {r['frame']:>10.1f} "
                f"{r['report']:>9.1f} {r['page']:>8.2f} {r['again']:>8.2f} "
                f"{r['pdf_kib']:>8.0f} {r['peak_mib']:>9.0f} {_load():>9}",
                flush=True,
            )
    print(f"uptime: {_uptime()}")
    for static in statics.values():
        static.cleanup()
    return 0


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


if __name__ == "__main__":
    sys.exit(main())
