"""Find the translatable strings that the Dutch catalogue lacks, and add them.

``werkplaats manage catalogue`` runs Django's ``makemessages`` on a copy of the source
tree's catalogue (so the committed file keeps its order and references), and appends
every entry the copy has and the committed file lacks, with an empty translation.
``--check`` only lists them and exits 1 when there are any. Fill the new entries, then
compile with ``msgfmt`` (tests/core/test_translations.py checks both files).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

import werkplaats

PACKAGE = Path(werkplaats.__file__).resolve().parent
PO = PACKAGE / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def _blocks(text: str) -> list[str]:
    return [b for b in re.split(r"\n\s*\n", text) if b.strip()]


def _key(block: str) -> tuple[str, str] | None:
    """(msgctxt, msgid) of an entry; None for the header and obsolete entries."""
    lines = [line for line in block.splitlines() if not line.startswith("#~")]
    context, msgid, current = "", "", None
    for line in lines:
        if line.startswith("msgctxt "):
            current, context = "ctx", line[8:].strip()[1:-1]
        elif line.startswith("msgid "):
            current, msgid = "id", line[6:].strip()[1:-1]
        elif line.startswith(("msgstr", "msgid_plural")):
            current = None
        elif line.startswith('"') and current == "id":
            msgid += line.strip()[1:-1]
        elif line.startswith('"') and current == "ctx":
            context += line.strip()[1:-1]
    if not msgid:
        return None
    return context, msgid


def _untranslated(block: str) -> str:
    """The entry with its translation emptied.

    makemessages (msgmerge) guesses a translation for a new string from a similar old
    one and marks it fuzzy; such a guess is often wrong, so it is dropped.
    """
    kept: list[str] = []
    in_msgstr = False
    for line in block.splitlines():
        if line.startswith("#|"):
            continue
        if line.startswith("#,"):
            flags = [f.strip() for f in line[2:].split(",") if f.strip() != "fuzzy"]
            if flags:
                kept.append("#, " + ", ".join(flags))
            continue
        if line.startswith("msgstr"):
            in_msgstr = True
            kept.append(line.split(" ", 1)[0] + ' ""')
            continue
        if in_msgstr and line.startswith('"'):
            continue
        in_msgstr = False
        kept.append(line)
    return "\n".join(kept)


def missing_entries() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "werkplaats"
        shutil.copytree(
            PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static")
        )
        here = os.getcwd()
        try:
            os.chdir(copy.parent)
            call_command("makemessages", locale=["nl"], verbosity=0, no_obsolete=True)
        finally:
            os.chdir(here)
        fresh = (copy / "locale" / "nl" / "LC_MESSAGES" / "django.po").read_text()
    have = {_key(b) for b in _blocks(PO.read_text())}
    return [
        _untranslated(b).replace("#: werkplaats/", "#: src/werkplaats/")
        for b in _blocks(fresh)
        if _key(b) is not None and _key(b) not in have
    ]


class Command(BaseCommand):
    help = "Append the translatable strings missing from the Dutch catalogue (or --check)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="only list them; exit 1 if any")

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        entries = missing_entries()
        for entry in entries:
            self.stdout.write(entry + "\n")
        if check:
            if entries:
                raise CommandError(f"{len(entries)} strings are not in the Dutch catalogue.")
            return
        if entries:
            with PO.open("a", encoding="utf-8") as handle:
                handle.write("\n\n" + "\n\n".join(entries) + "\n")
        self.stdout.write(f"{len(entries)} entries added to {PO}")
