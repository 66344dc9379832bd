"""werkplaats backup DIR: a consistent backup while the application runs (no keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.operations.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database to a new folder: the data, a manifest, never the keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["directory"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Backed up {len(manifest['tables'])} tables, {rows} rows, to {options['directory']}."
            " Keep WERKPLAATS_FIELD_KEY and WERKPLAATS_PSEUDONYM_KEY apart from it."
        )
