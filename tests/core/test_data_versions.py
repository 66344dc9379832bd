"""Data versions: every kind of write to a tracked table moves its version on, a write
that is rolled back does not, and a kept figure is computed again after a write."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from tests.casework.factories import ContactFactory, TrajectoryFactory
from werkplaats.casework.models import Contact, TargetGroup, Trajectory
from werkplaats.core import data_versions
from werkplaats.core.bulk import insert_rows
from werkplaats.core.versioning import save_versioned

pytestmark = pytest.mark.django_db

THROUGH = Trajectory.target_groups.through


def _version(*tables) -> str:
    return data_versions.versions(tables or [Trajectory])


def test_every_kind_of_write_moves_the_version_on(world) -> None:
    trajectory = world.trajectory_a
    seen = {_version()}

    def changed() -> bool:
        now = _version()
        fresh = now not in seen
        seen.add(now)
        return fresh

    TrajectoryFactory(team=world.team_a)  # save(): INSERT
    assert changed()
    Trajectory.objects.filter(pk=trajectory.pk).update(start=dt.date(2025, 2, 1))  # update()
    assert changed()
    save_versioned(trajectory, trajectory.version, ["status"])  # the case forms' save
    assert changed()
    with connection.cursor() as cursor:  # the bulk services' raw SQL
        cursor.execute(
            f"UPDATE {Trajectory._meta.db_table} SET version = version + 1 WHERE id = %s",
            [trajectory.pk],
        )
    assert changed()
    TrajectoryFactory(team=world.team_a).delete()  # INSERT, then DELETE
    assert changed()


def test_a_many_to_many_change_and_a_bulk_insert_move_the_through_table_on(world) -> None:
    group = TargetGroup.objects.order_by("pk").first()
    assert group is not None
    before = _version(THROUGH)
    world.trajectory_a.target_groups.add(group)
    after_add = _version(THROUGH)
    assert after_add != before
    world.trajectory_a.target_groups.clear()
    # COPY on PostgreSQL (core.bulk reports it), executemany on SQLite (the wrapper sees it)
    insert_rows(THROUGH, ["trajectory", "targetgroup"], [(world.trajectory_b.pk, group.pk)])
    assert len({before, after_add, _version(THROUGH)}) == 3


def test_a_write_elsewhere_leaves_the_version(world) -> None:
    before = _version()
    ContactFactory(trajectory=world.trajectory_a)  # contacts are no input of a kept figure
    assert _version() == before


def test_a_rolled_back_write_leaves_the_version(world) -> None:
    before = _version()
    with pytest.raises(RuntimeError), transaction.atomic():
        TrajectoryFactory(team=world.team_a)
        assert _version() != before  # the transaction sees its own write
        raise RuntimeError
    assert _version() == before


def test_an_untracked_table_cannot_key_a_figure() -> None:
    with pytest.raises(ValueError, match="casework_contact"):
        data_versions.versions([Contact])


def test_a_kept_figure_is_computed_once_and_again_after_a_write(world) -> None:
    computed: list[int] = []

    def count() -> int:
        computed.append(1)
        return Trajectory.objects.count()

    first = data_versions.kept("test:count", [Trajectory], count)
    assert data_versions.kept("test:count", [Trajectory], count) == first
    assert len(computed) == 1
    TrajectoryFactory(team=world.team_a)
    assert data_versions.kept("test:count", [Trajectory], count) == first + 1
    assert len(computed) == 2
    # another key (another scope) is computed on its own
    data_versions.kept("test:count:other", [Trajectory], count)
    assert len(computed) == 3
