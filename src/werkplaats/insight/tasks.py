"""Insight's background work: building a study report (the report page's button) and a
large history import (``import history --background``).

Each run is recorded by the task queue (``operations.TaskRun``); the report page shows the
build's state and, once done, the stored report. ``werkplaats report study`` builds in the
foreground instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
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


KIND = "insight.build_report"


def object_key(study_id: int) -> str:
    return f"study:{study_id}"


@background(KIND, retries=0)
def _build_report(study_id: int, user_id: int | None, language: str) -> dict[str, Any]:
    from werkplaats.insight.report import ReportError, write_report
    from werkplaats.partnership.models import User
    from werkplaats.programme.models import Study

    study = Study.objects.get(pk=study_id)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    with translation.override(language):
        try:
            folder = write_report(study, Path(settings.REPORTS_DIR), pdf=False, user=user)
        except ReportError as exc:
            raise TaskError(str(exc)) from exc
    return {"folder": folder.name}


def build_report(study: Any, *, user: Any, language: str) -> TaskRun:
    """Queue a new build of the study's report (or return the one under way)."""
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    return _build_report.start(object_key(study.pk), study.pk, user_id, language, user=user)


def latest_build(study: Any) -> TaskRun | None:
    return (
        TaskRun.objects.filter(kind=KIND, object_key=object_key(study.pk)).order_by("-pk").first()
    )
