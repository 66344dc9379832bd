"""Exchange of definitions and answers with other tools, free of Django.

``read`` turns a file into one or more definitions plus a loss report; ``write`` turns a
definition into a file plus a loss report. A loss names each part of a definition the
target format cannot hold, so nothing is dropped silently. Every definition that comes
out of ``read`` still has to pass :func:`werkplaats.stats.scoring.parse_definition`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from werkplaats.stats.definition import Definition, Problem, content_hash

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000  # rows per sheet or dictionary: far above any questionnaire, far below a bomb
MAX_COLUMNS = 60
FORMATS = ("yaml", "json", "redcap", "xlsform-xlsx", "xlsform-csv", "fhir")


class FormatError(ValueError):
    """A file that cannot be read as the format it claims; ``problems`` say where."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:20]))


@dataclass(frozen=True)
class Loss:
    """One part of a definition the other side cannot hold (or had to assume)."""

    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}" if self.path else self.what


@dataclass
class ImportResult:
    format: str
    definitions: list[dict[str, Any]]
    losses: list[Loss] = field(default_factory=list)


@dataclass
class ExportResult:
    format: str
    content: bytes
    filename: str
    media_type: str
    losses: list[Loss] = field(default_factory=list)


IF_TERM = re.compile(
    r"^if\((?P<ref>[^=,()]+)=(?P<value>-?\d+),(?P<score>-?\d+(?:\.\d+)?),(?P<rest>.*)\)$"
)


def recode_term(ref: str, table: Mapping[int, float], blank: str) -> str:
    """A recode table as nested ifs: ``if([x]=1,0,if([x]=2,1,""))``; unanswered -> blank."""
    expression = blank
    for value, score in sorted(table.items(), reverse=True):
        expression = f"if({ref}={value},{score:g},{expression})"
    return expression


def parse_recode_term(term: str, blanks: tuple[str, ...]) -> tuple[str, dict[int, float]] | None:
    """The reference and table of a term written by :func:`recode_term`, or None."""
    table: dict[int, float] = {}
    ref = None
    for _depth in range(100):
        match = IF_TERM.match(term)
        if match is None:
            return (ref, table) if ref is not None and term in blanks else None
        if ref is None:
            ref = match["ref"]
        elif ref != match["ref"]:
            return None
        table[int(match["value"])] = float(match["score"])
        term = match["rest"]
    return None


def split_top(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def apply_recode(
    item: dict[str, Any], table: dict[int, float], tables: dict[str, dict[str, float]]
) -> bool:
    """Give an imported item a recode table (named after the item); False on a conflict."""
    values = [o["value"] for o in item["options"]]
    if sorted(table) != sorted(values):
        return False
    wanted = {str(v): s for v, s in table.items()}
    name = item["id"]
    if item.get("reverse") or (item.get("recode") and tables.get(name) != wanted):
        return False
    item["recode"] = name
    tables[name] = wanted
    return True


def slugify(text: str, fallback: str = "instrument") -> str:
    slug = re.sub(r"[^a-z0-9_-]+", "-", text.strip().lower()).strip("-_")[:60]
    return slug or fallback


def imported_version(data: Mapping[str, Any]) -> str:
    """A version label for a definition whose source names none: its content hash."""
    return "imported-" + content_hash({k: v for k, v in data.items() if k != "version"})[:10]


def default_scales(
    items: list[dict[str, Any]], losses: list[Loss], where: str
) -> list[dict[str, Any]]:
    losses.append(
        Loss(
            where, "the source holds no scoring; a plain sum over all items was assumed — check it"
        )
    )
    return [
        {
            "id": "total",
            "label": {"nl": "Totaal", "en": "Total"},
            "method": "sum",
            "items": [i["id"] for i in items],
        }
    ]


def unknown_licence(source: str) -> tuple[dict[str, Any], str]:
    return (
        {
            "code": "other",
            "statement": f"Imported from {source}; the source states no licence. Check it before use.",
            "item_text_included": True,
        },
        f"Not stated in the {source} it was imported from.",
    )


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
    if fmt == "redcap":
        from werkplaats.instruments.formats import redcap

        return redcap.read(content, language)
    if fmt in ("xlsform-xlsx", "xlsform-csv"):
        from werkplaats.instruments.formats import xlsform

        return xlsform.read(content, fmt)
    if fmt == "fhir":
        from werkplaats.instruments.formats import fhir

        return fhir.read(content, language)
    raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


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
    if fmt == "redcap":
        from werkplaats.instruments.formats import redcap

        return redcap.write(definition, language)
    if fmt in ("xlsform-xlsx", "xlsform-csv"):
        from werkplaats.instruments.formats import xlsform

        return xlsform.write(definition, fmt)
    if fmt == "fhir":
        from werkplaats.instruments.formats import fhir

        return fhir.write(definition, language)
    raise FormatError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


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


def common_losses(
    definition: Definition, target: str, *, languages: int, keeps_scoring: bool
) -> list[Loss]:
    """What a target without Werkplaats-specific fields cannot hold."""
    d = definition.data
    losses: list[Loss] = []
    if languages < 2 and len({lang for i in definition.items for lang in i.text}) > 1:
        losses.append(
            Loss("items[*].text", f"{target} holds one language; the other language is left out")
        )
    if d.get("informants") and any(
        (v or {}).get("items") or (v or {}).get("instructions") for v in d["informants"].values()
    ):
        losses.append(Loss("informants", "informant versions (wording per informant) are left out"))
    if not keeps_scoring:
        for s, scale in enumerate(definition.scales):
            if scale.bands:
                losses.append(Loss(f"scales[{s}].bands", "bands and their labels are left out"))
            if scale.norms:
                losses.append(Loss(f"scales[{s}].norms", "norms (SD, reliability) are left out"))
            if scale.min_answered != len(scale.items) or scale.prorate:
                losses.append(
                    Loss(f"scales[{s}]", "the minimum number answered and prorating are left out")
                )
        for key in ("licence", "citation", "notes", "construct"):
            if d.get(key):
                losses.append(Loss(key, f"{target} has no place for the {key}"))
    return losses
