"""One small, safe expression language for branching, validation and calculations.

Expressions are parsed into a tree and evaluated by walking it: never ``eval``, no
attribute access, no loops, a bounded length and depth. The same parser reads three
dialects and writes them back:

- ``werkplaats`` (the canonical form stored in definitions): ``[age] >= 18 and
  selected([symptoms], "cough")``; ``.`` is the item's own answer (in a constraint);
  ``option("state")`` a column of the choice being filtered (in a choice filter).
- ``redcap``: branching logic and calculations — ``[age] >= 18 and [symptoms(cough)] = '1'``,
  ``<>``, ``datediff([a], [b], "y")``, ``''`` for empty.
- ``xlsform``: ``relevant``/``constraint``/``calculation`` — ``${age} >= 18 and
  selected(${symptoms}, 'cough')``, ``count-selected``, ``string-length``, ``div``, ``mod``.

FHIR ``enableWhen`` is structured, not text; :mod:`werkplaats.instruments.formats.fhir`
builds trees from it with :func:`compare` and :func:`combine`.

What the language does not know (an unknown function, a REDCap smart variable or
``[event][field]`` reference, an XPath step) raises :class:`ExpressionError`; importers
keep such text verbatim and name it in the loss report.

Values: an unanswered item is ``None`` and equals ``""``; numbers compare as numbers
when both sides read as numbers, else as text (ISO dates compare correctly as text);
``<``/``>`` with an unanswered side is false; arithmetic with an unanswered side is
unanswered; a multiple-choice answer is a list of codes.

Examples
--------
>>> e = parse("[age] >= 18 and (selected([sym], 'a') or [x] = '')")
>>> evaluate(e, {"age": 20, "sym": ["a"], "x": None})
True
>>> to_redcap(e)
"[age] >= 18 and ([sym(a)] = '1' or [x] = '')"
>>> to_xlsform(e)
"${age} >= 18 and (selected(${sym}, 'a') or ${x} = '')"
>>> to_werkplaats(parse("[sym(b)] = '1' or [n] <> 3", "redcap"))
'selected([sym], "b") or [n] != 3'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
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
    "int": None,
    "date": "date",
    "true": "true",
    "false": "false",
    "not": "not",
}

# ---------------------------------------------------------------- reading

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<dollar>\$\{[^}]{1,100}\})
  | (?P<bracket>\[[^\[\]]{1,120}\])
  | (?P<op><=|>=|<>|!=|==|&&|\|\||[=<>+\-*/(),])
  | (?P<name>[A-Za-z_][A-Za-z0-9_:-]*)
  | (?P<dot>\.)
  )""",
    re.VERBOSE,
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,99}$")


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str, dialect: str) -> None:
        if dialect not in DIALECTS:
            raise ExpressionError(f"unknown dialect {dialect!r}")
        if len(text) > MAX_LENGTH:
            raise ExpressionError(f"longer than {MAX_LENGTH} characters")
        self.dialect = dialect
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if got != value:
            raise ExpressionError(f"expected {value!r}, found {got or 'the end'!r}")

    def word(self, *words: str) -> str | None:
        kind, value = self.peek()
        if kind == "name" and value.lower() in words:
            self.pos += 1
            return value.lower()
        if kind == "op" and value in ("&&", "||") and {"&&": "and", "||": "or"}[value] in words:
            self.pos += 1
            return {"&&": "and", "||": "or"}[value]
        return None

    def parse(self) -> Node:
        if not self.tokens:
            raise ExpressionError("empty expression")
        node = self.or_()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")
        return node

    def nested(self, fn: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("nests too deeply")
        try:
            return fn()
        finally:
            self.depth -= 1

    def or_(self) -> Node:
        node = self.and_()
        while self.word("or"):
            node = Node("op", "or", (node, self.and_()))
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.word("and"):
            node = Node("op", "and", (node, self.not_()))
        return node

    def not_(self) -> Node:
        kind, value = self.peek()
        if kind == "name" and value.lower() == "not" and self.peek(1)[1] != "(":
            self.pos += 1
            return Node("not", None, (self.nested(self.not_),))
        return self.cmp()

    def cmp(self) -> Node:
        node = self.add()
        kind, value = self.peek()
        if kind == "op" and value in ("=", "==", "!=", "<>", "<", "<=", ">", ">="):
            self.pos += 1
            op = {"==": "=", "<>": "!="}.get(value, value)
            node = Node("op", op, (node, self.add()))
        return node

    def add(self) -> Node:
        node = self.mul()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Node("op", op, (node, self.mul()))
        return node

    def mul(self) -> Node:
        node = self.unary()
        while True:
            kind, value = self.peek()
            if kind == "op" and value in ("*", "/"):
                self.pos += 1
            elif kind == "name" and value in ("div", "mod") and self.dialect != "redcap":
                self.pos += 1
                value = "/" if value == "div" else "mod"
            else:
                return node
            node = Node("op", value, (node, self.unary()))

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.pos += 1
            inner = self.nested(self.unary)
            if inner.kind == "num":
                return Node("num", -inner.value)
            return Node("neg", None, (inner,))
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Node("num", float(value) if "." in value else int(value))
        if kind == "str":
            return Node("str", re.sub(r"\\(.)", r"\1", value[1:-1]))
        if kind == "dot":
            if self.dialect == "redcap":
                raise ExpressionError("'.' is not REDCap")
            return Node("self")
        if kind == "dollar":
            if self.dialect != "xlsform":
                raise ExpressionError(f"{value} is XLSForm, not {self.dialect}")
            return self._name(value[2:-1])
        if kind == "bracket":
            return self._bracket(value[1:-1])
        if kind == "op" and value == "(":
            node = self.nested(self.or_)
            self.expect(")")
            return node
        if kind == "name":
            return self._call(value)
        raise ExpressionError(f"unexpected {value or 'end of expression'!r}")

    def _name(self, name: str) -> Node:
        if not _NAME.match(name):
            raise ExpressionError(f"{name!r} is not a field name")
        return Node("ref", name)

    def _bracket(self, inner: str) -> Node:
        if self.dialect == "xlsform":
            raise ExpressionError("[...] is not XLSForm")
        if self.peek()[0] == "bracket":
            raise ExpressionError("[event][field] references other events; not translated")
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9_./-]*)\(([^()]+)\)", inner)
        if match and self.dialect == "redcap":
            # [field(code)] is a checkbox: '1' when ticked, '0' when not
            return Node("checkbox", match.group(2), (self._name(match.group(1)),))
        if ":" in inner:
            raise ExpressionError(f"[{inner}] is a smart variable; not translated")
        return self._name(inner)

    def _call(self, raw: str) -> Node:
        name = raw.lower()
        if self.peek() != ("op", "("):
            if name in ("true", "false"):
                return Node("bool", name == "true")
            if self.dialect == "xlsform" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", raw):
                # in a choice filter a bare name is a column of the choice being filtered
                return Node("call", "option", (Node("str", raw),))
            raise ExpressionError(f"unknown word {raw!r}")
        if self.dialect == "redcap":
            mapped = REDCAP_FUNCTIONS.get(name)
        elif self.dialect == "xlsform":
            mapped = XLSFORM_FUNCTIONS.get(name)
        else:
            mapped = name if name in FUNCTIONS else None
        if mapped is None:
            raise ExpressionError(f"the function {raw}() is not translated")
        self.pos += 1
        args: list[Node] = []
        if self.peek() != ("op", ")"):
            args.append(self.nested(self.or_))
            while self.peek() == ("op", ","):
                self.pos += 1
                args.append(self.nested(self.or_))
        self.expect(")")
        if mapped == "not":
            if len(args) != 1:
                raise ExpressionError("not() takes one argument")
            return Node("not", None, tuple(args))
        low, high = FUNCTIONS[mapped]
        if mapped == "datediff" and self.dialect == "redcap":
            high = 5
        if not low <= len(args) <= high:
            raise ExpressionError(f"{raw}() takes {low}–{high} arguments, not {len(args)}")
        if mapped == "datediff" and self.dialect == "redcap" and len(args) == 5:
            args = args[:4]  # the fifth names the display format; answers are stored ISO
        if mapped == "datediff" and self.dialect == "redcap" and len(args) == 4:
            if args[3].kind in ("str", "num") and str(args[3].value) in ("ymd", "mdy", "dmy"):
                args = args[:3]
        if mapped in ("true", "false"):
            return Node("bool", mapped == "true")
        if mapped == "selected" and args[1].kind not in ("str", "num"):
            raise ExpressionError("selected() needs a choice code as its second argument")
        return Node("call", mapped, tuple(args))


def parse(text: str, dialect: str = "werkplaats") -> Node:
    """Parse ``text`` of a dialect into a tree; raise :class:`ExpressionError` if it is not one."""
    node = _Parser(text, dialect).parse()
    return _normalise(node)


def _normalise(node: Node) -> Node:
    """REDCap checkbox comparisons become ``selected``: ``[x(c)] = '1'`` -> ``selected([x], "c")``."""
    if node.kind == "op" and node.value in ("=", "!=") and len(node.args) == 2:
        left, right = node.args
        if left.kind != "checkbox" and right.kind == "checkbox":
            left, right = right, left
        if left.kind == "checkbox" and right.kind in ("str", "num"):
            ticked = str(right.value).strip() in ("1", "1.0")
            if str(right.value).strip() not in ("0", "1", "1.0", "0.0"):
                raise ExpressionError("a checkbox compares with 0 or 1")
            node_selected = Node("call", "selected", (left.args[0], Node("str", left.value)))
            positive = ticked == (node.value == "=")
            return node_selected if positive else Node("not", None, (node_selected,))
    args = tuple(_normalise(a) for a in node.args)
    if node.kind == "checkbox":
        # a bare [x(c)] in arithmetic is 1/0
        sel = Node("call", "selected", (node.args[0], Node("str", node.value)))
        return Node("call", "if", (sel, Node("num", 1), Node("num", 0)))
    return Node(node.kind, node.value, args)


def references(node: Node) -> set[str]:
    """The item ids an expression reads."""
    out = {node.value} if node.kind == "ref" else set()
    for arg in node.args:
        out |= references(arg)
    return out


# ---------------------------------------------------------------- writing

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "=": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4}
_PRECEDENCE.update({"+": 5, "-": 5, "*": 6, "/": 6, "mod": 6})


def _quote(value: str, quote: str) -> str:
    return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _write(node: Node, dialect: str, parent: int = 0) -> str:
    def w(n: Node, p: int = 0) -> str:
        return _write(n, dialect, p)

    if node.kind == "num":
        return f"{node.value:g}" if isinstance(node.value, float) else str(node.value)
    if node.kind == "str":
        return _quote(node.value, '"' if dialect == "werkplaats" else "'")
    if node.kind == "bool":
        if dialect == "xlsform":
            return "true()" if node.value else "false()"
        if dialect == "redcap":
            return "1=1" if node.value else "1=0"
        return "true" if node.value else "false"
    if node.kind == "self":
        if dialect == "redcap":
            raise ExpressionError("REDCap has no '.'")
        return "."
    if node.kind == "ref":
        return "${" + node.value + "}" if dialect == "xlsform" else f"[{node.value}]"
    if node.kind == "neg":
        return f"-{w(node.args[0], 7)}"
    if node.kind == "not":
        inner = node.args[0]
        if dialect == "xlsform":
            return f"not({w(inner)})"
        if dialect == "redcap":
            if inner.kind == "call" and inner.value == "selected":
                return f"[{inner.args[0].value}({inner.args[1].value})] = '0'"
            if inner.kind == "op" and inner.value in ("=", "!="):
                flipped = Node("op", "!=" if inner.value == "=" else "=", inner.args)
                return w(flipped, parent)
            raise ExpressionError("REDCap has no 'not'")
        text = f"not {w(inner, 3)}"
        return f"({text})" if parent > 3 else text
    if node.kind == "call":
        return _write_call(node, dialect)
    if node.kind == "op":
        op = node.value
        level = _PRECEDENCE[op]
        left = w(node.args[0], level)
        right = w(node.args[1], level + 1)
        symbol = op
        if dialect == "redcap" and op == "!=":
            symbol = "<>"
        if dialect == "redcap" and op == "mod":
            raise ExpressionError("REDCap has no mod")
        if dialect == "xlsform" and op == "/":
            symbol = "div"
        text = f"{left} {symbol} {right}"
        return f"({text})" if level < parent else text
    raise ExpressionError(f"cannot write {node.kind}")


def _write_call(node: Node, dialect: str) -> str:
    name, args = node.value, node.args
    parts = [_write(a, dialect) for a in args]
    if dialect == "redcap":
        if name == "selected":
            return f"[{args[0].value}({args[1].value})] = '1'"
        if name == "answered":
            return f"{parts[0]} <> ''"
        if name not in REDCAP_FUNCTIONS.values():
            raise ExpressionError(f"REDCap has no {name}()")
        if name == "today":
            return "'today'"
        if name == "datediff":
            return f"datediff({', '.join(parts)})"
        return f"{name}({', '.join(parts)})"
    if dialect == "xlsform":
        back = {v: k for k, v in XLSFORM_FUNCTIONS.items() if v}
        if name == "answered":
            return f"{parts[0]} != ''"
        if name == "sum":
            return "(" + " + ".join(parts) + ")"
        if name == "mean":
            return "((" + " + ".join(parts) + f") div {len(parts)})"
        if name == "option":
            return str(args[0].value)
        if name not in back:
            raise ExpressionError(f"XLSForm has no {name}()")
        return f"{back[name]}({', '.join(parts)})"
    return f"{name}({', '.join(parts)})"


def to_werkplaats(node: Node) -> str:
    return _write(node, "werkplaats")


def to_redcap(node: Node) -> str:
    return _write(node, "redcap")


def to_xlsform(node: Node) -> str:
    return _write(node, "xlsform")


def translate(text: str, source: str, target: str = "werkplaats") -> str:
    """Text of one dialect as text of another (raises :class:`ExpressionError`)."""
    return _write(parse(text, source), target)


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
            x, y = _number(a), _number(b)
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
        if name == "round":
            number = _number(values[0])
            digits = int(_number(values[1]) or 0) if len(values) > 1 else 0
            return None if number is None else round(number, digits)
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
