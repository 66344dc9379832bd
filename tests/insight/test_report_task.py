"""The report build as a background task: the API the report page calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.programme.factories import StudyFactory
from werkplaats.insight.tasks import build_report

pytestmark = pytest.mark.django_db


def test_a_missing_study_fails_at_once_with_the_reason(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = build_report(999999)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.kind) == ("failed", 1, "insight.build_report")
    assert "999999" in run.error


def test_a_report_that_cannot_be_made_fails_once_with_its_reason(
    django_capture_on_commit_callbacks, monkeypatch
):
    from werkplaats.insight import tasks
    from werkplaats.insight.report import ReportError

    calls = []

    def refuse(*args, **kwargs):
        calls.append(1)
        raise ReportError("Deze studie heeft nog geen metingen.")

    monkeypatch.setattr(tasks, "write_report", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        run = build_report(StudyFactory().pk, pdf=False)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (
        "failed",
        1,
        "Deze studie heeft nog geen metingen.",
    )
    assert len(calls) == 1  # not retried: trying again cannot help


def test_a_passing_failure_waits_for_its_retry(django_capture_on_commit_callbacks, monkeypatch):
    from werkplaats.insight import tasks

    def flaky(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tasks, "write_report", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        run = build_report(StudyFactory().pk)
    run.refresh_from_db()
    # Tried once; the queue holds the retry a minute later (three attempts at most).
    assert (run.status, run.attempts, run.max_attempts) == ("retrying", 1, 3)
    assert run.error == "OSError (details in the worker's log)"


def test_a_second_request_while_one_is_queued_returns_the_same_run():
    study = StudyFactory()
    assert build_report(study.pk).pk == build_report(study.pk).pk


def test_a_build_without_a_folder_writes_under_the_one_reports_setting(
    django_capture_on_commit_callbacks, monkeypatch, settings, tmp_path
):
    """REPORTS_DIR is the one setting (environment variable WERKPLAATS_REPORTS_DIR): the
    background build writes where the report page's builds go."""
    from werkplaats.insight import tasks
    from werkplaats.insight.report import ReportError

    seen = []

    def record(study, out_dir, **kwargs):
        seen.append(Path(out_dir))
        raise ReportError("stop here")

    settings.REPORTS_DIR = tmp_path / "one-place"
    monkeypatch.setattr(tasks, "write_report", record)
    with django_capture_on_commit_callbacks(execute=True):
        build_report(StudyFactory().pk, pdf=False)
    assert seen == [tmp_path / "one-place"]
    assert not hasattr(settings, "WERKPLAATS_REPORTS_DIR")
