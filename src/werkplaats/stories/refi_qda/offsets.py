"""Offsets in Unicode code points (the standard, and Python) versus UTF-16 code units.

NVivo and the browser's Selection API count UTF-16 code units: a character outside the
Basic Multilingual Plane (an emoji, say) counts as two. Werkplaats stores code points.
"""

from __future__ import annotations


def utf16_to_codepoint(text: str, offset: int) -> int:
    """The code-point offset for a UTF-16 offset into ``text``.

    Raises ValueError when the offset falls outside the text or inside a surrogate pair.

    >>> utf16_to_codepoint("a😀b", 3)
    2
    """
    if offset < 0:
        raise ValueError("negative offset")
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise ValueError("offset falls inside a character")
    if units == offset:
        return len(text)
    raise ValueError("offset beyond the end of the text")


def codepoint_to_utf16(text: str, offset: int) -> int:
    """The UTF-16 offset for a code-point offset into ``text``.

    >>> codepoint_to_utf16("a😀b", 2)
    3
    """
    if not 0 <= offset <= len(text):
        raise ValueError("offset outside the text")
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)
