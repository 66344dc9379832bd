"""Insight's background work: a large history import as a task (``import history --background``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from werkplaats.insight.history import HistoryImportError, import_history
from werkplaats.operations.models import TaskRun
from werkplaats.operations.queue import TaskError, background

REPORT_FILE = "import-report.txt"
SHOWN_ROWS = 20


@background("insight.import_history", retries=0)
def _import_history(
    directory: str, organisation: str, update: bool, language: str
) -> dict[str, Any]:
    """Run the import; on rejected rows, the whole report goes to a file in the directory
    (a task's error holds at most 2,000 characters) and the error names it."""
    with translation.override(language):
        try:
            report = import_history(Path(directory), organisation, update=update)
        except HistoryImportError as exc:
            text = exc.report.text()
            path = Path(directory) / REPORT_FILE
            path.write_text(text + "\n", encoding="utf-8")
            lines = text.splitlines()
            shown = "\n".join(lines[: SHOWN_ROWS + 1])
            if len(lines) > SHOWN_ROWS + 1:
                shown += "\n…"
            raise TaskError(
                _("%(report)s\nEvery rejected row is listed in %(path)s.")
                % {"report": shown, "path": path}
            ) from None
        return {"created": report.created, "updated": report.updated, "text": report.text()}


def import_history_in_background(
    directory: Path,
    organisation: str,
    *,
    update: bool = False,
    language: str = "nl",
    user: Any = None,
) -> TaskRun:
    """Queue the import (one at a time per organisation); the worker runs it."""
    return _import_history.start(
        f"history:{organisation}"[:80],
        str(Path(directory).resolve()),
        organisation,
        update,
        language,
        user=user,
    )
