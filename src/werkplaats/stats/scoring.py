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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from werkplaats.stats.definition import (
    Band,
    Definition,
    Scale,
    check_answer,
    split_key,
)
from werkplaats.stats.gas import gas_t_score
from werkplaats.stats.reliability import Reliability, cronbach_alpha, mcdonald_omega

__all__ = [
    "GoalLevel",
    "ScaleReliability",
    "ScaleScore",
    "completeness",
    "progress",
    "scale_reliability",
    "score",
]


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
    checked = _shown_answers(definition, answers, today)
    results: dict[str, ScaleScore] = {}
    for scale in definition.scales:
        results[scale.id] = _score_scale(definition, scale, checked, goals)
    return results


def _shown_answers(
    definition: Definition, answers: Mapping[str, object], today: dt.date | None = None
) -> dict[str, object]:
    """Checked answers of the items the branching shows, calculated items included."""
    checked: dict[str, object] = {}
    for item_id, value in answers.items():
        if value is None:
            continue
        checked[item_id] = check_answer(definition, item_id, value)
    shown = definition.relevant_ids(checked, today)
    scope = definition.calculated({k: v for k, v in checked.items() if k in shown})
    return {k: v for k, v in scope.items() if k in shown and v is not None and v != ""}


@dataclass(frozen=True)
class ScaleReliability:
    """Cronbach's alpha and McDonald's omega of one scale, or why they are not given."""

    scale: Scale
    alpha: Reliability | None
    omega: Reliability | None
    n: int
    reason: str = ""


def scale_reliability(
    definition: Definition,
    answer_sets: Iterable[Mapping[str, object]],
    level: float = 0.95,
    n_boot: int = 1000,
) -> dict[str, ScaleReliability]:
    """Internal consistency per scale over many completed questionnaires.

    Each answer set is scored as :func:`score` scores it (reversal and recoding
    applied, hidden items left out); a respondent counts for a scale when every item of
    the scale has an item score. GAS scales and scales of fewer than two items get a
    reason instead of a coefficient. See :mod:`werkplaats.stats.reliability`.

    Examples
    --------
    >>> from werkplaats.stats.definition import parse_definition
    >>> d = parse_definition({
    ...     "format": "werkplaats.instrument/1", "id": "demo", "version": "1",
    ...     "construct": "demo", "kind": "questionnaire", "title": {"en": "Demo"},
    ...     "licence": {"code": "public-domain", "statement": "Public domain.",
    ...                 "item_text_included": True},
    ...     "citation": "None.",
    ...     "option_sets": {"five": [{"value": v, "label": {"en": str(v)}} for v in range(1, 6)]},
    ...     "items": [{"id": i, "options": "five", "text": {"en": i}} for i in "abc"],
    ...     "scales": [{"id": "total", "label": {"en": "Total"}, "method": "sum"}],
    ... })
    >>> rows = [dict(zip("abc", r)) for r in
    ...         [(1, 2, 2), (2, 2, 3), (3, 4, 3), (4, 4, 5), (5, 4, 4), (2, 3, 2)]]
    >>> r = scale_reliability(d, rows)["total"]
    >>> round(r.alpha.estimate, 4), r.n
    (0.9062, 6)
    """
    scored = [_shown_answers(definition, answers) for answers in answer_sets]
    out: dict[str, ScaleReliability] = {}
    for scale in definition.scales:
        if scale.method == "gas" or len(scale.items) < 2:
            out[scale.id] = ScaleReliability(
                scale, None, None, 0, reason="needs a scale of two or more items"
            )
            continue
        items = [definition.item(i) for i in scale.items]
        table = [
            [float(item.item_score(answers[item.id])) for item in items]
            for answers in scored
            if all(item.id in answers for item in items)
        ]
        try:
            alpha = cronbach_alpha(table, level)
            omega = mcdonald_omega(table, level, n_boot=n_boot)
        except ValueError as exc:
            out[scale.id] = ScaleReliability(scale, None, None, len(table), reason=str(exc))
            continue
        out[scale.id] = ScaleReliability(scale, alpha, omega, alpha.n)
    return out


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
