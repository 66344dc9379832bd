"""Units formed from the text, on which agreement is computed.

The unit is a sentence (ending in . ! ? or a line break) or a paragraph (separated by a
blank line). A coder "applied code C to a unit" when one of their segments with code C
overlaps that unit by at least one character. Plain Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n+")
PARAGRAPH_END = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Unit:
    start: int
    end: int


def split_units(text: str, mode: str = "sentence") -> list[Unit]:
    """Non-empty units, with surrounding whitespace left out.

    >>> [(u.start, u.end) for u in split_units("Ja. Nee!  Misschien")]
    [(0, 3), (4, 8), (10, 19)]
    """
    if mode not in {"sentence", "paragraph"}:
        raise ValueError(f"Unknown unitising: {mode!r}.")
    pattern = SENTENCE_END if mode == "sentence" else PARAGRAPH_END
    units = []
    position = 0
    for match in pattern.finditer(text):
        units.append((position, match.start()))
        position = match.end()
    units.append((position, len(text)))
    result = []
    for start, end in units:
        chunk = text[start:end]
        stripped = chunk.strip()
        if not stripped:
            continue
        lead = len(chunk) - len(chunk.lstrip())
        result.append(Unit(start + lead, start + lead + len(stripped)))
    return result


def units_coded(units: Sequence[Unit], segments: Iterable[tuple[int, int]]) -> list[bool]:
    """For each unit: does any of these (start, end) segments overlap it?"""
    spans = list(segments)
    return [any(s < u.end and e > u.start for s, e in spans) for u in units]
