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

from werkplaats.stats.expressions.evaluate import evaluate, holds
from werkplaats.stats.expressions.parse import parse, references
from werkplaats.stats.expressions.tree import (
    DIALECTS,
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    REDCAP_FUNCTIONS,
    XLSFORM_FUNCTIONS,
    ExpressionError,
    Node,
    call,
    combine,
    compare,
    const,
    ref,
)
from werkplaats.stats.expressions.write import to_redcap, to_werkplaats, to_xlsform, translate

__all__ = [
    "DIALECTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "REDCAP_FUNCTIONS",
    "XLSFORM_FUNCTIONS",
    "ExpressionError",
    "Node",
    "call",
    "combine",
    "compare",
    "const",
    "evaluate",
    "holds",
    "parse",
    "ref",
    "references",
    "to_redcap",
    "to_werkplaats",
    "to_xlsform",
    "translate",
]
