"""The import contracts in pyproject.toml hold today, and each one breaks on a planted import.

Each plant copies the package's Python files to a temporary folder, adds one forbidden
import *inside a function* (where imports used to hide), and runs import-linter on the
copy for that one contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

PLANTS = [
    # (contract, file that gets the import, the import)
    ("layers", "core/audit.py", "from werkplaats.portal import views"),
    ("layers", "casework/selectors.py", "from werkplaats.measurements import selectors"),
    ("layers", "programme/selectors.py", "from werkplaats.stories import selectors"),
    ("layers", "core/audit.py", "from werkplaats.partnership import models"),
    ("stats", "stats/gas.py", "from werkplaats.insight import analysis"),
    ("stats", "stats/sdc.py", "import django.db"),
    ("plain-python", "insight/analysis.py", "from werkplaats.insight import models"),
    ("plain-python", "instruments/formats/redcap/reader.py", "import django.utils.html"),
    ("plain-python", "stories/anonymise.py", "from werkplaats.casework import models"),
]


def _python_only(folder: str, names: list[str]) -> set[str]:
    return {
        n
        for n in names
        if n == "__pycache__" or (not n.endswith(".py") and not Path(folder, n).is_dir())
    }


@pytest.fixture(scope="module")
def copy_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("contracts")
    shutil.copytree(ROOT / "src" / "werkplaats", root / "src" / "werkplaats", ignore=_python_only)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _lint(root: Path, contract: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract, "pyproject.toml"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_contract_holds_on_the_tree() -> None:
    result = _lint(ROOT, "layers")
    assert result.returncode == 0, result.stdout
    for contract in ("stats", "plain-python"):
        assert _lint(ROOT, contract).returncode == 0


@pytest.mark.parametrize(("contract", "target", "statement"), PLANTS)
def test_a_planted_import_inside_a_function_breaks_the_contract(
    copy_root: Path, contract: str, target: str, statement: str
) -> None:
    path = copy_root / "src" / "werkplaats" / target
    original = path.read_text(encoding="utf-8")
    assert _lint(copy_root, contract).returncode == 0  # the unplanted copy passes
    planted = f"{original.rstrip()}\n\n\ndef _planted() -> None:\n    {statement}\n"
    line = planted.count("\n")  # the import is the last line
    try:
        path.write_text(planted, encoding="utf-8")
        result = _lint(copy_root, contract)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout
    assert "BROKEN" in result.stdout
    # The report names the planted line: "werkplaats.stats.gas -> werkplaats.insight... (l.N)".
    importer = "werkplaats." + target.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> " in result.stdout
    assert f"(l.{line})" in result.stdout
