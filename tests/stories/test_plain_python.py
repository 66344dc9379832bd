"""The stories' plain-Python parts import no Django (also enforced by import-linter)."""

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import werkplaats.stories
from werkplaats.stories.refi_qda.offsets import codepoint_to_utf16, utf16_to_codepoint

ROOT = Path(werkplaats.stories.__file__).parent
PLAIN = [
    *sorted((ROOT / "refi_qda").glob("*.py")),
    ROOT / "anonymise.py",
    ROOT / "unitising.py",
    ROOT / "comparison.py",
    ROOT / "extract.py",
]
FORBIDDEN = (
    "django",
    "werkplaats.core",
    "werkplaats.casework",
    "werkplaats.partnership",
    "werkplaats.programme",
    "werkplaats.stories.models",
)


def test_plain_python_parts_import_no_django():
    offenders = []
    for path in PLAIN:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []


@given(st.text(max_size=60), st.data())
def test_utf16_offsets_round_trip(text, data):
    offset = data.draw(st.integers(0, len(text)))
    assert utf16_to_codepoint(text, codepoint_to_utf16(text, offset)) == offset
    assert codepoint_to_utf16(text, len(text)) == len(text.encode("utf-16-le")) // 2
