"""Reliable change: the reliable change index of Jacobson & Truax (1991).

.. math:: RCI = \\frac{x_2 - x_1}{S_{diff}}, \\quad S_{diff} = \\sqrt{2 S_E^2},
          \\quad S_E = s_1 \\sqrt{1 - r_{xx}}

with :math:`s_1` the standard deviation of a norm (or baseline) group and :math:`r_{xx}`
the reliability of the scale. A change is reliable when :math:`|RCI| > 1.96`: a change
that large arises by measurement error alone in fewer than 5% of cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96


@dataclass(frozen=True)
class ReliableChange:
    """The outcome of comparing two scores of one person."""

    difference: float
    s_diff: float
    rci: float
    reliable: bool
    direction: str  # "improved", "deteriorated" or "unchanged" (not reliably changed)

    @property
    def threshold(self) -> float:
        """The smallest difference that counts as reliable change."""
        return Z_95 * self.s_diff


def reliable_change(
    before: float,
    after: float,
    *,
    sd: float,
    reliability: float,
    higher_is: str = "better",
    z: float = Z_95,
) -> ReliableChange:
    """The reliable change index between two scores.

    Parameters
    ----------
    before, after : float
        The earlier and the later score on the same scale.
    sd : float
        Standard deviation of the norm group, > 0.
    reliability : float
        Reliability of the scale (e.g. Cronbach's alpha or test-retest), in (0, 1).
    higher_is : {"better", "worse"}
        Whether a higher score means things are going better (mastery) or worse
        (loneliness); decides the direction.
    z : float
        Critical value, 1.96 for 95%.

    Examples
    --------
    Jacobson & Truax's worked example: SD 7.5, reliability .88, a change of 10 points.

    >>> rc = reliable_change(30, 20, sd=7.5, reliability=0.88, higher_is="worse")
    >>> round(rc.s_diff, 2), round(rc.rci, 2), rc.reliable, rc.direction
    (3.67, -2.72, True, 'improved')
    """
    if not sd > 0:
        raise ValueError(f"The norm standard deviation must be positive, not {sd}.")
    if not 0 < reliability < 1:
        raise ValueError(f"The reliability must lie between 0 and 1, not {reliability}.")
    if higher_is not in ("better", "worse"):
        raise ValueError(f"higher_is must be 'better' or 'worse', not {higher_is!r}.")
    standard_error = sd * math.sqrt(1 - reliability)
    s_diff = math.sqrt(2 * standard_error**2)
    difference = after - before
    rci = difference / s_diff
    reliable = abs(rci) > z
    if not reliable:
        direction = "unchanged"
    elif (difference > 0) == (higher_is == "better"):
        direction = "improved"
    else:
        direction = "deteriorated"
    return ReliableChange(difference, s_diff, rci, reliable, direction)


@dataclass(frozen=True)
class ClinicalChange:
    """Jacobson & Truax's classification: recovered, improved, unchanged, deteriorated."""

    cutoff: float
    criterion: str  # "c" (between two norm groups) or "a" (two SD from the clinical mean)
    category: str  # "recovered", "improved", "unchanged", "deteriorated"
    reliable_change: ReliableChange


def clinical_cutoff(
    *,
    clinical_mean: float,
    clinical_sd: float,
    functional_mean: float | None = None,
    functional_sd: float | None = None,
    higher_is: str = "better",
) -> tuple[float, str]:
    """The cutoff for clinically significant change and which criterion gave it.

    With norms for a functional population, criterion *c*: the point between the two
    means weighted by the SDs. Without them, criterion *a*: two SDs from the clinical mean
    in the good direction.

    >>> clinical_cutoff(clinical_mean=20, clinical_sd=4, functional_mean=26, functional_sd=2)
    (24.0, 'c')
    >>> clinical_cutoff(clinical_mean=20, clinical_sd=4)
    (28, 'a')
    """
    if functional_mean is not None and functional_sd is not None:
        c = (clinical_sd * functional_mean + functional_sd * clinical_mean) / (
            clinical_sd + functional_sd
        )
        return c, "c"
    sign = 1 if higher_is == "better" else -1
    return clinical_mean + sign * 2 * clinical_sd, "a"


def clinical_change(
    before: float,
    after: float,
    *,
    sd: float,
    reliability: float,
    cutoff: float,
    criterion: str = "c",
    higher_is: str = "better",
) -> ClinicalChange:
    """Reliable change plus crossing the cutoff: *recovered* when both hold.

    >>> clinical_change(18, 26, sd=3.6, reliability=0.75, cutoff=24).category
    'recovered'
    >>> clinical_change(18, 23, sd=3.6, reliability=0.75, cutoff=24).category
    'improved'
    """
    rc = reliable_change(before, after, sd=sd, reliability=reliability, higher_is=higher_is)
    good_side = after >= cutoff if higher_is == "better" else after <= cutoff
    was_bad = before < cutoff if higher_is == "better" else before > cutoff
    if rc.direction == "improved" and good_side and was_bad:
        category = "recovered"
    else:
        category = rc.direction
    return ClinicalChange(cutoff, criterion, category, rc)
