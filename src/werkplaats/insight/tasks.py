"""Insight's background work: study report builds and large history imports.

For the pages (and the analysis-plan work): ``build_report(study_id, user=...)`` queues
a build and returns its ``TaskRun`` at once; a second call while one is queued or
running for the same study returns that same run. When it is done, ``run.result`` holds
``{"path": <report folder>, "report_run": <ReportRun id>}``; when it failed,
``run.error`` says why, in the language the build ran in, and /tasks/ shows it to
whoever started it. A report that cannot be made (no data, ...) fails at once; other
failures are tried twice more, a minute apart.

``import_history_in_background`` queues a history import (``import history --background``).

Each hour the worker renews the caseload's not-on-track references (``insight.on_track``),
so that no page has to compute one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from werkplaats.insight import on_track
from werkplaats.insight.history import HistoryImportError, import_history
from werkplaats.insight.models import ReportRun
from werkplaats.insight.report import ReportError, write_report
from werkplaats.operations.models import TaskRun
from werkplaats.operations.queue import TaskError, background, crontab, scheduled
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study

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


@background("insight.build_report", retries=2, retry_delay=60)
def _build_report(
    study_id: int, user_id: int | None, language: str, pdf: bool, n_boot: int, out_dir: str
) -> dict[str, Any]:
    study = Study.objects.filter(pk=study_id).first()
    if study is None:
        raise TaskError(f"No study with id {study_id}.", retry=False)
    user = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        with translation.override(language):
            folder = write_report(study, Path(out_dir), pdf=pdf, user=user, n_boot=n_boot)
    except ReportError as exc:
        raise TaskError(str(exc), retry=False) from exc
    run = ReportRun.objects.filter(study=study, path=str(folder)).first()
    return {"path": str(folder), "report_run": run.pk if run else None}


def build_report(
    study_id: int,
    *,
    user: Any = None,
    language: str = "nl",
    pdf: bool = True,
    n_boot: int = 500,
    out_dir: str | Path | None = None,
) -> TaskRun:
    """Queue the study report of ``study_id``; see the module docstring."""
    folder = str(out_dir or settings.REPORTS_DIR)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    return _build_report.start(
        f"study:{study_id}", study_id, user_id, language, pdf, n_boot, folder, user=user
    )


KIND = "insight.build_report"


def object_key(study_id: int) -> str:
    return f"study:{study_id}"


def latest_build(study: Any) -> TaskRun | None:
    """The study's latest report build, for the report page."""
    return (
        TaskRun.objects.filter(kind=KIND, object_key=object_key(study.pk)).order_by("-pk").first()
    )


@scheduled(crontab(minute="17"), name="insight.on_track_references")
def refresh_on_track_references() -> int:
    """Renew every organisation's not-on-track reference in the shared cache."""
    return on_track.refresh_references()
