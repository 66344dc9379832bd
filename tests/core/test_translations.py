"""The Dutch translation: complete, compiled, and with intact placeholders.

The .po file is read with a small parser of our own (no polib dependency); the compiled
.mo is read with Python's gettext.GNUTranslations, the same format Django loads.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import werkplaats

LC_MESSAGES = Path(werkplaats.__file__).resolve().parent / "locale" / "nl" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")


def _unquote(token: str) -> str:
    assert token.startswith('"') and token.endswith('"'), token
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], token[1:-1])


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)]

    def __str__(self) -> str:
        return f"django.po:{self.line} {self.msgid!r}"


def read_po(path: Path) -> list[Entry]:
    """Parse a .po file into entries; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int | None] | None = None  # which field continuation lines extend
    pending_flags: set[str] = set()

    def value(entry: Entry, key: tuple[str, int | None]) -> str:
        name, idx = key
        return entry.msgstr_plural[idx] if idx is not None else getattr(entry, name) or ""

    def store(entry: Entry, key: tuple[str, int | None], text: str) -> None:
        name, idx = key
        if idx is not None:
            entry.msgstr_plural[idx] = text
        else:
            setattr(entry, name, text)

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, target = None, None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, idx, token = match.groups()
            starts_entry = keyword == "msgctxt" or (
                keyword == "msgid" and (target is None or target[0] != "msgctxt")
            )
            if starts_entry:
                current = Entry(line=lineno, flags=pending_flags)
                pending_flags = set()
                entries.append(current)
            assert current is not None, f"line {lineno}: {raw!r}"
            if idx is not None:
                target = ("msgstr", int(idx))
            else:
                target = (keyword, None)
            store(current, target, _unquote(token))
        elif line.startswith('"'):
            assert current is not None and target is not None, f"line {lineno}: {raw!r}"
            store(current, target, value(current, target) + _unquote(line))
        else:
            raise AssertionError(f"django.po:{lineno}: cannot parse {raw!r}")
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return read_po(PO_PATH)


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_header]


@pytest.fixture(scope="module")
def mo() -> gettext.GNUTranslations:
    with MO_PATH.open("rb") as fh:
        return gettext.GNUTranslations(fh)


def test_po_has_messages(messages: list[Entry]) -> None:
    assert len(messages) > 100
    assert len({(e.msgctxt, e.msgid) for e in messages}) == len(messages), "duplicate msgids"


def test_no_empty_translations(messages: list[Entry]) -> None:
    empty = [str(e) for e in messages if not all(t.strip() for t in e.translations)]
    assert not empty, "untranslated:\n" + "\n".join(empty)


def test_plural_entries_have_both_dutch_forms(messages: list[Entry]) -> None:
    bad = [
        str(e) for e in messages if e.msgid_plural is not None and sorted(e.msgstr_plural) != [0, 1]
    ]
    assert not bad


def test_nothing_is_fuzzy(entries: list[Entry]) -> None:
    fuzzy = [str(e) if not e.is_header else "header" for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy:\n" + "\n".join(fuzzy)


def test_header_declares_dutch(entries: list[Entry]) -> None:
    header = next(e for e in entries if e.is_header).msgstr
    assert "Language: nl\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header


# %(name)s / %(n)d / %s / %d / %.1f ... ; "%%" is a literal percent sign.
_PRINTF = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*\d*(?:\.\d+)?(?P<conv>[diouxXeEfFgGcrsa%])"
)
_BRACES = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z_0-9]*\}")


def placeholders(text: str, printf: bool = True) -> Counter[str]:
    """Placeholders in text; printf ones only where the entry is python-format
    (elsewhere a "%" is just a percent sign)."""
    found: Counter[str] = Counter(_BRACES.findall(text))
    if printf:
        found.update(m.group(0) for m in _PRINTF.finditer(text) if m.group("conv") != "%")
    return found


def test_placeholders_match(messages: list[Entry]) -> None:
    problems = []
    for e in messages:
        printf = "python-format" in e.flags
        if e.msgid_plural is None:
            pairs = [(e.msgid, e.msgstr)]
        else:
            pairs = [
                (e.msgid if i == 0 else e.msgid_plural, text)
                for i, text in sorted(e.msgstr_plural.items())
            ]
        for source, target in pairs:
            if not target:
                continue
            want, got = placeholders(source, printf), placeholders(target, printf)
            if want != got:
                problems.append(f"{e}: {sorted(want)} != {sorted(got)}")
            if not printf:
                continue
            # positional placeholders must also keep their order
            positional = [m.group(0) for m in _PRINTF.finditer(source) if m.group("name") is None]
            if positional and positional != [
                m.group(0) for m in _PRINTF.finditer(target) if m.group("name") is None
            ]:
                problems.append(f"{e}: positional placeholders reordered")
    assert not problems, "\n".join(problems)


def test_python_format_flag_where_needed(messages: list[Entry]) -> None:
    """Strings with %(x)s placeholders are flagged python-format, so msgfmt checks them."""
    missing = [
        str(e)
        for e in messages
        if any(m.group("name") for m in _PRINTF.finditer(e.msgid))
        and "python-format" not in e.flags
    ]
    assert not missing


def test_mo_is_up_to_date(messages: list[Entry], mo: gettext.GNUTranslations) -> None:
    stale = []
    for e in messages:
        key = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
        if e.msgid_plural is None:
            got = mo._catalog.get(key)  # type: ignore[attr-defined]
            if got != e.msgstr:
                stale.append(f"{e}: .mo has {got!r}")
        else:
            for i, text in e.msgstr_plural.items():
                got = mo._catalog.get((key, i))  # type: ignore[attr-defined]
                if got != text:
                    stale.append(f"{e}[{i}]: .mo has {got!r}")
    assert not stale, "recompile with msgfmt:\n" + "\n".join(stale)


def test_mo_has_no_extra_messages(messages: list[Entry], mo: gettext.GNUTranslations) -> None:
    keys = {e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}" for e in messages}
    in_mo = {k[0] if isinstance(k, tuple) else k for k in mo._catalog}  # type: ignore[attr-defined]
    assert in_mo - {""} == keys


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt not installed")
def test_msgfmt_check_passes(tmp_path: Path) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "check.mo"), str(PO_PATH)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("english", "dutch"),
    [
        (
            "This date lies in the future; enter the date it happened.",
            "Deze datum ligt in de toekomst; vul de datum in waarop het gebeurde.",
        ),
        ("Log in", "Inloggen"),
        ("My goals", "Mijn doelen"),
        ("Who may see my data", "Wie mag mijn gegevens zien"),
    ],
)
def test_django_serves_dutch(english: str, dutch: str) -> None:
    from django.utils import translation

    with translation.override("nl"):
        assert translation.gettext(english) == dutch


def test_django_plural() -> None:
    from django.utils import translation

    singular = "%(n)s client has given consent for this study."
    plural = "%(n)s clients have given consent for this study."
    with translation.override("nl"):
        assert translation.ngettext(singular, plural, 1) % {"n": 1} == (
            "1 cliënt heeft toestemming gegeven voor dit onderzoek."
        )
        assert translation.ngettext(singular, plural, 3) % {"n": 3} == (
            "3 cliënten hebben toestemming gegeven voor dit onderzoek."
        )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext's xgettext not installed")
def test_every_translatable_string_is_in_the_catalogue() -> None:
    """A string marked for translation but missing from django.po shows in English."""
    from werkplaats.core.management.commands.catalogue import missing_entries

    missing = missing_entries()
    assert not missing, (
        "run `python3 run.py manage catalogue`, translate the new entries, then msgfmt:\n"
        + "\n\n".join(missing)
    )
