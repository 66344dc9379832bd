"""Exchange of definitions and answers with other tools.

``read`` turns a file into one or more definitions plus a loss report; ``write`` turns a
definition into a file plus a loss report. A loss names each part (by row and field) that
the other side cannot hold, so nothing is dropped silently; its text is English in the
code and shown in the reader's language (Dutch or English) through the catalogue. A
reader imports what it can and refuses only a damaged file: cut off mid-row or inside a
quoted cell, not in a text encoding it can read, or too large. Every definition that
comes out of ``read`` still has to pass :func:`werkplaats.stats.definition.parse_definition`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from werkplaats.instruments.formats import fhir, redcap, xlsform
from werkplaats.instruments.formats.common import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    N_,
    OLE2,
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    damaged,
    decode_text,
    imported_version,
    loss,
    read_csv,
)
from werkplaats.stats.definition import Definition

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "N_",
    "ExportResult",
    "FormatError",
    "ImportResult",
    "Loss",
    "damaged",
    "decode_text",
    "detect",
    "imported_version",
    "loss",
    "read",
    "read_csv",
    "write",
]


def detect(filename: str, content: bytes) -> str:
    """Guess the format from the file name and the first bytes."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xls")) or content[:4] in (b"PK\x03\x04", OLE2[:4]):
        return "xlsform-xlsx"  # the reader tells the old .xls (OLE2) from .xlsx by its bytes
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16, as Excel saves "Unicode text"
        head = content[:8192].decode("utf-16", errors="replace").lstrip()
    else:
        head = content[:4096].decode("utf-8-sig", errors="replace").lstrip()
    if head.startswith("<") and "http://hl7.org/fhir" in head:
        return "fhir"  # FHIR's XML form
    if name.endswith(".json") or head.startswith("{"):
        if '"resourceType"' in head:
            return "fhir"
        return "json"
    first = head.splitlines()[0].lower() if head else ""
    if name.endswith((".csv", ".txt", ".tsv")) or "," in first or "\t" in first:
        if "variable / field name" in first or "field type" in first:
            return "redcap"
        if first.startswith(("survey", '"survey"')):
            return "xlsform-csv"
        raise FormatError(
            "a CSV file that is neither a REDCap data dictionary nor an XLSForm in CSV form"
        )
    if head.startswith(("format:", "id:", "---")):
        return "yaml"
    raise FormatError("the format could not be recognised; name it (--format)")


def read(
    content: bytes, fmt: str | None = None, filename: str = "", language: str = "nl"
) -> ImportResult:
    """Read definitions from a file. Raises :class:`FormatError` on anything malformed."""
    if len(content) > MAX_BYTES:
        raise damaged(
            N_("%(file)s is too large: more than %(mb)s MB"),
            file=N_("the file"),
            mb=MAX_BYTES // (1024 * 1024),
        )
    fmt = fmt or detect(filename, content)
    try:
        return _read(content, fmt, language)
    except RecursionError:
        raise damaged(N_("%(file)s nests too deeply"), file=N_("the file")) from None


class _NoAliasLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases: an alias bomb expands to billions of nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&, *) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)


def _read_native(content: bytes, fmt: str) -> dict[str, Any]:
    text = decode_text(content, N_("the file"))
    try:
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise damaged(
            N_("%(file)s is not valid %(format)s (%(error)s); if it was cut off, export it again"),
            where,
            file=N_("the file"),
            format=fmt.upper(),
            error=str(exc).splitlines()[0][:300],
        ) from None
    except RecursionError:
        raise damaged(N_("%(file)s nests too deeply"), file=N_("the file")) from None
    if not isinstance(data, dict):
        raise FormatError("the file must hold one definition (a mapping at the top)")
    return data


def _write_native(definition: Definition, fmt: str, language: str) -> ExportResult:
    if fmt == "yaml":
        text = yaml.safe_dump(definition.data, allow_unicode=True, sort_keys=False, width=100)
        return ExportResult(fmt, text.encode(), f"{definition.id}.yaml", "application/yaml")
    text = json.dumps(definition.data, ensure_ascii=False, indent=2)
    return ExportResult(fmt, text.encode(), f"{definition.id}.json", "application/json")


Reader = Callable[[bytes, str, str], ImportResult]
Writer = Callable[[Definition, str, str], ExportResult]

#: Every format once: its reader, its writer, and whether it needs items (a definition
#: scored only from other data, such as GAS, has none, which a spreadsheet cannot hold).
_TABLE: dict[str, tuple[Reader, Writer, bool]] = {
    "yaml": (lambda c, f, lang: ImportResult(f, [_read_native(c, f)]), _write_native, False),
    "json": (lambda c, f, lang: ImportResult(f, [_read_native(c, f)]), _write_native, False),
    "redcap": (
        lambda c, f, lang: redcap.read(c, lang),
        lambda d, f, lang: redcap.write(d, lang),
        True,
    ),
    "xlsform-xlsx": (xlsform.read, lambda d, f, lang: xlsform.write(d, f), True),
    "xlsform-csv": (xlsform.read, lambda d, f, lang: xlsform.write(d, f), True),
    "fhir": (lambda c, f, lang: fhir.read(c, lang), lambda d, f, lang: fhir.write(d, lang), False),
}
FORMATS = tuple(_TABLE)


def _entry(fmt: str) -> tuple[Reader, Writer, bool]:
    try:
        return _TABLE[fmt]
    except KeyError:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def _read(content: bytes, fmt: str, language: str) -> ImportResult:
    return _entry(fmt)[0](content, fmt, language)


def write(definition: Definition, fmt: str, language: str = "nl") -> ExportResult:
    """Write a definition; the result's ``losses`` list what the format could not hold."""
    _reader, writer, needs_items = _entry(fmt)
    if needs_items and not definition.items:
        raise FormatError(
            loss(
                "",
                N_(
                    "%(instrument)s is scored from other data and has no items; %(format)s cannot hold it"
                ),
                instrument=definition.id,
                format=fmt,
            )
        )
    return writer(definition, fmt, language)
