"""Background tasks: one run per object at a time, bounded retries, the reason kept for
whoever started it."""

from __future__ import annotations

import pytest

from werkplaats.operations.models import TaskRun
from werkplaats.operations.queue import TaskError, background

pytestmark = pytest.mark.django_db

calls: list[tuple[str, int]] = []


@background("tests.flaky", retries=2, retry_delay=0)
def flaky(key: str, failures: int) -> dict[str, int]:
    calls.append((key, failures))
    if sum(1 for k, _ in calls if k == key) <= failures:
        raise TaskError(f"not yet ({key})")
    return {"calls": len([c for c in calls if c[0] == key])}


@background("tests.broken", retries=1, retry_delay=0)
def broken() -> None:
    raise KeyError("client 123 secret")


def test_a_run_that_succeeds_records_its_result(django_capture_on_commit_callbacks):
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = flaky.start("a", "a", 0)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.result) == ("done", 1, {"calls": 1})


def test_failures_are_retried_a_bounded_number_of_times(django_capture_on_commit_callbacks):
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = flaky.start("b", "b", 2)
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("done", 3)
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run = flaky.start("c", "c", 5)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == ("failed", 3, "not yet (c)")
    assert len(calls) == 3  # retries=2: three attempts, no more


def test_an_unexpected_error_shows_its_kind_not_its_text(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = broken.start("x")
    run.refresh_from_db()
    assert run.status == "failed"
    assert "KeyError" in run.error and "secret" not in run.error


def test_a_second_start_while_one_is_under_way_returns_the_first(django_user_model):
    # Without executing the on-commit callbacks the first run stays queued.
    first = flaky.start("d", "d", 0)
    second = flaky.start("d", "d", 0)
    assert first.pk == second.pk
    assert TaskRun.objects.filter(kind="tests.flaky", object_key="d").count() == 1
    other = flaky.start("e", "e", 0)
    assert other.pk != first.pk


def test_after_a_run_finished_a_new_one_can_start(django_capture_on_commit_callbacks):
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = flaky.start("f", "f", 0)
    with django_capture_on_commit_callbacks(execute=True):
        second = flaky.start("f", "f", 0)
    assert first.pk != second.pk


def test_the_database_refuses_two_active_runs_for_one_object():
    from django.db import IntegrityError, transaction

    TaskRun.objects.create(kind="k", object_key="o", status="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskRun.objects.create(kind="k", object_key="o", status="queued")
    TaskRun.objects.create(kind="k", object_key="o", status="failed")  # finished ones may pile up
