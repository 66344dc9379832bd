"""The task worker: ``werkplaats worker`` in production, a thread of ``werkplaats demo``.

It runs the queued tasks of every app (each app's ``tasks.py``) and the scheduled ones.
"""

from __future__ import annotations

import logging
import signal
from typing import Any

from django.conf import settings
from django.utils.module_loading import autodiscover_modules


def _consumer(workers: int | None = None) -> Any:
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")
    huey_settings: dict[str, Any] = settings.HUEY
    options: dict[str, Any] = {**huey_settings["consumer"]}
    if workers is not None:
        options["workers"] = workers
    # A worker that was killed may have left the lock of a scheduled task behind.
    HUEY.flush_locks()
    return HUEY.create_consumer(**options)


def _log_to_console() -> None:
    logger = logging.getLogger("huey")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def run(workers: int | None = None) -> None:
    """Run until SIGINT or SIGTERM (a graceful stop lets running tasks finish)."""
    from werkplaats.operations.tasks import beat

    _log_to_console()
    consumer = _consumer(workers)
    beat()  # heard from at once, not only at the first full minute
    consumer.run()


def start_in_process(workers: int = 1) -> Any:
    """Start the worker's threads beside the development server; returns the consumer
    (call ``.stop()`` on it). The server keeps its own Ctrl+C handling."""
    from werkplaats.operations.tasks import beat

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = _consumer(workers)
    consumer.start()
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    beat()
    return consumer
