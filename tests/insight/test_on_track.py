"""The caseload's not-on-track signal follows the organisation's outcome measure and its
direction: on a loneliness scale (higher is worse) a client whose score rose while
comparable clients' fell is behind, and one who fell like them is on track."""

from __future__ import annotations

import pytest

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.insight.test_measure_feedback import LONELY, NOT, _choose_loneliness, _loneliness
from werkplaats.casework.models import TargetGroup
from werkplaats.insight.on_track import not_on_track

pytestmark = pytest.mark.django_db


def _debt_trajectory(world, *answers):
    t = TrajectoryFactory(
        client=ClientFactory(neighbourhood=world.hood_a),
        lead_professional=world.alice,
        team=world.team_a,
        start=world.trajectory_a.start,
    )
    t.target_groups.set([TargetGroup.objects.get(code="debt")])
    _loneliness(t, *answers)
    return t


def test_the_signal_reads_a_fall_in_loneliness_as_progress(world) -> None:
    _choose_loneliness(world)
    for _k in range(22):  # comparable clients: much less lonely after three months
        _debt_trajectory(world, LONELY, NOT)
    worse = _debt_trajectory(world, NOT, LONELY)
    better = _debt_trajectory(world, LONELY, NOT)
    once = _debt_trajectory(world, LONELY)
    signals = not_on_track([worse, better, once])
    assert signals == {worse.pk: False, better.pk: True, once.pk: None}


def test_without_comparable_clients_the_signal_says_nothing(world) -> None:
    _choose_loneliness(world)
    lonelier = _debt_trajectory(world, NOT, LONELY)
    assert not_on_track([lonelier]) == {lonelier.pk: None}


def test_the_pages_own_clients_read_as_the_references_rows_do(world) -> None:
    """The caseload reads its own clients as plain rows; each trajectory's row equals the
    last row of the data frame the organisation's reference is computed from."""
    from werkplaats.insight import on_track as signals
    from werkplaats.insight.feedback import main_groups

    _choose_loneliness(world)
    mixed = [
        _debt_trajectory(world, LONELY, NOT, LONELY),
        _debt_trajectory(world, NOT, LONELY),
        _debt_trajectory(world, LONELY),
    ]
    [info] = signals._measures(world.team_a.organisation_id)
    frame = signals._changes(mixed, info)
    expected = {
        int(tid): (rows["group"].iloc[-1], rows["months"].iloc[-1], rows["change"].iloc[-1])
        for tid, rows in frame.groupby("trajectory_id")
        if len(rows) >= 2
    }
    own = signals._own_changes(mixed, info, main_groups(mixed))
    assert own.keys() == expected.keys() == {mixed[0].pk, mixed[1].pk}
    for tid, (group, months, change) in own.items():
        assert (group, change) == (expected[tid][0], expected[tid][2])
        assert months == pytest.approx(expected[tid][1])
    # lonelier (0 to 6 on a scale where higher is worse) is a change of -6; back where
    # one started is none
    assert (own[mixed[1].pk][2], own[mixed[0].pk][2]) == (-6, 0)
