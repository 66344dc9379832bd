"""Background work: tasks that record who started them and how they ended.

A domain app declares its work in its own ``tasks.py``::

    @background("insight.build_report", retries=2)
    def _build_report(study_id: int, language: str) -> dict:
        ...                                    # returns a small JSON-able result

    def build_report(study_id, *, user=None, language="nl") -> TaskRun:
        return _build_report.start(f"study:{study_id}", study_id, language, user=user)

``start`` records a ``TaskRun`` and queues the work once the surrounding transaction
commits. While a run for the same kind and object is queued or running, ``start``
returns that run instead of queueing a second one. A failure is tried again
``retries`` times (``retry_delay`` seconds apart); after the last the run is
``failed`` and its ``error`` holds the reason, which /tasks/ shows to whoever started it.

Scheduled work uses ``scheduled(crontab(...))``; the worker runs it, one at a time
per task (a lock in the queue's storage), whatever the number of workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from werkplaats.operations.models import TaskRun

logger = logging.getLogger("werkplaats.tasks")

__all__ = ["HUEY", "TaskError", "background", "crontab", "scheduled"]


class TaskError(Exception):
    """A failure whose message is meant for the person who started the task (translated).

    ``retry=False`` for a failure that trying again cannot mend (a study without data,
    an import with rejected rows): the run fails at once.
    """

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TaskError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    # Anything else may carry data in its text: the person sees the kind of error, the
    # worker's log has the rest.
    return f"{type(exc).__name__} (details in the worker's log)"


class Background:
    """A queued function with run records; made by ``@background``."""

    def __init__(self, kind: str, fn: Callable[..., Any], retries: int, retry_delay: int) -> None:
        self.kind = kind
        self.fn = fn
        self.retries = retries

        def execute(run_id: int, *args: Any, **kwargs: Any) -> None:
            self._execute(run_id, args, kwargs)

        execute.__name__ = kind.replace(".", "_")
        self.queued = db_task(retries=retries, retry_delay=retry_delay, name=kind)(execute)

    def start(self, object_key: str, *args: Any, user: Any = None, **kwargs: Any) -> TaskRun:
        """Queue the work for ``object_key`` (or return the run already under way for it)."""
        started_by = user if getattr(user, "is_authenticated", False) else None
        with transaction.atomic():
            active = TaskRun.objects.filter(
                kind=self.kind, object_key=object_key, status__in=TaskRun.ACTIVE
            ).first()
            if active is not None:
                return active
            try:
                with transaction.atomic():
                    run = TaskRun.objects.create(
                        kind=self.kind,
                        object_key=object_key,
                        started_by=started_by,
                        max_attempts=self.retries + 1,
                    )
            except IntegrityError:  # another server started the same work just now
                active = TaskRun.objects.filter(
                    kind=self.kind, object_key=object_key, status__in=TaskRun.ACTIVE
                ).first()
                if active is None:
                    raise
                return active
            transaction.on_commit(lambda: self._enqueue(run, args, kwargs))
        run.refresh_from_db()
        return run

    def _enqueue(self, run: TaskRun, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        result = self.queued(run.pk, *args, **kwargs)
        task_id = getattr(result, "id", "") or ""
        if task_id:
            TaskRun.objects.filter(pk=run.pk, queue_id="").update(queue_id=task_id)

    def _execute(self, run_id: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        run = TaskRun.objects.filter(pk=run_id).first()
        if run is None or run.status in (TaskRun.Status.DONE, TaskRun.Status.FAILED):
            return  # pruned, or finished by an earlier delivery of the same message
        attempt = run.attempts + 1
        TaskRun.objects.filter(pk=run_id).update(
            status=TaskRun.Status.RUNNING, attempts=attempt, started_at=timezone.now()
        )
        try:
            result = self.fn(*args, **kwargs)
        except Exception as exc:
            hopeless = isinstance(exc, TaskError) and not exc.retry
            final = hopeless or attempt >= run.max_attempts
            logger.exception("%s(%s) failed, attempt %d", self.kind, run.object_key, attempt)
            TaskRun.objects.filter(pk=run_id).update(
                status=TaskRun.Status.FAILED if final else TaskRun.Status.RETRYING,
                error=_reason(exc)[:2000],
                finished_at=timezone.now() if final else None,
            )
            if hopeless:
                return
            raise  # the queue tries again while retries remain
        TaskRun.objects.filter(pk=run_id).update(
            status=TaskRun.Status.DONE,
            error="",
            result=result if isinstance(result, dict) else {},
            finished_at=timezone.now(),
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the work here and now (commands, tests); no run record."""
        return self.fn(*args, **kwargs)


def background(
    kind: str, *, retries: int = 2, retry_delay: int = 60
) -> Callable[[Callable[..., Any]], Background]:
    def decorate(fn: Callable[..., Any]) -> Background:
        return Background(kind, fn, retries, retry_delay)

    return decorate


def scheduled(schedule: Callable[..., bool], *, name: str) -> Callable[[Callable[[], Any]], Any]:
    """Work the worker runs on a schedule (``crontab(minute="*/5")``), never twice at once."""

    def decorate(fn: Callable[[], Any]) -> Any:
        def run() -> Any:
            with HUEY.lock_task(f"scheduled:{name}"):
                return fn()

        run.__name__ = name.replace(".", "_")
        task = db_periodic_task(schedule, name=name)(run)
        task.call_local = fn
        return task

    return decorate
