"""The ``werkplaats`` command: a thin layer over Django's management commands.

werkplaats demo [--clients N] [--seed S] [--no-serve] [--port P]
werkplaats serve [--port P | --bind HOST:PORT] [--no-migrate]
werkplaats worker              the background tasks and the schedule
werkplaats backup DIR          a consistent backup while it runs (never the keys)
werkplaats restore DIR         restore a backup into an empty database
werkplaats migrate
werkplaats setup FILE.yaml [--dry-run] [--language nl|en]
werkplaats createuser USERNAME --role ROLE --organisation NAME [--team NAME]
werkplaats instruments import FILE [--format F] [--organisation NAME] [--dry-run]
werkplaats instruments export ID [--format F] [--version V] [-o FILE]
werkplaats instruments load-library | list
werkplaats plan variables|show|lock STUDY     (STUDY: id or slug of the title)
werkplaats plan set STUDY FILE                (a werkplaats.plan/1 file, YAML or JSON)
werkplaats report study STUDY [-o DIR] [--no-pdf]
werkplaats import history DIR --organisation NAME [--update] [--dry-run]
werkplaats import redcap --dictionary D.csv --records R.csv [--events E.csv] --organisation NAME [--dry-run]
werkplaats import fhir FILE... --organisation NAME [--dry-run]
werkplaats audit verify         check the access log's hash chain
werkplaats manage ARGS...      any Django management command
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _setup(*, debug_default: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "werkplaats.config.settings")
    if debug_default:
        os.environ.setdefault("WERKPLAATS_DEBUG", "1")
    import django

    django.setup()


def _serve(port: int) -> None:
    """The development server with a task worker in the same process (the demo)."""
    from django.core.management import call_command

    from werkplaats.operations import web, worker

    web.warm_up()  # the first page should not wait for the statistics libraries
    consumer = worker.start_in_process()
    print(f"Serving at http://127.0.0.1:{port}/  (Ctrl+C stops)", flush=True)
    try:
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
    finally:
        consumer.stop()


def cmd_demo(args: argparse.Namespace) -> int:
    if not os.environ.get("DATABASE_URL"):
        # The demo has its own database file, rebuilt on every run: same seed, same data.
        data_dir = Path(os.environ.get("WERKPLAATS_DATA_DIR", Path.cwd() / "var"))
        demo_db = data_dir / "demo.sqlite3"
        os.environ.setdefault("WERKPLAATS_SQLITE_PATH", str(demo_db))
        demo_path = Path(os.environ["WERKPLAATS_SQLITE_PATH"])
        for path in (demo_path, demo_path.with_suffix(".tasks.sqlite3")):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    # Links in the demo's messages and its printed one-time link point at this server.
    os.environ.setdefault("WERKPLAATS_BASE_URL", f"http://127.0.0.1:{args.port}")
    _setup(debug_default=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command(
        "build_demo",
        clients=args.clients,
        seed=args.seed,
        replace=bool(os.environ.get("DATABASE_URL")),
    )
    if not args.no_serve:
        _serve(args.port)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from django.conf import settings
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    if not settings.DEBUG:
        # Hashed, compressed copies for WhiteNoise; only changed files are copied again.
        call_command("collectstatic", interactive=False, verbosity=0)
    from werkplaats.operations import web

    bind = args.bind or (f"127.0.0.1:{args.port}" if args.port else None)
    print(f"Serving at http://{bind or settings.WEB_SERVER['bind']}/  (Ctrl+C stops)", flush=True)
    web.run(bind)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from werkplaats.operations import worker

    worker.run(workers=args.threads)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    return _call("backup", str(args.directory))


def cmd_restore(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    return _call("restore", str(args.directory), *(["--ignore-keys"] if args.ignore_keys else []))


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from django.core.management import call_command

    call_command("migrate")
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return _call("setup", *args.rest)


def cmd_createuser(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from django.core.management import call_command

    call_command(
        "createuser",
        args.username,
        role=args.role,
        organisation=args.organisation,
        team=args.team,
    )
    return 0


def cmd_instruments(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("instruments", *args.rest)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _call(name: str, *rest: str) -> int:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command(name, *rest)
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    return _call("report_study", *args.rest)


def cmd_plan(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    return _call("plan", *args.rest)


def cmd_import(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    if args.what in ("redcap", "fhir"):
        return _call("import_answers", args.what, *args.rest)
    return _call("import_history", *args.rest)


def cmd_audit(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    return _call("audit_verify")


def cmd_manage(args: argparse.Namespace) -> int:
    _setup(debug_default=False)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["werkplaats", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="werkplaats", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="build the synthetic demo workplace and serve it")
    demo.add_argument("--clients", type=int, default=1500)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--no-serve", action="store_true")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(func=cmd_demo)
    serve = sub.add_parser("serve", help="serve the application (gunicorn, see docs/deploy.md)")
    serve.add_argument("--port", type=int, help="serve on 127.0.0.1:PORT")
    serve.add_argument("--bind", help="address to listen on (default WERKPLAATS_BIND)")
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not bring the schema up to date first (several web servers, one database)",
    )
    serve.set_defaults(func=cmd_serve)
    work = sub.add_parser("worker", help="run the background tasks and the schedule")
    work.add_argument(
        "--threads", type=int, help="tasks at once (default WERKPLAATS_WORKER_THREADS)"
    )
    work.set_defaults(func=cmd_worker)
    bk = sub.add_parser("backup", help="back up the database to a new folder (docs/deploy.md)")
    bk.add_argument("directory")
    bk.set_defaults(func=cmd_backup)
    rs = sub.add_parser("restore", help="restore a backup folder into an empty database")
    rs.add_argument("directory")
    rs.add_argument("--ignore-keys", action="store_true")
    rs.set_defaults(func=cmd_restore)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        func=cmd_migrate
    )
    setup = sub.add_parser(
        "setup",
        help="set up a workplace from a YAML file: setup FILE.yaml [--dry-run] (docs/setup.md)",
        add_help=False,
    )
    setup.add_argument("rest", nargs=argparse.REMAINDER)
    setup.set_defaults(func=cmd_setup)
    cu = sub.add_parser("createuser", help="create a user with a role in an organisation")
    cu.add_argument("username")
    cu.add_argument("--role", required=True)
    cu.add_argument("--organisation", required=True)
    cu.add_argument("--team")
    cu.set_defaults(func=cmd_createuser)
    instruments = sub.add_parser(
        "instruments",
        help="import or export instrument definitions (REDCap, XLSForm, FHIR, YAML, JSON)",
        add_help=False,
    )
    instruments.add_argument("rest", nargs=argparse.REMAINDER)
    instruments.set_defaults(func=cmd_instruments)
    plan = sub.add_parser(
        "plan", help="a study's analysis plan: variables|set|show|lock STUDY", add_help=False
    )
    plan.add_argument("rest", nargs=argparse.REMAINDER)
    plan.set_defaults(func=cmd_plan)
    report = sub.add_parser("report", help="reports: report study STUDY [-o DIR] [--no-pdf]")
    report_sub = report.add_subparsers(dest="what", required=True)
    study = report_sub.add_parser(
        "study", help="the study report (HTML, PDF, exports)", add_help=False
    )
    study.add_argument("rest", nargs=argparse.REMAINDER)
    study.set_defaults(func=cmd_report)
    imp = sub.add_parser("import", help="imports: import history DIR --organisation NAME")
    imp_sub = imp.add_subparsers(dest="what", required=True)
    history = imp_sub.add_parser(
        "history", help="an organisation's history (docs/insight.md)", add_help=False
    )
    history.add_argument("rest", nargs=argparse.REMAINDER)
    history.set_defaults(func=cmd_import)
    for name, text in (
        ("redcap", "a REDCap project's records: --dictionary D --records R [--events E]"),
        ("fhir", "FHIR QuestionnaireResponses: FILE..."),
    ):
        answers = imp_sub.add_parser(name, help=text, add_help=False)
        answers.add_argument("rest", nargs=argparse.REMAINDER)
        answers.set_defaults(func=cmd_import)
    audit = sub.add_parser("audit", help="the access log: audit verify")
    audit_sub = audit.add_subparsers(dest="what", required=True)
    audit_sub.add_parser("verify", help="check the hash chain").set_defaults(func=cmd_audit)
    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: list[str] | None = None) -> int:
    from werkplaats.config.env import ConfigurationError

    parser = build_parser()
    # A command that passes its arguments on (``rest``) gets them all, also when the first
    # is an option: argparse's REMAINDER leaves a leading option out (``werkplaats import
    # redcap --dictionary D.csv ...`` was refused as an unrecognised argument).
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "rest"):
        args.rest = [*extra, *args.rest]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args.func(args) or 0)
    except ConfigurationError as error:
        # A missing or malformed setting: say which, in both languages, without a traceback.
        print(f"werkplaats: {error.english}\nwerkplaats: {error.dutch}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
