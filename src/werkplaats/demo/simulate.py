"""Answers the demo workplace's simulated respondents give (not part of scoring)."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

from werkplaats.stats.definition import Code, Definition


def simulate_answers(
    definition: Definition,
    latent: float,
    rng: Any,
    *,
    noise: float = 0.7,
    missing: float = 0.0,
) -> dict[str, Code | None]:
    """Answers a respondent with standardised latent score ``latent`` would give.

    For the demo workplace's generator. Each item's answer is the option whose
    item score (after reverse keying or recoding) ranks at the quantile of
    ``latent + noise * N(0, 1)``: a higher latent score gives higher item scores, so a
    higher scale score. For a scale where higher is worse (loneliness), pass the latent
    score with its sign flipped. ``rng`` is a ``random.Random`` (or anything with
    ``gauss`` and ``random``); ``missing`` is the chance an item is left unanswered.

    Examples
    --------
    >>> import random
    >>> from werkplaats.stats.definition import parse_definition
    >>> d = parse_definition({
    ...     "format": "werkplaats.instrument/1", "id": "demo", "version": "1",
    ...     "construct": "demo", "kind": "questionnaire", "title": {"en": "Demo"},
    ...     "licence": {"code": "other", "statement": "-", "item_text_included": True},
    ...     "citation": "-",
    ...     "option_sets": {"a": [{"value": v, "label": {"en": str(v)}} for v in (1, 2, 3, 4)]},
    ...     "items": [{"id": "x", "options": "a", "text": {"en": "X"}},
    ...               {"id": "y", "options": "a", "text": {"en": "Y"}, "reverse": True}],
    ...     "scales": [{"id": "s", "label": {"en": "S"}, "method": "sum"}]})
    >>> simulate_answers(d, 3.0, random.Random(1), noise=0.0)
    {'x': 4, 'y': 1}
    """
    normal = NormalDist()
    answers: dict[str, Code | None] = {}
    for item in definition.items:
        if item.type not in ("choice", "yesno") or not item.scored:
            continue
        if missing and rng.random() < missing:
            answers[item.id] = None
            continue
        ordered = sorted(item.options, key=lambda o: (item.item_score(o.value), str(o.value)))
        z = latent + noise * rng.gauss(0.0, 1.0)
        quantile = normal.cdf(z)
        index = min(int(quantile * len(ordered)), len(ordered) - 1)
        answers[item.id] = ordered[index].value
    return answers
