"""Goal attainment scaling: the summary T-score of Kiresuk & Sherman (1968).

.. math:: T = 50 + \\frac{10 \\sum_i w_i x_i}{\\sqrt{(1-\\rho)\\sum_i w_i^2 + \\rho (\\sum_i w_i)^2}}

with levels :math:`x_i \\in \\{-2,\\dots,2\\}`, weights :math:`w_i` and the assumed
correlation between goal scales :math:`\\rho = 0.3`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_RHO = 0.3


def gas_t_score(
    levels: Sequence[int], weights: Sequence[float] | None = None, rho: float = DEFAULT_RHO
) -> float:
    """The GAS T-score for one set of goals scored at one moment.

    Parameters
    ----------
    levels : sequence of int
        The attained level of each goal, each in -2..2.
    weights : sequence of float, optional
        A positive weight per goal; equal weights when omitted.
    rho : float
        The assumed inter-correlation of the goal scales, 0 <= rho < 1.

    Returns
    -------
    float
        50 means every goal reached its expected level; 10 points is one standard deviation.

    Examples
    --------
    >>> gas_t_score([0, 0, 0])
    50.0
    >>> round(gas_t_score([1]), 4)
    60.0
    >>> round(gas_t_score([1, 1, 1]), 2)
    63.69
    """
    if len(levels) == 0:
        raise ValueError("A GAS T-score needs at least one scored goal.")
    if weights is None:
        weights = [1.0] * len(levels)
    if len(weights) != len(levels):
        raise ValueError(
            f"There are {len(levels)} goal levels but {len(weights)} weights; give one per goal."
        )
    for level in levels:
        if level not in (-2, -1, 0, 1, 2):
            raise ValueError(f"A goal level must be -2, -1, 0, +1 or +2, not {level!r}.")
    if any(w <= 0 for w in weights):
        raise ValueError("Goal weights must be positive.")
    if not 0 <= rho < 1:
        raise ValueError(f"rho must lie in [0, 1), not {rho}.")
    weighted = sum(w * x for w, x in zip(weights, levels, strict=True))
    denominator = math.sqrt((1 - rho) * sum(w * w for w in weights) + rho * sum(weights) ** 2)
    return 50.0 + 10.0 * weighted / denominator


@dataclass(frozen=True)
class GoalRecord:
    """One goal as it was over time: the day it was set, its level at the start, its
    weight, and its scores as (date, level) pairs."""

    set_on: dt.date
    baseline: int
    weight: float = 1.0
    scores: tuple[tuple[dt.date, int], ...] = ()

    def level_on(self, day: dt.date) -> int:
        """The latest score on or before ``day``; the baseline when none was given yet."""
        earlier = [(d, i, level) for i, (d, level) in enumerate(self.scores) if d <= day]
        return max(earlier)[2] if earlier else self.baseline


@dataclass(frozen=True)
class GasMoment:
    """The T-score at one moment, and over how many goals (those set by then)."""

    label: str
    as_of: dt.date
    t_score: float
    goals: int
    later_goals: int


def gas_at(
    goals: Sequence[GoalRecord],
    as_of: dt.date,
    *,
    label: str = "",
    baselines: bool = False,
    rho: float = DEFAULT_RHO,
) -> GasMoment | None:
    """The GAS T-score at a moment: over the goals set on or before ``as_of``, each at its
    latest level by then (with ``baselines``, at its level at the start: the intake).

    A goal added later never changes an earlier moment's T-score. None when no goal
    had been set by then.

    Examples
    --------
    >>> d = dt.date
    >>> first = GoalRecord(d(2024, 1, 5), -1, scores=((d(2024, 4, 1), 1),))
    >>> second = GoalRecord(d(2024, 1, 5), -2)
    >>> round(gas_at([first, second], d(2024, 2, 1), baselines=True).t_score, 2)
    31.39
    >>> later = GoalRecord(d(2024, 5, 1), -2)
    >>> gas_at([first, second, later], d(2024, 2, 1), baselines=True).t_score == (
    ...     gas_at([first, second], d(2024, 2, 1), baselines=True).t_score)
    True
    >>> moment = gas_at([first, second, later], d(2024, 4, 2))
    >>> (round(moment.t_score, 2), moment.goals, moment.later_goals)
    (43.8, 2, 1)
    """
    counted = [g for g in goals if g.set_on <= as_of]
    if not counted:
        return None
    levels = [g.baseline if baselines else g.level_on(as_of) for g in counted]
    value = gas_t_score(levels, [g.weight for g in counted], rho)
    return GasMoment(label, as_of, value, len(counted), len(goals) - len(counted))
