"""werkplaats restore DIR: restore a backup into an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from werkplaats.operations.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup folder (werkplaats backup) into the configured, empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--ignore-keys",
            action="store_true",
            help="restore although the configured keys are not the backup's",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(options["directory"], ignore_keys=options["ignore_keys"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            f"Restored {len(manifest['tables'])} tables, {rows} rows, from the backup of "
            f"{manifest['created']}; row counts match."
        )
