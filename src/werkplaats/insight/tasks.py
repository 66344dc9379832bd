"""Insight's background work: study report builds and history imports.

For the pages (and the analysis-plan work): ``build_report(study_id, user=...)`` queues
a build and returns its ``TaskRun`` at once; a second call while one is queued or
running for the same study returns that same run. When it is done, ``run.result`` holds
``{"path": <report folder>, "report_run": <ReportRun id>}``; when it failed,
``run.error`` says why, in the language the build ran in, and /tasks/ shows it to
whoever started it. A report that cannot be made (no data, ...) fails at once; other
failures are tried twice more, a minute apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from werkplaats.insight.history import HistoryImportError
from werkplaats.insight.history import import_history as _import_history
from werkplaats.insight.models import ReportRun
from werkplaats.insight.report import ReportError, write_report
from werkplaats.operations.models import TaskRun
from werkplaats.operations.queue import TaskError, background
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study


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
    folder = str(out_dir or settings.WERKPLAATS_REPORTS_DIR)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    return _build_report.start(
        f"study:{study_id}", study_id, user_id, language, pdf, n_boot, folder, user=user
    )


@background("insight.import_history", retries=0)
def _import(directory: str, organisation: str) -> dict[str, Any]:
    try:
        report = _import_history(Path(directory), organisation)
    except HistoryImportError as exc:
        raise TaskError(exc.report.text(), retry=False) from exc
    return {"created": report.created}


def import_history(directory: str | Path, organisation: str, *, user: Any = None) -> TaskRun:
    """Queue an organisation's history import (all or nothing; the rejected rows are the
    run's error). Not retried: a second try would meet the same rows."""
    return _import.start(f"history:{organisation}", str(directory), organisation, user=user)
