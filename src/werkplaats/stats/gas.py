"""Goal attainment scaling: the summary T-score of Kiresuk & Sherman (1968).

.. math:: T = 50 + \\frac{10 \\sum_i w_i x_i}{\\sqrt{(1-\\rho)\\sum_i w_i^2 + \\rho (\\sum_i w_i)^2}}

with levels :math:`x_i \\in \\{-2,\\dots,2\\}`, weights :math:`w_i` and the assumed
correlation between goal scales :math:`\\rho = 0.3`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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
