"""What the format modules share: limits, results and losses, errors, and the helpers for
recoding, scales and licences. Free of Django, like the rest of ``formats``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkplaats.stats.scoring import Definition, Problem, content_hash

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
