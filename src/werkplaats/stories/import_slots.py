"""At most ``STORY_IMPORTS_PER_USER`` uploads read at once per person (docs/security.md).

Each upload holds one slot: an exclusive ``flock`` on a small file under
``DATA_DIR/locks/``, so the limit holds across the web server's processes on this
machine, and a slot frees itself when its process ends, however it ends.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


class ImportsBusy(Exception):
    """This person already has as many uploads being read as allowed."""


@contextmanager
def import_slot(user_id: int) -> Iterator[None]:
    folder = Path(settings.DATA_DIR) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(max(1, int(getattr(settings, "STORY_IMPORTS_PER_USER", 1)))):
        fd = os.open(folder / f"story-import-{user_id}-{n}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    raise ImportsBusy
