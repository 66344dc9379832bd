"""Every runnable example in the statistics core's docstrings runs and gives what it shows.

Each module's examples are run with :mod:`doctest`; a module whose text holds ``>>>``
lines must run as many examples as it has, so an example cannot silently stop running
(for instance by sitting in a string doctest does not collect).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import werkplaats.stats

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(werkplaats.stats.__path__, prefix="werkplaats.stats.")
)
PROMPT = re.compile(r"^\s*>>> ", re.MULTILINE)


def test_the_examples_are_found() -> None:
    assert (
        sum(
            len(PROMPT.findall(Path(importlib.import_module(m).__file__ or "").read_text()))
            for m in MODULES
        )
        >= 98
    )


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    written = len(PROMPT.findall(Path(module.__file__ or "").read_text(encoding="utf-8")))
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted == written, f"{written} examples written, {result.attempted} ran"
