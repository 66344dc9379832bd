"""Parsing of lme4-style model formulas.

Supported syntax (a subset of R's formula language that covers mixed models):

* ``y ~ a + b``, ``a:b`` (interaction), ``a * b`` (= ``a + b + a:b``),
  ``(a + b) * c``, ``a / b`` (= ``a + a:b``), ``- 1`` / ``0 +`` / ``+ 1``
  for the intercept, ```odd name``` for column names with odd characters;
* random-effects terms ``(lhs | g)``, ``(lhs || g)`` (uncorrelated),
  ``g`` may be ``a:b`` (interaction of factors) or ``a/b`` (nesting, expands
  to ``a`` and ``b:a`` as lme4 does).

Function calls such as ``log(x)`` or ``I(x^2)`` are not supported: compute
the column in the DataFrame first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import FormulaError

__all__ = ["Formula", "RandomTerm", "parse_formula"]

Term = tuple[str, ...]


@dataclass(frozen=True)
class RandomTerm:
    """One ``(lhs | group)`` term after expansion of ``||`` and ``/``.

    ``terms`` and ``intercept`` describe the left-hand side like a fixed-effects
    formula; ``group`` lists the variables whose combinations form the
    grouping factor; ``group_label`` is the name lme4 prints for it.
    """

    terms: tuple[Term, ...]
    intercept: bool
    group: tuple[str, ...]
    group_label: str


@dataclass(frozen=True)
class Formula:
    """A parsed mixed-model formula."""

    response: str
    terms: tuple[Term, ...]
    intercept: bool
    random: tuple[RandomTerm, ...]
    text: str
    variables: tuple[str, ...] = field(default=())

    @property
    def fixed_variables(self) -> list[str]:
        """Variables used in the fixed-effects part, in order of appearance."""
        out: list[str] = []
        for t in self.terms:
            for v in t:
                if v not in out:
                    out.append(v)
        return out

    @property
    def group_variables(self) -> list[str]:
        """Variables used to form grouping factors."""
        out: list[str] = []
        for r in self.random:
            for v in r.group:
                if v not in out:
                    out.append(v)
        return out


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?)|(?P<name>[A-Za-z_.][A-Za-z0-9_.]*)|`(?P<quoted>[^`]+)`"
    r"|(?P<op>\|\||[~+\-*:/|()^]))"
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            rest = text[pos:].strip()
            if not rest:
                break
            raise FormulaError(f"cannot read the formula at {rest[:20]!r} (position {pos})")
        if m.group("num") is not None:
            tokens.append(("num", m.group("num")))
        elif m.group("name") is not None:
            tokens.append(("name", m.group("name")))
        elif m.group("quoted") is not None:
            tokens.append(("name", m.group("quoted")))
        else:
            tokens.append(("op", m.group("op")))
        pos = m.end()
    return tokens


# A "term set" is an ordered list of terms plus intercept information.  The
# intercept is tracked as the empty term () so that R's rules ("-1", "0 +")
# fall out of set algebra.
@dataclass
class _Bar:
    lhs: _TermSet
    group: _TermSet
    double: bool


@dataclass
class _TermSet:
    terms: list[Term]
    bars: list[_Bar] = field(default_factory=list)
    removed_intercept: bool = False
    # Terms created by "/" (a/b gives a:b, which lme4 labels b:a).
    nested: list[Term] = field(default_factory=list)
    # An explicit "0" or "1" in the expression (only meaningful on its own).
    literal: str | None = None


def _union(a: list[Term], b: list[Term]) -> list[Term]:
    out = list(a)
    for t in b:
        if t not in out:
            out.append(t)
    return out


def _merge(a: Term, b: Term) -> Term:
    out = list(a)
    for v in b:
        if v not in out:
            out.append(v)
    return tuple(out)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.text = text

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FormulaError(f"formula {self.text!r} ends unexpectedly")
        if value is not None and tok[1] != value:
            raise FormulaError(f"expected {value!r} but found {tok[1]!r} in formula {self.text!r}")
        self.i += 1
        return tok

    # sum := prod (('+'|'-') prod)*
    def parse_sum(self) -> _TermSet:
        first = self.peek()
        if first is not None and first == ("op", "-"):
            # A leading "-1" as in "~ -1 + x".
            self.take()
            rhs = self.parse_prod()
            result = _TermSet([])
            self._subtract(result, rhs)
        else:
            result = self.parse_prod()
            if result.literal == "0":
                result = _TermSet([], removed_intercept=True)
            elif result.literal == "1":
                result = _TermSet([()])
        while True:
            tok = self.peek()
            if tok is None or tok[1] not in ("+", "-"):
                return result
            self.take()
            rhs = self.parse_prod()
            if tok[1] == "+":
                if rhs.literal == "0":
                    result.removed_intercept = True
                    result.terms = [t for t in result.terms if t != ()]
                elif rhs.literal == "1":
                    result.terms = _union(result.terms, [()])
                    result.removed_intercept = False
                else:
                    result.terms = _union(result.terms, rhs.terms)
                    result.bars.extend(rhs.bars)
                    result.nested.extend(rhs.nested)
            else:
                self._subtract(result, rhs)

    @staticmethod
    def _subtract(result: _TermSet, rhs: _TermSet) -> None:
        if rhs.literal in ("1", "0"):
            result.removed_intercept = rhs.literal == "1" or result.removed_intercept
            result.terms = [t for t in result.terms if t != ()]
            if rhs.literal == "0":
                result.terms = _union(result.terms, [()])
                result.removed_intercept = False
        else:
            drop = set(frozenset(t) for t in rhs.terms)
            result.terms = [t for t in result.terms if frozenset(t) not in drop]

    # prod := inter (('*'|'/') inter)*
    def parse_prod(self) -> _TermSet:
        left = self.parse_inter()
        while True:
            tok = self.peek()
            if tok is None or tok[1] not in ("*", "/"):
                return left
            self.take()
            right = self.parse_inter()
            self._no_bars(left, right, tok[1])
            if tok[1] == "*":
                cross = [_merge(a, b) for a in left.terms for b in right.terms]
                left = _TermSet(_union(_union(left.terms, right.terms), cross))
            else:
                whole: Term = ()
                for t in left.terms:
                    whole = _merge(whole, t)
                nested = [_merge(whole, b) for b in right.terms]
                left = _TermSet(_union(left.terms, nested), nested=left.nested + nested)

    # inter := atom (':' atom)*
    def parse_inter(self) -> _TermSet:
        left = self.parse_atom()
        while True:
            tok = self.peek()
            if tok is None or tok[1] != ":":
                return left
            self.take()
            right = self.parse_atom()
            self._no_bars(left, right, ":")
            left = _TermSet([_merge(a, b) for a in left.terms for b in right.terms])

    def _no_bars(self, a: _TermSet, b: _TermSet, op: str) -> None:
        if a.bars or b.bars:
            raise FormulaError(f"a random-effects term (… | …) cannot be combined with {op!r}")
        if a.literal is not None or b.literal is not None:
            raise FormulaError(f"the numbers 0 and 1 cannot be combined with {op!r}")

    def parse_atom(self) -> _TermSet:
        tok = self.take()
        kind, value = tok
        if kind == "name":
            nxt = self.peek()
            if nxt == ("op", "("):
                raise FormulaError(
                    f"function calls such as {value}(…) are not supported in formulas; "
                    "add the transformed variable as a column of the data instead"
                )
            return _TermSet([(value,)])
        if kind == "num":
            if value in ("0", "1"):
                return _TermSet([], literal=value)
            raise FormulaError(f"the number {value} cannot stand in a formula (only 0 and 1 can)")
        if value == "(":
            inner = self.parse_sum()
            nxt = self.peek()
            if nxt is not None and nxt[1] in ("|", "||"):
                self.take()
                group = self.parse_sum()
                self.take(")")
                if inner.bars or group.bars:
                    raise FormulaError("random-effects terms cannot be nested inside each other")
                return _TermSet([], bars=[_Bar(inner, group, nxt[1] == "||")])
            self.take(")")
            return inner
        if value == "^":
            raise FormulaError("the ^ operator is not supported; write the interactions out")
        raise FormulaError(f"unexpected {value!r} in formula {self.text!r}")


def _group_factors(group: _TermSet, text: str) -> list[tuple[tuple[str, ...], str]]:
    """Grouping factors of a bar term: (variables, label) pairs.

    ``a/b`` parses as the terms ``a`` and ``a:b``; lme4 labels the nested
    factor ``b:a``, so nested terms created by ``/`` are labelled in reverse.
    """
    if not group.terms or () in group.terms:
        raise FormulaError(f"the grouping factor in {text!r} must name at least one column")
    out = []
    for t in group.terms:
        out.append((t, ":".join(t)))
    return out


def parse_formula(text: str) -> Formula:
    """Parse an lme4 model formula.

    Parameters
    ----------
    text : str
        Formula such as ``"y ~ time * x + (time | client) + (1 | team)"``.

    Returns
    -------
    Formula
        The response, the fixed-effects terms (tuples of variable names,
        lowest order first, as R orders them), whether there is an intercept,
        and the random-effects terms with ``||`` and ``/`` expanded.

    Raises
    ------
    FormulaError
        When the text is not a formula this module understands.

    Examples
    --------
    >>> f = parse_formula("y ~ time * x + (time || client) + (1 | team/prof)")
    >>> f.terms
    (('time',), ('x',), ('time', 'x'))
    >>> [(r.group_label, r.intercept, r.terms) for r in f.random]
    [('client', True, ()), ('client', False, (('time',),)), ('team', True, ()), ('prof:team', True, ())]
    >>> f.random[-1].group
    ('prof', 'team')
    """
    if not isinstance(text, str):
        raise FormulaError("the formula must be a string such as 'y ~ x + (1 | group)'")
    if "~" not in text:
        raise FormulaError(f"the formula {text!r} has no '~': write it as 'response ~ predictors'")
    lhs_text, rhs_text = text.split("~", 1)
    lhs_tokens = _tokenize(lhs_text)
    if len(lhs_tokens) != 1 or lhs_tokens[0][0] != "name":
        raise FormulaError(f"the left-hand side {lhs_text.strip()!r} must be a single column name")
    response = lhs_tokens[0][1]
    tokens = _tokenize(rhs_text)
    if not tokens:
        raise FormulaError("the formula has nothing to the right of '~'")
    parser = _Parser(tokens, text)
    rhs = parser.parse_sum()
    if parser.peek() == ("op", "^"):
        raise FormulaError("the ^ operator is not supported; write the interactions out (a*b)")
    if parser.peek() is not None:
        raise FormulaError(f"unexpected {parser.peek()[1]!r} in formula {text!r}")  # type: ignore[index]

    intercept = not rhs.removed_intercept
    fixed = _sort_within([t for t in rhs.terms if t != ()])
    randoms: list[RandomTerm] = []
    for bar in rhs.bars:
        lhs = bar.lhs
        if lhs.literal == "1":
            lhs = _TermSet([()])
        elif lhs.literal == "0":
            raise FormulaError("a random-effects term needs at least one effect: (0 | g) is empty")
        re_intercept = not lhs.removed_intercept
        re_terms = [t for t in lhs.terms if t != ()]
        if lhs.bars:
            raise FormulaError("random-effects terms cannot be nested inside each other")
        # Nesting "a/b": the parser produced the terms a and a:b; lme4 labels
        # the second b:a.  A plain "a:b" keeps its written order.
        groups = []
        for vars_, label in _group_factors(bar.group, text):
            if vars_ in bar.group.nested:
                vars_ = tuple(reversed(vars_))
                label = ":".join(vars_)
            groups.append((vars_, label))
        for vars_, label in groups:
            if bar.double:
                # (x || g) is (1 | g) + (0 + x | g): one term per effect, so no
                # correlations are estimated (lme4's expandDoubleVerts).
                if re_intercept:
                    randoms.append(RandomTerm((), True, vars_, label))
                for t in re_terms:
                    randoms.append(RandomTerm((t,), False, vars_, label))
            else:
                if not re_intercept and not re_terms:
                    raise FormulaError("a random-effects term needs at least one effect")
                randoms.append(
                    RandomTerm(tuple(_order(_sort_within(re_terms))), re_intercept, vars_, label)
                )

    variables: list[str] = [response]
    for t in fixed:
        for v in t:
            if v not in variables:
                variables.append(v)
    for r in randoms:
        for t in r.terms:
            for v in t:
                if v not in variables:
                    variables.append(v)
        for v in r.group:
            if v not in variables:
                variables.append(v)
    return Formula(
        response, tuple(_order(fixed)), intercept, tuple(randoms), text.strip(), tuple(variables)
    )


def _order(terms: list[Term]) -> list[Term]:
    """R's term order: by interaction order, then by appearance (stable)."""
    return sorted(terms, key=len)


def _sort_within(terms: list[Term]) -> list[Term]:
    """Order the variables inside each interaction by first appearance.

    R labels ``x:time`` in ``y ~ time + x:time`` as ``time:x`` because
    variables keep the order in which the formula first mentions them.
    """
    order: dict[str, int] = {}
    for t in terms:
        for v in t:
            order.setdefault(v, len(order))
    return [tuple(sorted(t, key=order.__getitem__)) for t in terms]
