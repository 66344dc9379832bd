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


def on_track_many(
    reference: pd.DataFrame,
    rows: pd.DataFrame,
    quantile: float = 0.25,
    min_n: int = 20,
) -> pd.Series:
    """:func:`on_track` for many ``rows`` (columns ``group``, ``months``, ``change``) at
    once: the reference's quantile per group and time band is computed once, not once per
    row (which filtered the whole reference for every client). True, False, or None
    (fewer than ``min_n`` comparable measurements), indexed like ``rows``.

    >>> ref = pd.DataFrame({"group": ["a"] * 40, "months": [6] * 40, "change": list(range(40))})
    >>> rows = pd.DataFrame({"group": ["a", "a", "b"], "months": [6, 7, 6], "change": [5, 10, 0]})
    >>> on_track_many(ref, rows).tolist()
    [False, True, None]
    """
    if rows.empty:
        return pd.Series(dtype=object)
    bands = reference["months"].map(_band)
    table = reference.groupby([reference["group"], bands])["change"].agg(
        low=lambda x: x.quantile(quantile), n="size"
    )
    lows = {
        key: low
        for key, low, n in zip(table.index, table["low"], table["n"], strict=True)
        if n >= min_n
    }
    out = []
    for group, months, change in zip(rows["group"], rows["months"], rows["change"], strict=True):
        low = lows.get((group, _band(months)))
        out.append(None if low is None else bool(change >= low))
    return pd.Series(out, index=rows.index, dtype=object)
