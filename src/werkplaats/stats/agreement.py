"""Intercoder agreement: percentage agreement, Cohen's kappa, Krippendorff's alpha.

Plain Python, no Django. Data come as *reliability data*: one row per coder, one column
per unit, ``None`` where a coder gave no value for a unit (missing data).

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
Psychological Measurement*, 20(1), 37-46.

Cohen, J. (1968). Weighted kappa: nominal scale agreement with provision for scaled
disagreement or partial credit. *Psychological Bulletin*, 70(4), 213-220.

Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for
Communication, University of Pennsylvania. (The worked examples in section C are the test
references in ``tests/stats/test_agreement.py``.)

Examples
--------
Krippendorff's (2011) example: four coders, twelve units, missing values.

>>> data = [
...     [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
...     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
...     [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
...     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
... ]
>>> round(krippendorff_alpha(data), 3)
0.743
>>> round(krippendorff_alpha(data, level="interval"), 3)
0.849
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from itertools import permutations
from typing import Literal, cast

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Weights = Literal["linear", "quadratic"]
Value = Hashable


def _pairable_units(data: Sequence[Sequence[Value | None]]) -> list[list[Value]]:
    """The values per unit, keeping only units that at least two coders coded."""
    if not data:
        raise ValueError("Reliability data need at least one coder.")
    n_units = len(data[0])
    if any(len(row) != n_units for row in data):
        raise ValueError("Every coder's row must have one entry per unit.")
    units = []
    for u in range(n_units):
        values = [row[u] for row in data if row[u] is not None]
        if len(values) >= 2:
            units.append(values)
    return units


def percent_agreement(data: Sequence[Sequence[Value | None]]) -> float:
    """The share of agreeing pairs among all pairs of values coded for the same unit.

    With two coders and no missing data this is the plain proportion of units on which
    they agree; with more coders it is the pairwise agreement, averaged over pairs.

    Examples
    --------
    >>> percent_agreement([["a", "b", "a", "a"], ["a", "b", "b", "a"]])
    0.75
    """
    agree = pairs = 0
    for values in _pairable_units(data):
        for x, y in permutations(values, 2):
            pairs += 1
            agree += x == y
    if pairs == 0:
        raise ValueError("No unit was coded by two or more coders; agreement is undefined.")
    return agree / pairs


def cohens_kappa(coder_a: Sequence[Value | None], coder_b: Sequence[Value | None]) -> float:
    """Cohen's kappa for two coders on nominal data; units either coder left out are dropped.

    Examples
    --------
    The textbook 2x2 example: 50 items, both "yes" 20, both "no" 15, disagreements 5 and 10;
    observed agreement 0.70, chance agreement 0.50.

    >>> a = ["yes"] * 25 + ["no"] * 25
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> round(cohens_kappa(a, b), 4)
    0.4
    """
    if len(coder_a) != len(coder_b):
        raise ValueError("Both coders must have one entry per unit.")
    pairs = [
        (x, y) for x, y in zip(coder_a, coder_b, strict=True) if x is not None and y is not None
    ]
    n = len(pairs)
    if n == 0:
        raise ValueError("No unit was coded by both coders; kappa is undefined.")
    observed = sum(x == y for x, y in pairs) / n
    count_a = Counter(x for x, _ in pairs)
    count_b = Counter(y for _, y in pairs)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if expected == 1:
        # Both coders used one and the same category throughout: no variation to agree on.
        raise ValueError("Both coders used a single, identical category; kappa is undefined.")
    return (observed - expected) / (1 - expected)


def weighted_kappa(
    coder_a: Sequence[Value | None],
    coder_b: Sequence[Value | None],
    weights: Weights = "linear",
    order: Sequence[Value] | None = None,
) -> float:
    """Cohen's (1968) weighted kappa for two coders on an ordered scale.

    Disagreement between categories i and j is weighted by |i - j| / (k - 1) (``"linear"``)
    or its square (``"quadratic"``), where i, j are positions on the scale. ``order`` gives
    the scale's categories from low to high (e.g. an instrument's answer options); without
    it the values must be numbers and their own distances are used, relative to the range
    of the values given (as ``irr::kappa2`` with ``weight="equal"`` / ``"squared"``).
    Units either coder left out are dropped.

    Examples
    --------
    >>> a = ["low", "mid", "high", "mid", "low", "high"]
    >>> b = ["low", "high", "high", "mid", "mid", "high"]
    >>> round(weighted_kappa(a, b, "quadratic", order=["low", "mid", "high"]), 4)
    0.75
    """
    if len(coder_a) != len(coder_b):
        raise ValueError("Both coders must have one entry per unit.")
    if weights not in ("linear", "quadratic"):
        raise ValueError(f"Unknown weights: {weights!r} (use 'linear' or 'quadratic').")
    pairs = [
        (x, y) for x, y in zip(coder_a, coder_b, strict=True) if x is not None and y is not None
    ]
    n = len(pairs)
    if n == 0:
        raise ValueError("No unit was coded by both coders; kappa is undefined.")
    used = {v for pair in pairs for v in pair}
    if order is not None:
        position = _positions(order, used)
        score = {v: float(position[v]) for v in used}
        span = float(len(order) - 1)
    else:
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in used):
            raise ValueError(
                "Weighted kappa needs the order of the categories for values that are not "
                "numbers: pass order=[lowest, ..., highest]."
            )
        score = {v: float(cast("float", v)) for v in used}
        span = max(score.values()) - min(score.values())
    if span == 0:
        raise ValueError("Both coders used a single, identical category; kappa is undefined.")
    power = 1 if weights == "linear" else 2

    def disagreement(x: Value, y: Value) -> float:
        return float((abs(score[x] - score[y]) / span) ** power)

    observed = sum(disagreement(x, y) for x, y in pairs) / n
    count_a = Counter(x for x, _ in pairs)
    count_b = Counter(y for _, y in pairs)
    expected = sum(
        count_a[x] * count_b[y] * disagreement(x, y) for x in count_a for y in count_b
    ) / (n * n)
    if expected == 0:
        raise ValueError("Both coders used a single, identical category; kappa is undefined.")
    return 1.0 - observed / expected


def _positions(order: Sequence[Value], used: set[Value]) -> dict[Value, int]:
    """Each category's position on the scale; every value used must be on it."""
    position: dict[Value, int] = {}
    for i, v in enumerate(order):
        if v in position:
            raise ValueError(f"The order names {v!r} twice.")
        position[v] = i
    missing = sorted((v for v in used if v not in position), key=_sort_key)
    if missing:
        raise ValueError(
            "Values not in the given order of the scale: "
            + ", ".join(repr(v) for v in missing)
            + "."
        )
    return position


def coincidence_matrix(
    data: Sequence[Sequence[Value | None]],
    order: Sequence[Value] | None = None,
) -> tuple[list[Value], list[list[float]]]:
    """Krippendorff's coincidence matrix: values (sorted, or in ``order``) and o[c][k].

    Each unit with m_u >= 2 values contributes 1/(m_u - 1) for every ordered pair of its
    values coded by different coders.
    """
    units = _pairable_units(data)
    used = {v for unit in units for v in unit}
    if order is None:
        values = sorted(used, key=_sort_key)
    else:
        position = _positions(order, used)
        values = sorted(used, key=lambda v: position[v])
    index = {v: i for i, v in enumerate(values)}
    o = [[0.0] * len(values) for _ in values]
    for unit in units:
        weight = 1.0 / (len(unit) - 1)
        for x, y in permutations(unit, 2):
            o[index[x]][index[y]] += weight
    return values, o


def _sort_key(value: Value) -> tuple[int, object]:
    # Numbers before strings, so mixed data still sort deterministically.
    return (0, value) if isinstance(value, int | float) else (1, str(value))


def _number(value: Value, level: Level) -> float:
    """A value as a number, for the interval and ratio levels (which subtract values)."""
    if isinstance(value, int | float | str):
        return float(value)
    raise ValueError(f"The {level} level needs numbers; {value!r} is not one.")


def _delta(
    level: Level, values: list[Value], marginals: list[float]
) -> Callable[[int, int], float]:
    """The squared difference between the values at indices c and k, at this level."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "interval":
        numbers = [_number(v, level) for v in values]
        return lambda c, k: (numbers[c] - numbers[k]) ** 2
    if level == "ratio":
        numbers = [_number(v, level) for v in values]

        def ratio(c: int, k: int) -> float:
            a, b = numbers[c], numbers[k]
            return 0.0 if a + b == 0 else ((a - b) / (a + b)) ** 2

        return ratio
    if level == "ordinal":

        def ordinal(c: int, k: int) -> float:
            lo, hi = min(c, k), max(c, k)
            if lo == hi:
                return 0.0
            between = sum(marginals[lo : hi + 1]) - (marginals[lo] + marginals[hi]) / 2
            return between**2

        return ordinal
    raise ValueError(f"Unknown level of measurement: {level!r}.")


def krippendorff_alpha(
    data: Sequence[Sequence[Value | None]],
    level: Level = "nominal",
    order: Sequence[Value] | None = None,
) -> float:
    """Krippendorff's alpha for any number of coders, with missing data.

    Parameters
    ----------
    data : sequence of sequences
        One row per coder, one entry per unit; ``None`` marks a missing value.
    level : {"nominal", "ordinal", "interval", "ratio"}
        The level of measurement, which sets the difference function.
    order : sequence, optional
        The scale's categories from low to high (e.g. an instrument's answer options).
        Ordinal alpha ranks the values in this order; without it values are sorted
        (numbers by size, text alphabetically, which is rarely the scale's order). Text
        labels with ``level="ordinal"`` need it.

    Returns
    -------
    float
        1 is perfect agreement, 0 is agreement at chance level; below 0 is systematic
        disagreement.

    Examples
    --------
    >>> krippendorff_alpha([["a", "a", "b"], ["a", "a", "b"]])
    1.0
    """
    if level == "ordinal" and order is None:
        texts = {v for row in data for v in row if v is not None and not isinstance(v, int | float)}
        if texts:
            raise ValueError(
                "Ordinal alpha on text labels needs the order of the scale: pass "
                "order=[lowest, ..., highest] (alphabetical order is not the scale's order)."
            )
    values, o = coincidence_matrix(data, order)
    marginals = [sum(row) for row in o]
    n = sum(marginals)
    if n <= 1:
        raise ValueError("No unit was coded by two or more coders; alpha is undefined.")
    delta = _delta(level, values, marginals)
    size = len(values)
    observed = sum(o[c][k] * delta(c, k) for c in range(size) for k in range(size))
    expected = sum(
        marginals[c] * marginals[k] * delta(c, k) for c in range(size) for k in range(size)
    ) / (n - 1)
    if expected == 0:
        raise ValueError("All values are the same; alpha is undefined (there is no variation).")
    return 1.0 - observed / expected
