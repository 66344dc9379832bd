"""The insight app's background work: building a study report (the report page's button).

The run is recorded by the task queue (``operations.TaskRun``); the report page shows its
state and, once done, the stored report. ``werkplaats report study`` builds in the
foreground instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from werkplaats.operations.models import TaskRun
from werkplaats.operations.queue import TaskError, background

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
