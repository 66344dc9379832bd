"""Statistical disclosure control for count tables with margins.

Rules (see docs/insight.md):

1. *Primary suppression*: every cell, margins included, that counts fewer than
   ``threshold`` (10) clients is suppressed.
2. *Secondary (complementary) suppression*: a line (row or column, margins included)
   with one suppressed cell would give it away by subtraction, so a second cell in that
   line is suppressed — the smallest positive one. Then an *audit* solves, for every
   suppressed cell, the linear programmes an attacker would solve (minimise and maximise
   the cell subject to every published cell, every margin and non-negativity); while any
   suppressed cell can be narrowed to an interval shorter than ``protection``, or to one
   whose upper end lies below ``threshold`` (which would tell the attacker the cell is
   small), one more cell in its row or column is suppressed.
3. *Rounding*: every published count is rounded to a multiple of ``base`` (5).
   Margins are rounded on their own, so published cells need not add up to the margin.
4. *Means, proportions, percentiles* (:func:`protect_means`, :func:`disclose`): shown
   only where at least ``threshold`` distinct clients contribute to that figure, and only
   where the cell's count is published; then *complementary* suppression: a line (row or
   column, margins included) with exactly one hidden figure hides one more (the one with
   fewest contributors), so a hidden mean cannot be worked out from the margin's mean and
   the published cells' means and counts.

Counts are of distinct clients, not of trajectories: the caller counts each client once.

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

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import linprog

TOTAL = "total"
THRESHOLD = 10  # fewer clients than this: the cell is suppressed
BASE = 5  # published counts are rounded to a multiple of this


def round_to_base(values: ArrayLike, base: int = BASE) -> np.ndarray:
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


Cell = tuple[int, int]
Programmes = tuple[
    list[Cell], list[np.ndarray], list[float], list[tuple[float | None, float | None]]
]


def _programmes(
    full: np.ndarray,
    suppressed: np.ndarray,
    bounds: dict[Cell, tuple[float | None, float | None]] | None,
) -> Programmes | None:
    """The attacker's constraints: the suppressed cells (in row order), one equation per
    line of the table that holds one, and each cell's bounds; None when nothing is hidden."""
    cells = [tuple(c) for c in np.argwhere(suppressed)]
    if not cells:
        return None
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
    limits = [(bounds or {}).get(c, (0, None)) for c in cells]
    return cells, a_eq, b_eq, limits


def attack(
    full: np.ndarray,
    suppressed: np.ndarray,
    bounds: dict[tuple[int, int], tuple[float | None, float | None]] | None = None,
) -> dict[tuple[int, int], tuple[float, float]]:
    """The interval an attacker can narrow each suppressed cell to (linear programming).

    ``full`` holds the true table with margins in the last row and column. Each hidden
    cell is at least 0 unless ``bounds`` says otherwise (e.g. for sums of changes, which
    can be negative: the number of clients times the lowest and highest possible value).
    """
    programmes = _programmes(full, suppressed, bounds)
    if programmes is None:
        return {}
    cells, a_eq, b_eq, limits = programmes
    index = {c: k for k, c in enumerate(cells)}
    result = {}
    for c, k in index.items():
        objective = np.zeros(len(cells))
        objective[k] = 1
        lo = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=limits)
        hi = linprog(-objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=limits)
        floor = limits[k][0]
        low = lo.fun if lo.status == 0 else (-np.inf if floor is None else floor)
        high = -hi.fun if hi.status == 0 else np.inf
        result[c] = (float(low), float(high))
    return result


def _moves(full: np.ndarray, suppressed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far each suppressed cell can be moved up and down, staying a table the
    attacker cannot tell from the true one, by one exchange along a rectangle.

    With the margins' signs flipped (the grand total's kept), every row and column of the
    table sums to zero; adding +d and -d at the corners of a rectangle of suppressed
    cells keeps every line's sum and every published cell, so the result is a feasible
    point of the attacker's linear programmes whenever no cell goes below 0. A cell that
    moves up by ``up`` and down by ``down`` this way has an attack interval at least
    ``[value - down, value + up]``.
    """
    rows, cols = full.shape
    sign = np.ones(full.shape)
    sign[-1, :-1] = -1
    sign[:-1, -1] = -1
    up = np.zeros(full.shape)
    down = np.zeros(full.shape)
    inf = np.inf
    for i, j in np.argwhere(suppressed):
        others_r = np.array([c for c in range(cols) if c != j and suppressed[i, c]], dtype=int)
        others_k = np.array([r for r in range(rows) if r != i and suppressed[r, j]], dtype=int)
        if not len(others_r) or not len(others_k):
            continue
        corner = suppressed[np.ix_(others_k, others_r)]
        for direction, out in ((1, up), (-1, down)):
            e = direction * sign[i, j]  # the change of the cell's signed value, per unit
            # (i, l) and (k, j) change by -e, (k, l) by +e (signed); the actual value
            # falls where sign × change < 0, and may fall by at most its value.
            row_room = np.where(-e * sign[i, others_r] < 0, full[i, others_r], inf)
            col_room = np.where(-e * sign[others_k, j] < 0, full[others_k, j], inf)
            opposite = sign[np.ix_(others_k, others_r)]
            corner_room = np.where(e * opposite < 0, full[np.ix_(others_k, others_r)], inf)
            room = np.minimum(np.minimum(col_room[:, None], row_room[None, :]), corner_room)
            room = np.where(corner, room, 0.0)
            best = float(room.max())
            if direction < 0:
                best = min(best, float(full[i, j]))
            out[i, j] = best
    return up, down


def _weak_cells(
    full: np.ndarray, suppressed: np.ndarray, protection: float, threshold: int
) -> list[Cell]:
    """The suppressed cells an attacker can narrow to an interval shorter than
    ``protection``, or to one whose upper end lies below ``threshold``: the same cells,
    in the same order, as ``attack`` with those two tests, with fewer programmes solved.

    Every table the attacker cannot tell from the true one widens what is known of each
    cell's interval: the true table, the rectangle exchanges (``_moves``), and the optimum
    of every programme solved, which moves many cells at once. A cell whose known interval
    already passes both tests is safe, since its attack interval contains the known one;
    only the others have their programmes solved, and a solved cell's interval is exact.
    (Solving all of them took seconds for a table of many teams.)
    """
    programmes = _programmes(full, suppressed, None)
    if programmes is None:
        return []
    cells, a_eq, b_eq, limits = programmes
    truth = np.array([full[c] for c in cells])
    up, down = _moves(full, suppressed)
    at = tuple(np.array(cells).T)
    known_lo, known_hi = truth - down[at], truth + up[at]

    def safe(k: int) -> bool:
        return bool(known_hi[k] - known_lo[k] >= protection and known_hi[k] >= threshold)

    # Push every undecided cell up at once, while that decides more of them: one
    # programme's optimum is a table the attacker cannot rule out, for every cell.
    undecided = [k for k in range(len(cells)) if not safe(k)]
    while undecided:
        objective = np.zeros(len(cells))
        objective[undecided] = -1.0
        solved = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=limits)
        if solved.status != 0:
            break
        known_lo = np.minimum(known_lo, solved.x)
        known_hi = np.maximum(known_hi, solved.x)
        still = [k for k in undecided if not safe(k)]
        if len(still) == len(undecided):
            break
        undecided = still

    weak = []
    for k, cell in enumerate(cells):
        for sense in (-1.0, 1.0):  # the upper end first: it decides more often
            if safe(k):
                break
            objective = np.zeros(len(cells))
            objective[k] = sense
            solved = linprog(objective, A_eq=a_eq or None, b_eq=b_eq or None, bounds=limits)
            if solved.status == 0:
                known_lo = np.minimum(known_lo, solved.x)
                known_hi = np.maximum(known_hi, solved.x)
            elif sense < 0:
                known_hi[k] = np.inf  # unbounded above
        if not safe(k):
            weak.append(cell)
    return weak


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
        weak = _weak_cells(full, suppressed, protection, threshold)
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


def _complement_lines(hidden: np.ndarray, weight: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Hide one more figure in every line (with margins) that has exactly one hidden.

    ``known`` cells (no client contributes: their sum is 0) are not shown but hide nothing.
    """
    hidden = hidden.copy()
    changed = True
    while changed:
        changed = False
        for line in _constraints(hidden):
            shut = [c for c in line if hidden[c] and not known[c]]
            open_ = [c for c in line if not hidden[c]]
            if len(shut) == 1 and open_:
                hidden[min(open_, key=lambda c: (weight[c], c))] = True
                changed = True
    return hidden


def protect_means(
    means: pd.DataFrame,
    table: ProtectedTable,
    contributors: pd.DataFrame | None = None,
    digits: int = 1,
    value_range: tuple[float, float] | None = None,
    protection: float = 1.0,
) -> pd.DataFrame:
    """Means per cell (margins included), shown only where safe.

    A mean is shown where the cell's count is published and at least ``table.threshold``
    distinct clients contribute to the mean itself (``contributors``, same shape with
    margins; without it no mean is shown); then complementary suppression over the lines
    of the table, so no hidden mean follows from the margin and the others; then an audit:
    an attacker who knows every count exactly, and so every published cell's sum (mean
    times count), solves the linear programmes for each hidden sum (each client's value
    within ``value_range``); while a hidden mean can be narrowed to less than
    ``protection`` wide, one more mean in its row or column is hidden.
    """
    index, columns = table.published.index, table.published.columns
    shown = means.reindex(index=index, columns=columns).astype(float)
    if contributors is None:
        n = np.zeros(shown.shape)
    else:
        n = contributors.reindex(index=index, columns=columns).fillna(0).to_numpy(float)
    hidden = table.suppressed.to_numpy() | (n < table.threshold) | shown.isna().to_numpy()
    hidden = _complement_lines(hidden, n, n == 0)
    sums = np.nan_to_num(shown.to_numpy(float) * n)
    lo_value, hi_value = value_range if value_range else (None, None)
    while True:
        unknown = hidden & (n > 0)
        bounds = {
            (int(i), int(j)): (
                None if lo_value is None else lo_value * n[i, j],
                None if hi_value is None else hi_value * n[i, j],
            )
            for i, j in np.argwhere(unknown)
        }
        weak = [
            c
            for c, (lo, hi) in sorted(attack(sums, unknown, bounds).items())
            if (hi - lo) / n[c] < protection
        ]
        if not weak:
            break
        candidates = [
            (ii, jj)
            for ii, jj in np.argwhere(~hidden & (n > 0)).tolist()
            if ii == weak[0][0] or jj == weak[0][1]
        ] or np.argwhere(~hidden & (n > 0)).tolist()
        if not candidates:
            break
        hidden[tuple(min(candidates, key=lambda c: (n[tuple(c)], tuple(c))))] = True
    return shown.round(digits).astype(object).where(~hidden, None)


def disclose(value: float | None, clients: int, threshold: int = THRESHOLD) -> float | None:
    """A single mean, proportion or percentile: shown only when ``threshold`` distinct
    clients or more contribute to it."""
    if value is None or clients < threshold or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def disclose_count(clients: int, threshold: int = THRESHOLD, base: int = BASE) -> int | None:
    """A single count of distinct clients: hidden under ``threshold``, else rounded."""
    if clients < threshold:
        return None
    return int(round_to_base(clients, base))


# People answering a context scan about their own team or organisation are colleagues,
# not clients, and they answer about the workplace, not about themselves or a client.
# Staff surveys commonly report a group's mean from five respondents; ten would hide the
# profile of most neighbourhood teams (8-12 people) for good. The client rules above
# (``THRESHOLD``) are untouched by this: it is used for colleagues' answers only.
COLLEAGUE_THRESHOLD = 5


K = TypeVar("K", bound=Hashable)


def unit_beside_whole(
    own: K, units: Mapping[K, tuple[float, int]], threshold: int = COLLEAGUE_THRESHOLD
) -> tuple[float | None, float | None]:
    """One unit's mean beside the mean of the whole, from ``units`` ({unit: (mean, n)}).

    The unit's mean is shown when ``threshold`` respondents or more answered. The whole's
    mean is taken over the units whose own mean is shown, and only when another such unit
    exists: a hidden unit never enters it, so it cannot be worked out by subtracting the
    shown units from the whole.

    Examples
    --------
    >>> units = {"a": (4.0, 6), "b": (2.0, 6), "c": (1.0, 2)}
    >>> unit_beside_whole("a", units)
    (4.0, 3.0)
    >>> unit_beside_whole("c", units)
    (None, 3.0)
    >>> unit_beside_whole("a", {"a": (4.0, 6), "c": (1.0, 2)})
    (4.0, None)
    """
    shown = {u: (m, n) for u, (m, n) in units.items() if n >= threshold}
    mean, n = units.get(own, (float("nan"), 0))
    own_mean = float(mean) if own in shown else None
    others = [u for u in shown if u != own]
    if not others:
        return own_mean, None
    total = sum(k for _m, k in shown.values())
    return own_mean, float(sum(m * k for m, k in shown.values()) / total)
