"""Practice-based evidence: planted changes come back as the means, small cells hide."""

from __future__ import annotations

import pandas as pd
import pytest

from werkplaats.stats.practice_evidence import practice_evidence


def _rows(spec: list[tuple[str, str, float | None, float, int]]) -> pd.DataFrame:
    """(group, arm, fidelity, change, how many clients) -> one row per client."""
    out: list[tuple[str, str, str, float | None, float]] = []
    for group, arm, fidelity, change, n in spec:
        for _i in range(n):
            out.append((f"c{len(out)}", group, arm, fidelity, change))
    return pd.DataFrame(out, columns=["client", "group", "arm", "fidelity", "change"])


PLANTED = [
    ("frail", "method", 1.0, 4.0, 12),
    ("frail", "method", 0.5, 2.0, 11),
    ("frail", "without", None, 1.0, 15),
]


def test_planted_means_and_differences_come_back():
    e = practice_evidence(_rows(PLANTED))
    assert list(e.means.columns) == ["high", "low", "without", "total"]  # nobody unrecorded
    assert e.means.loc["frail", "high"] == 4.0
    assert e.means.loc["frail", "low"] == 2.0
    assert e.means.loc["frail", "without"] == 1.0
    assert e.means.loc["frail", "total"] == pytest.approx(85 / 38, abs=0.005)
    # with the method: (12*4 + 11*2) / 23 = 3.0435; minus 1.0 without
    assert e.difference.loc["frail", "method"] == pytest.approx(70 / 23 - 1, abs=0.005)
    assert e.difference.loc["frail", "high"] == 3.0
    assert e.difference.loc["frail", "low"] == 1.0
    assert e.counts.published.loc["frail", "high"] == 10  # 12 rounded to 5
    assert e.counts.published.loc["frail", "without"] == 15
    assert e.clients == 38


def test_a_small_cell_and_what_would_give_it_away_are_hidden():
    rows = _rows(
        [
            *PLANTED,
            ("household", "method", 1.0, 5.0, 14),
            ("household", "method", 0.2, -1.0, 3),
            ("household", "without", None, 0.5, 20),
        ]
    )
    e = practice_evidence(rows)
    assert e.means.loc["household", "low"] is None
    assert e.counts.published.loc["household", "low"] is None
    # no line (row or column, margins included) has exactly one hidden mean
    hidden = e.means.isna() | e.means.map(lambda v: v is None)
    assert (hidden.sum(axis=1) != 1).all()
    assert (hidden.sum(axis=0) != 1).all()
    # the pooled method mean of the household group would reveal the hidden arm
    assert e.difference.loc["household", "method"] is None
    assert e.means.loc["frail", "without"] == 1.0


def test_each_client_counts_once():
    rows = _rows(PLANTED)
    rows.loc[1, "client"] = rows.loc[0, "client"]
    with pytest.raises(ValueError, match="one row per client"):
        practice_evidence(rows)


def _random_rows(seed: int) -> pd.DataFrame:
    """Random groups x arms with small and large cells; changes in [-21, 21]."""
    import numpy as np

    rng = np.random.default_rng(seed)
    spec = []
    for g in ("frail", "household", "young", "debt")[: int(rng.integers(2, 5))]:
        for arm, fidelity in (
            ("method", 0.9),
            ("method", 0.5),
            ("method", None),
            ("without", None),
        ):
            n = int(rng.choice([0, 1, 2, 4, 8, 12, 15, 25, 40]))
            for value in rng.integers(-21, 22, size=n):
                spec.append((g, arm, fidelity, float(value), 1))
    return _rows(spec)


@pytest.mark.parametrize("seed", range(20))
def test_the_attack_cannot_recover_a_hidden_mean_of_the_method_page(seed: int) -> None:
    """As for team and organisation feedback: a mean only where 10 or more clients
    contribute, and an attacker who knows every exact count and every published mean
    (so every published sum, margins included) cannot pin a hidden mean to within one
    point by linear programming; the difference with the method is only published where
    both of its means are."""
    import numpy as np

    from werkplaats.stats.practice_evidence import arm_of
    from werkplaats.stats.sdc import TOTAL, attack

    rows = _random_rows(seed)
    if rows.empty:
        return
    e = practice_evidence(rows, value_range=(-21, 21))
    r = rows.assign(
        column=[arm_of(a, f) for a, f in zip(rows["arm"], rows["fidelity"], strict=True)]
    )
    index, columns = e.means.index, e.means.columns
    sizes, sums = (
        r.pivot_table(
            index="group",
            columns="column",
            values="change",
            aggfunc=how,
            margins=True,
            margins_name=TOTAL,
        )
        .reindex(index=index, columns=columns)
        .fillna(0)
        .to_numpy(float)
        for how in ("count", "sum")
    )
    hidden = e.means.isna().to_numpy() | (e.means.to_numpy() == None)  # noqa: E711
    assert not (~hidden & (sizes < 10)).any(), "a mean of fewer than 10 clients was shown"
    unknown = hidden & (sizes > 0)
    bounds = {
        (int(i), int(j)): (-21 * sizes[i, j], 21 * sizes[i, j]) for i, j in np.argwhere(unknown)
    }
    for (i, j), (lo, hi) in attack(sums, unknown, bounds).items():
        assert lo - 1e-6 <= sums[i, j] <= hi + 1e-6
        assert (hi - lo) / sizes[i, j] >= 1.0, f"mean {(i, j)} pinned to [{lo}, {hi}]"
    for g in e.difference.index:
        if e.difference.loc[g, "method"] is not None:
            assert e.means.loc[g, "without"] is not None
