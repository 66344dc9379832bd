"""Exchange of definitions and answers with other tools, free of Django.

``read`` turns a file into one or more definitions plus a loss report; ``write`` turns a
definition into a file plus a loss report. A loss names each part of a definition the
target format cannot hold, so nothing is dropped silently. Every definition that comes
out of ``read`` still has to pass :func:`werkplaats.stats.scoring.parse_definition`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import yaml

from werkplaats.instruments.formats import fhir, redcap, xlsform
from werkplaats.instruments.formats.common import (
    FORMATS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    ExportResult,
    FormatError,
    ImportResult,
    Loss,
    imported_version,
)
from werkplaats.stats.scoring import Definition, Problem

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "ExportResult",
    "FormatError",
    "ImportResult",
    "Loss",
    "detect",
    "imported_version",
    "read",
    "write",
]

Reader = Callable[[bytes, str, str], ImportResult]
Writer = Callable[[Definition, str, str], ExportResult]

# Each format once: how to read it (content, format, language) and how to write it
# (definition, format, language).
CODECS: dict[str, tuple[Reader, Writer]] = {
    "redcap": (lambda c, _f, lang: redcap.read(c, lang), lambda d, _f, lang: redcap.write(d, lang)),
    "xlsform-xlsx": (lambda c, f, _l: xlsform.read(c, f), lambda d, f, _l: xlsform.write(d, f)),
    "xlsform-csv": (lambda c, f, _l: xlsform.read(c, f), lambda d, f, _l: xlsform.write(d, f)),
    "fhir": (lambda c, _f, lang: fhir.read(c, lang), lambda d, _f, lang: fhir.write(d, lang)),
}


def detect(filename: str, content: bytes) -> str:
    """Guess the format from the file name and the first bytes."""
    name = filename.lower()
    if name.endswith(".xlsx") or content[:4] == b"PK\x03\x04":
        return "xlsform-xlsx"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    head = content[:4096].decode("utf-8-sig", errors="replace").lstrip()
    if name.endswith(".json") or head.startswith("{"):
        if '"resourceType"' in head:
            return "fhir"
        return "json"
    first = head.splitlines()[0].lower() if head else ""
    if name.endswith(".csv") or "," in first:
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
        raise FormatError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    fmt = fmt or detect(filename, content)
    try:
        return _read(content, fmt, language)
    except RecursionError:
        raise FormatError("the file nests too deeply") from None


def _read(content: bytes, fmt: str, language: str) -> ImportResult:
    if fmt in ("yaml", "json"):
        return ImportResult(fmt, [_read_native(content, fmt)])
    if fmt not in CODECS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return CODECS[fmt][0](content, fmt, language)


def write(definition: Definition, fmt: str, language: str = "nl") -> ExportResult:
    """Write a definition; the result's ``losses`` list what the format could not hold."""
    if not definition.items and fmt in ("redcap", "xlsform-xlsx", "xlsform-csv"):
        raise FormatError(
            f"{definition.id} is scored from other data and has no items; {fmt} cannot hold it"
        )
    if fmt == "yaml":
        text = yaml.safe_dump(definition.data, allow_unicode=True, sort_keys=False, width=100)
        return ExportResult(fmt, text.encode(), f"{definition.id}.yaml", "application/yaml")
    if fmt == "json":
        text = json.dumps(definition.data, ensure_ascii=False, indent=2)
        return ExportResult(fmt, text.encode(), f"{definition.id}.json", "application/json")
    if fmt not in CODECS:
        raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return CODECS[fmt][1](definition, fmt, language)


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
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError("the file is not UTF-8 text") from None
    try:
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise FormatError(
            [Problem(where, f"not valid {fmt.upper()}: {exc}".splitlines()[0])]
        ) from None
    except RecursionError:
        raise FormatError("the file nests too deeply") from None
    if not isinstance(data, dict):
        raise FormatError("the file must hold one definition (a mapping at the top)")
    return data
