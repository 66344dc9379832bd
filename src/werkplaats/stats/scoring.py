"""Scoring of instrument definitions: answers in, scale scores out.

The definition format is in :mod:`werkplaats.stats.definition`. This module knows
nothing of Django: :func:`score` turns answers into scale scores, :func:`progress` and
:func:`completeness` say how far an assessment is. All three follow the branching of
the definition: a hidden item is never counted, never required and never scored.

Scoring rules
-------------
Each item's answer (an option code) becomes an item score: the option's ``score``, or
its code when that is a number; the reversed score (``min + max - score`` over the
item's options) when ``reverse``, or the code looked up in a recode table when
``recode``. Number items score their value, calculated items their calculation. A scale then takes

- ``sum``: the sum of its item scores. With ``prorate`` the sum is scaled up to all
  items (``sum * n_items / n_answered``); without it unanswered items count as 0 (the
  counting rule of the De Jong Gierveld scale). Either way the score is missing when
  fewer than ``min_answered`` items are answered (default: all of them).
- ``mean``: the mean of the answered item scores, missing below ``min_answered``.
- ``gas``: the goal attainment scaling T-score of Kiresuk & Sherman from goal levels
  and weights (see :mod:`werkplaats.stats.gas`), not from item answers.

Examples
--------
>>> from werkplaats.stats.definition import parse_definition
>>> d = parse_definition({
...     "format": "werkplaats.instrument/1", "id": "demo", "version": "1",
...     "construct": "demo", "kind": "questionnaire", "title": {"en": "Demo"},
...     "licence": {"code": "public-domain", "statement": "Public domain.",
...                 "item_text_included": True},
...     "citation": "None.",
...     "option_sets": {"agree": [{"value": 1, "label": {"en": "no"}},
...                               {"value": 2, "label": {"en": "yes"}}]},
...     "items": [{"id": "a", "options": "agree", "text": {"en": "A"}},
...               {"id": "b", "options": "agree", "text": {"en": "B"}, "reverse": True}],
...     "scales": [{"id": "total", "label": {"en": "Total"}, "method": "sum"}],
... })
>>> score(d, {"a": 2, "b": 1})["total"].value
4.0
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from werkplaats.stats.definition import (
    Band,
    Definition,
    Scale,
    check_answer,
    split_key,
)
from werkplaats.stats.gas import gas_t_score

__all__ = ["GoalLevel", "ScaleScore", "completeness", "progress", "score"]


@dataclass(frozen=True)
class ScaleScore:
    scale: Scale
    value: float | None
    n_answered: int
    n_items: int
    band: Band | None = None
    reason: str = ""

    @property
    def missing(self) -> bool:
        return self.value is None


@dataclass
class GoalLevel:
    level: int
    weight: float = 1.0


def score(
    definition: Definition,
    answers: Mapping[str, object],
    goals: Sequence[GoalLevel] = (),
    today: dt.date | None = None,
) -> dict[str, ScaleScore]:
    """Score every scale of ``definition`` from ``answers`` (item id -> answer).

    Answers outside an item's options raise :class:`AnswerError`; unanswered items are
    ``None`` or absent; items the branching hides count as unanswered.

    Examples
    --------
    The GAS T-score from goals, for a method definition:

    >>> from werkplaats.stats.definition import parse_definition
    >>> d = parse_definition({
    ...     "format": "werkplaats.instrument/1", "id": "gas", "version": "1",
    ...     "construct": "goal-attainment", "kind": "method", "title": {"en": "GAS"},
    ...     "licence": {"code": "free-method", "statement": "A method.",
    ...                 "item_text_included": False},
    ...     "citation": "Kiresuk & Sherman (1968).", "items": [],
    ...     "scales": [{"id": "t", "label": {"en": "T"}, "method": "gas"}]})
    >>> round(score(d, {}, goals=[GoalLevel(1), GoalLevel(1), GoalLevel(1)])["t"].value, 2)
    63.69
    """
    checked: dict[str, object] = {}
    for item_id, value in answers.items():
        if value is None:
            continue
        checked[item_id] = check_answer(definition, item_id, value)
    shown = definition.relevant_ids(checked, today)
    scope = definition.calculated({k: v for k, v in checked.items() if k in shown})
    checked = {k: v for k, v in scope.items() if k in shown and v is not None and v != ""}
    results: dict[str, ScaleScore] = {}
    for scale in definition.scales:
        results[scale.id] = _score_scale(definition, scale, checked, goals)
    return results


def _score_scale(
    definition: Definition,
    scale: Scale,
    answers: Mapping[str, object],
    goals: Sequence[GoalLevel],
) -> ScaleScore:
    if scale.method == "gas":
        if not goals:
            return ScaleScore(scale, None, 0, 0, reason="no goals scored")
        value = gas_t_score([g.level for g in goals], [g.weight for g in goals])
        return ScaleScore(scale, value, len(goals), len(goals), scale.band_for(value))
    n_items = len(scale.items)
    item_scores = []
    for item_id in scale.items:
        item = definition.item(item_id)
        # an item asked in a repeat group scores the mean over its answered instances
        values = [v for k, v in answers.items() if split_key(k)[0] == item_id]
        if values:
            item_scores.append(sum(item.item_score(v) for v in values) / len(values))
    n = len(item_scores)
    if n < scale.min_answered or n == 0:
        return ScaleScore(
            scale,
            None,
            n,
            n_items,
            reason=f"{n} of {n_items} answered, {scale.min_answered} needed",
        )
    if scale.method == "mean":
        value = sum(item_scores) / n
    elif scale.prorate:
        value = sum(item_scores) * n_items / n
    else:
        value = sum(item_scores)
    value = float(value)
    return ScaleScore(scale, value, n, n_items, scale.band_for(value))


def _asked(definition: Definition, answers: Mapping[str, object]) -> list[str]:
    """The answer keys of the questions shown, in the order of the items."""
    shown = definition.relevant_ids(answers)
    order = {item.id: k for k, item in enumerate(definition.items)}
    answerable = {item.id for item in definition.answerable_items}
    keys = [k for k in shown if split_key(k)[0] in answerable]
    return sorted(keys, key=lambda k: (order[split_key(k)[0]], split_key(k)[1]))


def progress(definition: Definition, answers: Mapping[str, object]) -> tuple[int, int]:
    """How many of the questions shown are answered, of how many are shown (a question in
    a repeat group once per instance)."""
    keys = _asked(definition, answers)
    return sum(1 for k in keys if answers.get(k) not in (None, "", [])), len(keys)


@dataclass
class Completeness:
    missing_required: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_required


def completeness(definition: Definition, answers: Mapping[str, object]) -> Completeness:
    """The required questions still open (answer keys); a hidden question is never required."""
    missing = []
    for key in _asked(definition, answers):
        item = definition.item(split_key(key)[0])
        if answers.get(key) in (None, "", []) and definition.is_required(
            item, definition.scope_of(key, answers)
        ):
            missing.append(key)
    return Completeness(missing)
