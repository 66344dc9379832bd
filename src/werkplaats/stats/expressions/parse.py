"""Reading expressions: tokens and a recursive-descent parser for the three dialects."""

from __future__ import annotations

import re
from collections.abc import Callable

from werkplaats.stats.expressions.tree import (
    DIALECTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    REDCAP_FUNCTIONS,
    XLSFORM_FUNCTIONS,
    ExpressionError,
    Node,
)

# ---------------------------------------------------------------- reading

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>\d+(?:\.\d+)?|\.\d+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<dollar>\$\{[^}]{1,100}\})
  | (?P<bracket>\[[^\[\]]{1,120}\])
  | (?P<op><=|>=|<>|!=|==|&&|\|\||[=<>+\-*/(),^])
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
        # ``not (a and b)`` is the canonical form's prefix ``not`` before a parenthesis (the
        # writer's output); only XLSForm and REDCap read ``not(...)`` as a function call
        prefix = self.dialect == "werkplaats" or self.peek(1)[1] != "("
        if kind == "name" and value.lower() == "not" and prefix:
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
        return self.power()

    def power(self) -> Node:
        """REDCap's ``^`` binds tighter than ``*`` and ``-x^2`` is ``-(x^2)``; it is read
        as ``pow()``, which the other dialects spell as a function."""
        node = self.primary()
        if self.peek() == ("op", "^"):
            if self.dialect != "redcap":
                raise ExpressionError(f"'^' is REDCap; write pow(a, b) in {self.dialect}")
            self.pos += 1
            node = Node("call", "pow", (node, self.nested(self.unary)))
        return node

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
        if mapped == "mod":
            return Node("op", "mod", tuple(args))
        if name == "log10" and self.dialect == "xlsform":
            if len(args) != 1:
                raise ExpressionError("log10() takes one argument")
            args.append(Node("num", 10))
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
