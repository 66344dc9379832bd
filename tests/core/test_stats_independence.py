"""The statistics core imports neither Django nor another Werkplaats app (also enforced by
import-linter's ``stats`` contract, see test_contracts.py)."""

import ast
from pathlib import Path

import werkplaats.stats

FORBIDDEN = ("django", "axes", "psycopg", "werkplaats.")


def _forbidden(name: str) -> bool:
    return name.startswith(FORBIDDEN) and not name.startswith("werkplaats.stats")


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
            offenders += [f"{path.name}: {n}" for n in names if _forbidden(n)]
    assert offenders == []
