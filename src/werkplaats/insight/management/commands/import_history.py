"""werkplaats import history DIR --organisation NAME: an organisation's history, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from werkplaats.insight.history import HistoryImportError, Progress, import_history


def _bar(stream: Any) -> tuple[Progress, Any]:
    """A progress bar on the terminal (rich); silent when the output is not a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(file=stream),
        transient=False,
        disable=not stream.isatty(),
    )
    tasks: dict[str, Any] = {}

    def progress(label: str, done: int, total: int | None) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total)
        bar.update(tasks[label], completed=done, total=max(total or 0, done) or None)

    return progress, bar


class Command(BaseCommand):
    help = "Import clients, trajectories, contacts, measurements, networks and consents (docs/insight.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--organisation", required=True)
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--update",
            action="store_true",
            help="update clients and trajectories an earlier import wrote, instead of refusing them",
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="queue the import as a task for the worker (see /tasks/) instead of waiting",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the report",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        directory = Path(options["directory"])
        if not directory.is_dir():
            raise CommandError(_("%(path)s is not a folder.") % {"path": directory})
        if options["background"] and not options["dry_run"]:
            from werkplaats.insight.tasks import import_history_in_background

            run = import_history_in_background(
                directory,
                options["organisation"],
                update=options["update"],
                language=options["language"],
            )
            self.stdout.write(
                _(
                    "Queued as task %(id)d (%(status)s); the worker runs it, /tasks/ shows how it ended."
                )
                % {"id": run.pk, "status": run.get_status_display()}
            )
            return
        progress, bar = _bar(sys.stderr)
        try:
            with bar:
                report = import_history(
                    directory,
                    options["organisation"],
                    dry_run=options["dry_run"],
                    update=options["update"],
                    progress=progress,
                )
        except HistoryImportError as exc:
            raise CommandError(exc.report.text()) from exc
        self.stdout.write(
            (_("Checked (nothing written): ") if options["dry_run"] else "") + report.text()
        )
