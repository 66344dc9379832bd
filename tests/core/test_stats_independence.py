"""The statistics core must not import Django (also enforced by import-linter)."""

import ast
from pathlib import Path

import werkplaats.stats

FORBIDDEN = ("django", "axes", "psycopg", "werkplaats.casework", "werkplaats.partnership",
             "werkplaats.programme", "werkplaats.core")


def test_no_module_in_stats_imports_django():
    root = Path(werkplaats.stats.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
