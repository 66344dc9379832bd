"""The disclosure audit of ``protect_table`` solves only the linear programmes it needs.

Before, the audit solved two programmes per suppressed cell in every round (630 for the
dilemma table of the 20,000-client demo's 36 teams, seconds of CPU). It now first widens
what is known of each cell's interval with tables the attacker cannot rule out (the true
one, rectangle exchanges, the optimum of a programme that pushes every undecided cell up)
and solves a cell's own programmes only when that does not already show it safe. These
tests hold it to the exhaustive audit: the same cells suppressed, the same table published.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from werkplaats.stats import sdc
from werkplaats.stats.sdc import attack, protect_table, with_margins


def _exhaustive_weak(
    full: np.ndarray, suppressed: np.ndarray, protection: float, threshold: int
) -> list[tuple[int, int]]:
    """The audit as it was: both programmes for every suppressed cell."""
    return [
        c
        for c, (lo, hi) in sorted(attack(full, suppressed).items())
        if hi - lo < protection or hi < threshold
    ]


def _tables(seed: int, n: int) -> list[pd.DataFrame]:
    """Tables of many small counts (as per team and kind of tension), some with a few
    large cells and zeros, of shapes from 2 x 2 to 10 x 14."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        rows, cols = int(rng.integers(2, 11)), int(rng.integers(2, 15))
        scale = float(rng.choice([2.0, 4.0, 8.0, 20.0]))
        cells = rng.poisson(scale, size=(rows, cols))
        cells[rng.random((rows, cols)) < 0.1] = 0
        out.append(pd.DataFrame(cells, index=[f"r{i}" for i in range(rows)]))
    return out


@pytest.mark.parametrize("table", _tables(7, 40))
def test_the_audit_suppresses_exactly_what_the_exhaustive_audit_does(
    table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = protect_table(table)
    monkeypatch.setattr(sdc, "_weak_cells", _exhaustive_weak)
    slow = protect_table(table)
    assert (fast.suppressed.to_numpy() == slow.suppressed.to_numpy()).all()
    assert fast.published.equals(slow.published)


@pytest.mark.parametrize("table", _tables(11, 15))
def test_a_rectangle_exchange_stays_inside_the_attackers_interval(table: pd.DataFrame) -> None:
    """What ``_moves`` claims a cell can move is a table the attacker cannot rule out: the
    programmes' interval contains it."""
    full = with_margins(table).to_numpy(float)
    suppressed = full < 10
    up, down = sdc._moves(full, suppressed)
    for (i, j), (lo, hi) in attack(full, suppressed).items():
        assert lo - 1e-6 <= full[i, j] - down[i, j]
        assert full[i, j] + up[i, j] <= hi + 1e-6


def test_a_table_of_many_teams_needs_few_programmes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten rows of small counts over 36 teams, as in the demo: the exhaustive audit solved
    two programmes for each of the hundreds of suppressed cells; now a few suffice."""
    rng = np.random.default_rng(3)
    table = pd.DataFrame(rng.poisson(4.0, size=(10, 36)))
    solved = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        solved.append(1)
        return linprog(*args, **kwargs)

    monkeypatch.setattr("werkplaats.stats.sdc.linprog", counting)
    p = protect_table(table)
    hidden = int(p.suppressed.to_numpy().sum())
    assert hidden > 300
    assert len(solved) < hidden / 4, f"{len(solved)} programmes for {hidden} hidden cells"
