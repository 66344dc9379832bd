"""The reliable change index of Jacobson & Truax (1991)."""

import math

import pytest

from werkplaats.stats.change import reliable_change


def test_jacobson_truax_worked_example() -> None:
    # SD 7.5, reliability .88: SE = 7.5 * sqrt(.12) = 2.598, Sdiff = sqrt(2 SE^2) = 3.674.
    rc = reliable_change(30, 20, sd=7.5, reliability=0.88, higher_is="worse")
    assert rc.s_diff == pytest.approx(7.5 * math.sqrt(0.12) * math.sqrt(2))
    assert rc.rci == pytest.approx(-10 / 3.6742, rel=1e-4)
    assert rc.reliable and rc.direction == "improved"


def test_a_small_change_is_not_reliable() -> None:
    rc = reliable_change(16, 18, sd=3.6, reliability=0.75)
    # Sdiff = 3.6 * sqrt(.25) * sqrt(2) = 2.546; 1.96 * 2.546 = 4.99 > 2
    assert not rc.reliable and rc.direction == "unchanged"
    assert rc.threshold == pytest.approx(1.96 * 3.6 * 0.5 * math.sqrt(2))


def test_direction_follows_what_higher_means() -> None:
    assert reliable_change(10, 20, sd=3.6, reliability=0.75).direction == "improved"
    assert (
        reliable_change(10, 20, sd=3.6, reliability=0.75, higher_is="worse").direction
        == "deteriorated"
    )


@pytest.mark.parametrize(("sd", "r"), [(0, 0.8), (-1, 0.8), (3, 0), (3, 1), (3, 1.2)])
def test_impossible_norms_are_refused(sd: float, r: float) -> None:
    with pytest.raises(ValueError):
        reliable_change(1, 2, sd=sd, reliability=r)
