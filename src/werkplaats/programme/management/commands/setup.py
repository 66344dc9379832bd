"""Apply a workplace setup file (docs/setup.md): checked first, then all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from werkplaats.programme import setup_file


class Command(BaseCommand):
    help = "Set up (or bring up to date) a workplace from a YAML file; see docs/setup.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the changes, write nothing"
        )
        parser.add_argument(
            "--language", choices=["nl", "en"], default="nl", help="of messages and invitations"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        try:
            result = setup_file.run(path, dry_run=options["dry_run"], language=options["language"])
        except setup_file.SetupError as exc:
            message = "\n".join(f"{path}:{line}: {text}" for line, text in exc.problems)
            raise CommandError(
                translation.gettext("Nothing was changed. Fix these and run setup again:")
                + "\n"
                + message
            ) from None
        for change in result.changes:
            self.stdout.write(f"  {change}")
        if not result.changes:
            self.stdout.write(
                translation.gettext("Nothing to change: the workplace matches the file.")
            )
        elif options["dry_run"]:
            self.stdout.write(translation.gettext("Dry run: nothing was written."))
        for username, sent in result.invitations:
            if sent.mailed:
                self.stdout.write(
                    translation.gettext("Invitation for %(user)s sent by mail.")
                    % {"user": username}
                )
            else:
                self.stdout.write(
                    translation.gettext(
                        "Invitation for %(user)s (give them this link; it works once): %(url)s"
                    )
                    % {"user": username, "url": sent.url}
                )
