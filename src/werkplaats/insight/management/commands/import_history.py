"""werkplaats import history DIR --organisation NAME: an organisation's history, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.insight.history import HistoryImportError, import_history


class Command(BaseCommand):
    help = "Import clients, trajectories, contacts, measurements and networks (docs/insight.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--organisation", required=True)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder.")
        try:
            report = import_history(directory, options["organisation"], dry_run=options["dry_run"])
        except HistoryImportError as exc:
            raise CommandError(exc.report.text()) from exc
        self.stdout.write(
            ("Checked (nothing written): " if options["dry_run"] else "") + report.text()
        )
