"""Recode tables and scale calculations as spreadsheet formulas: how REDCap ``calc`` and
XLSForm ``calculate`` fields carry a scale's scoring, written and read back."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from werkplaats.instruments.formats.common import N_, Loss, loss, slugify
from werkplaats.stats.definition import Definition

IF_TERM = re.compile(
    r"^if\((?P<ref>[^=,()]+)=(?P<value>-?\d+|'[^']*'|\"[^\"]*\"),"
    r"(?P<score>-?\d+(?:\.\d+)?),(?P<rest>.*)\)$"
)


def _code_literal(code: object) -> str:
    return str(code) if isinstance(code, int) else "'" + str(code).replace("'", "") + "'"


def recode_term(ref: str, table: Mapping[Any, float], blank: str) -> str:
    """A recode table as nested ifs: ``if([x]=1,0,if([x]=2,1,""))``; unanswered -> blank."""
    expression = blank
    for value, score in sorted(table.items(), key=lambda kv: str(kv[0]), reverse=True):
        expression = f"if({ref}={_code_literal(value)},{score:g},{expression})"
    return expression


def parse_recode_term(term: str, blanks: tuple[str, ...]) -> tuple[str, dict[Any, float]] | None:
    """The reference and table of a term written by :func:`recode_term`, or None."""
    table: dict[Any, float] = {}
    ref = None
    for _depth in range(100):
        match = IF_TERM.match(term)
        if match is None:
            return (ref, table) if ref is not None and term in blanks else None
        if ref is None:
            ref = match["ref"]
        elif ref != match["ref"]:
            return None
        raw = match["value"]
        table[raw[1:-1] if raw[:1] in "'\"" else int(raw)] = float(match["score"])
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
    item: dict[str, Any], table: dict[Any, float], tables: dict[str, dict[str, float]]
) -> bool:
    """Give an imported item a recode table (named after the item); False on a conflict."""
    values = [str(o["value"]) for o in item.get("options") or []]
    if sorted(str(k) for k in table) != sorted(values):
        return False
    wanted = {str(v): s for v, s in table.items()}
    name = slugify(item["id"], "item")
    if item.get("reverse") or (item.get("recode") and tables.get(name) != wanted):
        return False
    item["recode"] = name
    tables[name] = wanted
    return True


def scale_terms(
    definition: Definition,
    s: int,
    target: str,
    ref: Callable[[str], str],
    blank: str,
    minus: str,
    losses: list[Loss],
) -> list[str] | None:
    """The terms of scale ``s`` as a spreadsheet calculation (REDCap ``calc``, XLSForm
    ``calculate``): a recoded or option-scored item as nested ifs, a reversed item as
    ``(min+max-x)``, any other item as itself. None for a GAS scale, with its loss."""
    scale = definition.scales[s]
    if scale.method == "gas":
        losses.append(
            loss(
                f"scales[{s}]",
                N_("a GAS T-score is computed from goals; %(target)s cannot"),
                target=target,
            )
        )
        return None
    terms = []
    for item_id in scale.items:
        item = definition.item(item_id)
        if item.recode is not None or (
            item.is_choice and any(o.score is not None for o in item.options)
        ):
            table = {o.value: item.item_score(o.value) for o in item.options}
            terms.append(recode_term(ref(item_id), table, blank))
        elif item.reverse:
            scores = [item.base_score(o) or 0 for o in item.options]
            terms.append(f"({min(scores) + max(scores):g}{minus}{ref(item_id)})")
        else:
            terms.append(ref(item_id))
    return terms
