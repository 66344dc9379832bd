"""Reading what a page or a message says, for the tests."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path


def found(pattern: str, text: str, group: int = 1, flags: int = 0) -> str:
    """The ``group`` of the first match of ``pattern`` in ``text``; no match fails the test."""
    match = re.search(pattern, text, flags)
    assert match is not None, f"{pattern!r} not found in {text[:500]!r}"
    return match.group(group)


def mails_in(folder: Path) -> list[EmailMessage]:
    """The messages the folder mail backend wrote (one .eml file each), oldest name first."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]
