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
    ref = reference.assign(band=reference["months"].map(_band))
    grouped = ref.groupby(["group", "band"])["change"]
    table = pd.DataFrame({"low": grouped.quantile(quantile), "n": grouped.size()})
    keyed = rows[["group", "months", "change"]].assign(band=rows["months"].map(_band))
    merged = keyed.join(table, on=["group", "band"])
    values = [
        bool(change >= low) if n >= min_n else None
        for change, low, n in zip(
            merged["change"], merged["low"], merged["n"].fillna(0), strict=True
        )
    ]
    return pd.Series(values, index=rows.index, dtype=object)
