"""No Python file grows past about 500 lines without saying why at its top.

Migrations and the demo generator (one long, linear script that builds the demo workplace)
are exempt. Any other file over the limit must carry, in its first 30 lines, a sentence
starting "Over 500 lines because" — so a long file is a decision someone wrote down, not
an accident.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500
EXEMPT = {Path("src/werkplaats/demo/generator.py")}
REASON = "over 500 lines because"


def _python_files() -> list[Path]:
    files = []
    for folder in ("src", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative in EXEMPT:
                continue
            files.append(path)
    return files


def test_long_files_say_why_at_their_top() -> None:
    unexplained = []
    for path in _python_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > LIMIT and REASON not in "\n".join(lines[:30]).lower():
            unexplained.append(f"{path.relative_to(ROOT)}: {len(lines)} lines")
    assert unexplained == []
