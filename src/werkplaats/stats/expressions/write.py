"""Writing a tree back in a dialect (canonical, REDCap, XLSForm), and translating text."""

from __future__ import annotations

from werkplaats.stats.expressions.parse import (
    parse,
)
from werkplaats.stats.expressions.tree import (
    REDCAP_FUNCTIONS,
    XLSFORM_FUNCTIONS,
    ExpressionError,
    Node,
)

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
            return f"mod({w(node.args[0])}, {w(node.args[1])})"
        if dialect == "xlsform" and op == "/":
            symbol = "div"
        text = f"{left} {symbol} {right}"
        return f"({text})" if level < parent else text
    raise ExpressionError(f"cannot write {node.kind}")


def _write_call(node: Node, dialect: str) -> str:
    name, args = node.value, node.args
    parts = [_write(a, dialect) for a in args]
    if dialect == "redcap":
        if name == "pow":
            base, exponent = (
                p if a.kind in ("num", "ref") else f"({p})" for a, p in zip(args, parts)
            )
            return f"{base}^{exponent}"
        if name == "int":
            return f"rounddown({parts[0]}, 0)"
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
        back = {v: k for k, v in XLSFORM_FUNCTIONS.items() if v and v != "log"}
        if name == "answered":
            return f"{parts[0]} != ''"
        if name == "sum":
            return "(" + " + ".join(parts) + ")"
        if name == "mean":
            return "((" + " + ".join(parts) + f") div {len(parts)})"
        if name == "option":
            return str(args[0].value)
        if name == "log":
            if len(args) == 1:
                return f"log({parts[0]})"
            if args[1].kind == "num" and args[1].value == 10:
                return f"log10({parts[0]})"
            return f"(log({parts[0]}) div log({parts[1]}))"
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
