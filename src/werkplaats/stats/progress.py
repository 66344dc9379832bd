"""Progress against the expected course: the professional's not-on-track signal.

A client is *not on track* when their change since the first measurement falls below
what most comparable clients (same target group) reached at the same time in their
trajectory: below the ``quantile`` (25th percentile) of comparable clients' change in the
same time band. The reference comes from the workplace's own data, so it shows where
someone lags behind peers, not whether the method works.

Examples
--------
>>> import pandas as pd
>>> ref = pd.DataFrame({"group": ["a"] * 40, "months": [6] * 40, "change": list(range(40))})
>>> expected_change(ref, "a", 6)
(9.75, 19.5, 40)
"""

from __future__ import annotations

import pandas as pd

BAND_MONTHS = 3


def _band(months: float) -> int:
    return int(round(months / BAND_MONTHS) * BAND_MONTHS)


def expected_change(
    reference: pd.DataFrame, group: str, months: float, quantile: float = 0.25, min_n: int = 20
) -> tuple[float, float, int] | None:
    """(low quantile, median, n) of comparable clients' change at ``months``; None if few."""
    ref = reference[
        (reference["group"] == group) & (reference["months"].map(_band) == _band(months))
    ]
    if len(ref) < min_n:
        return None
    return (
        float(ref["change"].quantile(quantile)),
        float(ref["change"].median()),
        len(ref),
    )


def on_track(
    reference: pd.DataFrame, group: str, months: float, change: float, quantile: float = 0.25
) -> bool | None:
    """True, False, or None when there are too few comparable clients to say."""
    expected = expected_change(reference, group, months, quantile)
    if expected is None:
        return None
    return change >= expected[0]


# (target group, time band) -> (the ``quantile`` of comparable clients' change, their number)
ReferenceTable = dict[tuple[str, int], tuple[float, int]]


def reference_table(reference: pd.DataFrame, quantile: float = 0.25) -> ReferenceTable:
    """The reference reduced to what a signal needs: per target group and time band, the
    ``quantile`` of comparable clients' change and how many they are. A few dozen cells
    instead of every measurement: it is what a page keeps and reads.

    Examples
    --------
    >>> ref = pd.DataFrame({"group": ["a"] * 40, "months": [6] * 40, "change": list(range(40))})
    >>> reference_table(ref)
    {('a', 6): (9.75, 40)}
    """
    if reference.empty:
        return {}
    ref = reference.assign(band=reference["months"].map(_band))
    grouped = ref.groupby(["group", "band"])["change"]
    low, size = grouped.quantile(quantile), grouped.size()
    return {
        (str(group), int(band)): (float(low[(group, band)]), int(n))
        for (group, band), n in size.items()
    }


def signal(
    table: ReferenceTable, group: str, months: float, change: float, min_n: int = 20
) -> bool | None:
    """``on_track`` against a :func:`reference_table`: True, False, or None when there are
    fewer than ``min_n`` comparable clients in the client's group and time band.

    Examples
    --------
    >>> table = {("a", 6): (9.75, 40)}
    >>> [signal(table, "a", 6, 5), signal(table, "a", 6.5, 10), signal(table, "b", 6, 0)]
    [False, True, None]
    """
    cell = table.get((group, _band(months)))
    if cell is None or cell[1] < min_n:
        return None
    return bool(change >= cell[0])


def on_track_table(
    reference: pd.DataFrame, rows: pd.DataFrame, quantile: float = 0.25, min_n: int = 20
) -> pd.Series:
    """``on_track`` for many clients at once: one grouping of the reference, not one
    filter per client. ``rows`` has columns group, months and change; the result has its
    index and holds True, False or None (too few comparable clients).

    Examples
    --------
    >>> ref = pd.DataFrame({"group": ["a"] * 40, "months": [6] * 40, "change": list(range(40))})
    >>> rows = pd.DataFrame({"group": ["a", "a", "b"], "months": [6, 6, 6], "change": [5, 10, 0]})
    >>> on_track_table(ref, rows).tolist()
    [False, True, None]
    """
    if reference.empty or rows.empty:
        return pd.Series([None] * len(rows), index=rows.index, dtype=object)
    table = reference_table(reference, quantile)
    values = [
        signal(table, str(group), float(months), float(change), min_n)
        for group, months, change in zip(rows["group"], rows["months"], rows["change"], strict=True)
    ]
    return pd.Series(values, index=rows.index, dtype=object)
