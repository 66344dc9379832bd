"""Evaluating a tree against answers (a walk over the nodes, never ``eval``)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping
from typing import Any

from werkplaats.stats.expressions.tree import (
    ExpressionError,
    Node,
)

# ---------------------------------------------------------------- evaluation


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip().replace(",", ".")) if value.strip() else None
        except ValueError:
            return None
        return number if number is not None and math.isfinite(number) else None
    return None


def _empty(value: object) -> bool:
    return value is None or value == "" or value == []


def _equal(a: object, b: object) -> bool:
    if _empty(a) or _empty(b):
        return _empty(a) and _empty(b)
    if isinstance(a, list) or isinstance(b, list):
        return False
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb
    return str(a) == str(b)


def _order(a: object, b: object) -> tuple[Any, Any] | None:
    if _empty(a) or _empty(b) or isinstance(a, list) or isinstance(b, list):
        return None
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na, nb
    return str(a), str(b)


def _truth(value: object) -> bool:
    if _empty(value):
        return False
    if isinstance(value, bool):
        return value
    number = _number(value)
    if number is not None:
        return number != 0
    return True


def _date(value: object, today: dt.date | None = None) -> dt.date | None:
    if isinstance(value, str) and value.strip().lower() == "today" and today is not None:
        return today
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


EPOCH = dt.date(1970, 1, 1)


def _operand(value: object) -> float | None:
    """A value in arithmetic: a number, or a date as its days since 1970-01-01 (as ODK
    reads ``today() - ${birth}``), else no value."""
    number = _number(value)
    if number is None and isinstance(value, str | dt.date):
        day = _date(value)
        if day is not None:
            return float((day - EPOCH).days)
    return number


def _log(x: float, base: float = math.e) -> float:
    if base == 10:
        return math.log10(x)
    return math.log2(x) if base == 2 else math.log(x, base)


def _pow(x: float, y: float) -> float:
    result = x**y
    if isinstance(result, complex):
        raise ValueError("a negative number to a fractional power")
    return float(result)


# functions of numbers; a value outside a function's domain gives no value
MATHS: dict[str, Any] = {
    "pow": _pow,
    "sqrt": math.sqrt,
    "exp": math.exp,
    "log": _log,
    "int": lambda x: float(math.trunc(x)),
    "floor": lambda x: float(math.floor(x)),
    "ceiling": lambda x: float(math.ceil(x)),
}


def _round(number: float, digits: int, how: str) -> float:
    """``round`` halves away from zero (REDCap, ODK), not to even as Python's ``round``;
    ``roundup`` rounds away from zero and ``rounddown`` towards it (REDCap's, Excel's)."""
    mode = {
        "round": decimal.ROUND_HALF_UP,
        "roundup": decimal.ROUND_UP,
        "rounddown": decimal.ROUND_DOWN,
    }[how]
    digits = max(-15, min(15, digits))
    # the shortest decimal that reads back as the float: 2.675 is 2.675, not 2.67499999...
    value = decimal.Decimal(repr(number))
    try:
        return float(value.quantize(decimal.Decimal(1).scaleb(-digits), rounding=mode))
    except decimal.InvalidOperation:
        return number  # more digits than a float holds: already whole at that place


class _Evaluator:
    def __init__(self, answers: Mapping[str, object], own: object, today: dt.date) -> None:
        self.answers = answers
        self.own = own
        self.today = today

    def run(self, node: Node) -> Any:  # noqa: C901 - one dispatch over node kinds
        kind = node.kind
        if kind in ("num", "str", "bool"):
            return node.value
        if kind == "ref":
            return self.answers.get(node.value)
        if kind == "self":
            return self.own
        if kind == "not":
            return not _truth(self.run(node.args[0]))
        if kind == "neg":
            number = _number(self.run(node.args[0]))
            return None if number is None else -number
        if kind == "op":
            op = node.value
            if op == "and":
                return _truth(self.run(node.args[0])) and _truth(self.run(node.args[1]))
            if op == "or":
                return _truth(self.run(node.args[0])) or _truth(self.run(node.args[1]))
            a, b = self.run(node.args[0]), self.run(node.args[1])
            if op == "=":
                return _equal(a, b)
            if op == "!=":
                return not _equal(a, b)
            if op in ("<", "<=", ">", ">="):
                pair = _order(a, b)
                if pair is None:
                    return False
                x, y = pair
                return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
            x, y = _operand(a), _operand(b)
            if x is None or y is None:
                return None
            if op == "+":
                return x + y
            if op == "-":
                return x - y
            if op == "*":
                return x * y
            if y == 0:
                return None
            return x / y if op == "/" else math.fmod(x, y)
        if kind == "call":
            return self.call(node)
        raise ExpressionError(f"cannot evaluate {kind}")

    def call(self, node: Node) -> Any:  # noqa: C901
        name, args = node.value, node.args
        if name == "if":
            return self.run(args[1]) if _truth(self.run(args[0])) else self.run(args[2])
        values = [self.run(a) for a in args]
        if name == "selected":
            chosen, code = values
            if isinstance(chosen, list):
                return any(_equal(c, code) for c in chosen)
            return _equal(chosen, code)
        if name == "count":
            return (
                len(values[0]) if isinstance(values[0], list) else (0 if _empty(values[0]) else 1)
            )
        if name == "answered":
            return not _empty(values[0])
        if name == "length":
            return 0 if _empty(values[0]) else len(str(values[0]))
        if name == "option":
            return self.own.get(str(values[0])) if isinstance(self.own, dict) else None
        if name == "today":
            return self.today.isoformat()
        if name == "now":
            return self.today.isoformat()
        if name in ("sum", "mean", "min", "max"):
            numbers = [n for n in (_number(v) for v in values) if n is not None]
            if not numbers:
                return None
            if name == "sum":
                return sum(numbers)
            if name == "mean":
                return sum(numbers) / len(numbers)
            return min(numbers) if name == "min" else max(numbers)
        if name in ("round", "roundup", "rounddown"):
            number = _number(values[0])
            digits = _number(values[1]) if len(values) > 1 else 0.0
            if number is None or digits is None:
                return None
            return _round(number, int(digits), name)
        if name in MATHS:
            maybe = [_number(v) for v in values]
            numbers = [n for n in maybe if n is not None]
            if len(numbers) < len(maybe):
                return None
            try:
                result = MATHS[name](*numbers)
            except (ValueError, OverflowError, ZeroDivisionError):
                return None  # outside the function's domain: no value, as unanswered
            return result if isinstance(result, float | int) and math.isfinite(result) else None
        if name == "median":
            numbers = sorted(n for n in (_number(v) for v in values) if n is not None)
            if not numbers:
                return None
            mid = len(numbers) // 2
            return numbers[mid] if len(numbers) % 2 else (numbers[mid - 1] + numbers[mid]) / 2
        if name == "abs":
            number = _number(values[0])
            return None if number is None else abs(number)
        if name == "number":
            return _number(values[0])
        if name == "date":
            day = _date(values[0])
            return None if day is None else day.isoformat()
        if name == "datediff":
            first, second = _date(values[0], self.today), _date(values[1], self.today)
            if first is None or second is None:
                return None
            days = (second - first).days
            if len(values) < 4 or not _truth(values[3]):
                days = abs(days)
            unit = str(values[2]).lower()
            per = {"d": 1, "w": 7, "m": 30.44, "y": 365.2425}.get(unit)
            if per is None:
                return None
            return days / per
        raise ExpressionError(f"unknown function {name}()")


def evaluate(
    node: Node,
    answers: Mapping[str, object],
    *,
    own: object = None,
    today: dt.date | None = None,
) -> Any:
    """The value of an expression for some answers (item id -> answer)."""
    return _Evaluator(answers, own, today or dt.date.today()).run(node)


def holds(
    node: Node, answers: Mapping[str, object], *, own: object = None, today: dt.date | None = None
) -> bool:
    """Whether a condition is true for these answers (unanswered counts as false)."""
    return _truth(evaluate(node, answers, own=own, today=today))
