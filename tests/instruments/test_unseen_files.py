"""Constructs met in public REDCap, XLSForm and FHIR files that the first readers got wrong.

Each test reads a small file written for it (inline, or in ``files/``; no third-party
content) that holds one construct as the public files use it, and checks that it is kept
or named in the loss report, never dropped silently, never a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


from werkplaats.instruments import formats
from werkplaats.stats import expressions
from werkplaats.stats.definition import parse_definition

FILES = Path(__file__).parent / "files"


def _read(
    content: bytes, fmt: str | None = None, filename: str = ""
) -> formats.ImportResult:
    result = formats.read(content, fmt, filename, "nl")
    for data in result.definitions:
        parse_definition(data)  # what the import then checks; raises on a wrong mapping
    return result


def _items(result: formats.ImportResult) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in result.definitions[0]["items"]}


def _losses(result: formats.ImportResult) -> list[str]:
    return [str(loss) for loss in result.losses]


# ---------------------------------------------------------------- the expression language


def test_the_canonical_not_before_a_parenthesis_reads_back() -> None:
    """The writer gives ``not (a and b)``; the reader took ``not (`` for a function call
    outside the canonical list, so an XLSForm constraint ``not(... and ...)`` was
    translated on import and then refused by the definition check."""
    tree = expressions.translate(
        "not(selected(., 'geen') and count-selected(.) > 1)", "xlsform"
    )
    assert tree == 'not (selected(., "geen") and count(.) > 1)'
    node = expressions.parse(tree)
    assert node.kind == "not"
    assert (
        expressions.parse("not ([a] = 1) or [b] = 2").kind == "op"
    )  # (not a=1) or b=2
