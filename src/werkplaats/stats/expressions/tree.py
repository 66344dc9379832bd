"""The expression tree, its node builders and the functions each dialect knows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 4000
MAX_DEPTH = 60
DIALECTS = ("werkplaats", "redcap", "xlsform")


class ExpressionError(ValueError):
    """Text that is not an expression of the language (or of the dialect read)."""


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Node:
    kind: str  # num, str, ref, self, call, op, not, neg, bool
    value: Any = None
    args: tuple[Node, ...] = ()


def ref(name: str) -> Node:
    return Node("ref", name)


def const(value: object) -> Node:
    if isinstance(value, bool):
        return Node("bool", value)
    if isinstance(value, int | float):
        return Node("num", value)
    return Node("str", str(value))


def compare(left: Node, op: str, right: Node) -> Node:
    return Node("op", op, (left, right))


def call(name: str, *args: Node) -> Node:
    return Node("call", name, args)


def combine(op: str, parts: Iterable[Node]) -> Node:
    nodes = list(parts)
    if not nodes:
        raise ExpressionError("nothing to combine")
    out = nodes[0]
    for node in nodes[1:]:
        out = Node("op", op, (out, node))
    return out


# functions of the language: name -> (min args, max args)
FUNCTIONS: dict[str, tuple[int, int]] = {
    "selected": (2, 2),
    "count": (1, 1),
    "answered": (1, 1),
    "length": (1, 1),
    "today": (0, 0),
    "now": (0, 0),
    "if": (3, 3),
    "sum": (1, 99),
    "mean": (1, 99),
    "min": (1, 99),
    "max": (1, 99),
    "round": (1, 2),
    "abs": (1, 1),
    "datediff": (3, 4),
    "number": (1, 1),
    "date": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "option": (1, 1),
    "pow": (2, 2),
    "sqrt": (1, 1),
    "exp": (1, 1),
    "log": (1, 2),
    "roundup": (1, 2),
    "rounddown": (1, 2),
    "int": (1, 1),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "median": (1, 99),
    "mod": (2, 2),
}
# dialect function names -> ours
REDCAP_FUNCTIONS = {
    "if": "if",
    "sum": "sum",
    "mean": "mean",
    "min": "min",
    "max": "max",
    "round": "round",
    "abs": "abs",
    "datediff": "datediff",
    "isnumber": None,
    "today": "today",
    "roundup": "roundup",
    "rounddown": "rounddown",
    "sqrt": "sqrt",
    "exp": "exp",
    "log": "log",
    "median": "median",
    "mod": "mod",
}
XLSFORM_FUNCTIONS = {
    "selected": "selected",
    "count-selected": "count",
    "string-length": "length",
    "today": "today",
    "now": "now",
    "if": "if",
    "round": "round",
    "abs": "abs",
    "min": "min",
    "max": "max",
    "number": "number",
    "int": "int",
    "floor": "floor",
    "ceiling": "ceiling",
    "pow": "pow",
    "sqrt": "sqrt",
    "exp": "exp",
    "log": "log",
    "log10": "log",
    "date": "date",
    "true": "true",
    "false": "false",
    "not": "not",
}
