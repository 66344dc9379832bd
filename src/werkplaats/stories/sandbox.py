"""Reading an uploaded file in a child process with CPU-time and memory limits.

A hostile PDF (100,000 empty pages, deeply nested objects) can keep a parser busy for a
minute and take hundreds of megabytes; in the web server that blocks a worker and, three
at once, its memory. So ``extract_text`` runs in ``python -m werkplaats.stories.sandbox``
with ``resource.setrlimit``: ``RLIMIT_CPU`` (seconds of CPU), ``RLIMIT_AS`` (address
space) and a wall-clock timeout. The child answers with JSON on stdout; a child that hits
a limit is refused with a message. Plain Python, no Django (docs/security.md).
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from werkplaats.stories.refi_qda.errors import RefiQdaError, _

CPU_SECONDS = 20
MEMORY_MB = 768
WALL_SECONDS = 60
TARGET = "werkplaats.stories.extract:extract_text"


def _limits(cpu_seconds: int, memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        memory = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def run_limited(
    filename: str,
    data: bytes,
    *,
    target: str = TARGET,
    cpu_seconds: int = CPU_SECONDS,
    memory_mb: int = MEMORY_MB,
    wall_seconds: int = WALL_SECONDS,
) -> str:
    """``target(filename, data)`` in a limited child process; its text or RefiQdaError."""
    header = json.dumps({"target": target, "filename": filename}).encode() + b"\n"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "werkplaats.stories.sandbox"],
            input=header + data,
            capture_output=True,
            timeout=wall_seconds,
            preexec_fn=_limits(cpu_seconds, memory_mb),  # noqa: PLW1509 (no threads here)
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RefiQdaError(
            _("Reading the file took too long (more than %(s)d seconds); it was refused."),
            s=wall_seconds,
        ) from exc
    try:
        answer = json.loads(done.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict):
        raise RefiQdaError(
            _(
                "Reading the file took too much time or memory, so it was refused. Save it "
                "again (e.g. as a smaller PDF or as .docx) and try again."
            )
        )
    if "error" in answer:
        raise RefiQdaError(str(answer["error"]), **dict(answer.get("params") or {}))
    return str(answer["text"])


def _main() -> int:
    stream = sys.stdin.buffer
    header = json.loads(stream.readline())
    data = stream.read()
    module, _sep, name = str(header["target"]).partition(":")
    fn: Callable[[str, bytes], Any] = getattr(importlib.import_module(module), name)
    try:
        answer: dict[str, Any] = {"text": fn(str(header["filename"]), data)}
    except RefiQdaError as exc:
        answer = {"error": exc.message, "params": exc.params}
    except MemoryError:
        return 3
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
