"""Statistical disclosure control for count tables with margins.

Rules (see docs/insight.md):

1. *Primary suppression*: every cell, margins included, that counts fewer than
   ``threshold`` (10) clients is suppressed.
2. *Secondary (complementary) suppression*: a line (row or column, margins included)
   with one suppressed cell would give it away by subtraction, so a second cell in that
   line is suppressed — the smallest positive one. Then an *audit* solves, for every
   suppressed cell, the linear programmes an attacker would solve (minimise and maximise
   the cell subject to every published cell, every margin and non-negativity); while any
   suppressed cell can be narrowed to an interval shorter than ``protection``, one more
   cell in its row or column is suppressed.
3. *Rounding*: every published count is rounded to a multiple of ``base`` (5).
   Margins are rounded on their own, so published cells need not add up to the margin.

The audit treats the attacker as knowing the exact unrounded values of every published
cell, which is stronger than what the rounded table gives away.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"a": [40, 3, 25], "b": [30, 22, 41]}, index=["x", "y", "z"])
>>> p = protect_table(t)
>>> p.published.loc["y", "a"] is None, p.published.loc["y", "b"] is None
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

TOTAL = "total"
THRESHOLD = 10  # fewer clients than this: the cell is suppressed
BASE = 5  # published counts are rounded to a multiple of this


def round_to_base(values: float | np.ndarray, base: int = BASE) -> np.ndarray:
    """Round counts half up to a multiple of ``base`` (12.5 → 15, not banker's 10)."""
    return (np.floor(np.asarray(values, dtype=float) / base + 0.5) * base).astype(int)


@dataclass(frozen=True)
class ProtectedTable:
    """``published``: rounded counts with margins, None where suppressed."""

    published: pd.DataFrame
    suppressed: pd.DataFrame
    primary: pd.DataFrame
    threshold: int
    base: int


def with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    full = counts.copy().astype(float)
    full[TOTAL] = full.sum(axis=1)
    full.loc[TOTAL] = full.sum(axis=0)
    return full


def _constraints(full: np.ndarray) -> list[list[tuple[int, int]]]:
    """Every line of the table with margins: the cells that sum to its last cell."""
    rows, cols = full.shape
    lines = []
    for i in range(rows):
        lines.append([(i, j) for j in range(cols)])
    for j in range(cols):
        lines.append([(i, j) for i in range(rows)])
    return lines


def attack(full: np.ndarray, suppressed: np.ndarray) -> dict[tuple[int, int], tuple[float, float]]:
    """The interval an attacker can narrow each suppressed cell to (linear programming).

    ``full`` holds the true table with margins in the last row and column.
    """
    cells = [tuple(c) for c in np.argwhere(suppressed)]
    if not cells:
        return {}
    index = {c: k for k, c in enumerate(cells)}
    a_eq, b_eq = [], []
    for line in _constraints(full):
        *parts, total = line
        row = np.zeros(len(cells))
        rhs = 0.0
        for c in parts:
            if c in index:
                row[index[c]] += 1
            else:
                rhs -= full[c]
        if total in index:
            row[index[total]] -= 1
        else:
            rhs += full[total]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(0, None)] * len(cells)
    result = {}
    for c, k in index.items():
        objective = np.zeros(len(cells))
        objective[k] = 1
        lo = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
        hi = linprog(-objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=bounds)
        low = lo.fun if lo.status == 0 else 0.0
        high = -hi.fun if hi.status == 0 else np.inf
        result[c] = (float(low), float(high))
    return result


def _suppress_partner(full: np.ndarray, suppressed: np.ndarray, cell: tuple[int, int]) -> bool:
    """Suppress the smallest positive published cell in the row or column of ``cell``."""
    i, j = cell
    candidates = [(i, jj) for jj in range(full.shape[1])] + [(ii, j) for ii in range(full.shape[0])]
    open_ = [c for c in candidates if not suppressed[c]]
    if not open_:
        return False
    positive = [c for c in open_ if full[c] > 0] or open_
    pick = min(positive, key=lambda c: (full[c], c))
    suppressed[pick] = True
    return True


def protect_table(
    counts: pd.DataFrame, threshold: int = THRESHOLD, base: int = BASE, protection: float = 5.0
) -> ProtectedTable:
    """Suppress, complement and round a table of client counts (rows × columns).

    Margins (row and column totals and the grand total) are added and protected too.
    """
    if (counts.to_numpy() < 0).any():
        raise ValueError("Counts cannot be negative.")
    full_frame = with_margins(counts)
    full = full_frame.to_numpy(dtype=float)
    primary = full < threshold
    suppressed = primary.copy()
    changed = True
    while changed:
        changed = False
        for line in _constraints(full):
            hidden = [c for c in line if suppressed[c]]
            if len(hidden) == 1 and _suppress_partner(full, suppressed, hidden[0]):
                changed = True
    while True:
        weak = [
            c for c, (lo, hi) in sorted(attack(full, suppressed).items()) if hi - lo < protection
        ]
        if not weak:
            break
        if not any(_suppress_partner(full, suppressed, c) for c in weak[:1]) and not any(
            _suppress_partner(full, suppressed, c) for c in weak[1:]
        ):
            open_ = np.argwhere(~suppressed)
            if not len(open_):
                break
            suppressed[tuple(min(open_.tolist(), key=lambda c: (full[tuple(c)], c)))] = True
    rounded = round_to_base(full, base)
    published = pd.DataFrame(
        [
            [None if suppressed[i, j] else int(rounded[i, j]) for j in range(full.shape[1])]
            for i in range(full.shape[0])
        ],
        index=full_frame.index,
        columns=full_frame.columns,
        dtype=object,
    )
    return ProtectedTable(
        published,
        pd.DataFrame(suppressed, index=full_frame.index, columns=full_frame.columns),
        pd.DataFrame(primary, index=full_frame.index, columns=full_frame.columns),
        threshold,
        base,
    )


def protect_means(means: pd.DataFrame, table: ProtectedTable, digits: int = 1) -> pd.DataFrame:
    """Outcome means per cell, shown only where the cell's count is published."""
    shown = means.reindex(index=table.published.index, columns=table.published.columns)
    return shown.round(digits).astype(object).where(~table.suppressed, None)
