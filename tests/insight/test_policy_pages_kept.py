"""The policy pages keep their figures (core.data_versions), but a policy maker never sees
figures from before a write, nor figures of a municipality they may not see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.test import Client

from tests.casework.factories import ClientFactory, TrajectoryFactory
from tests.measurements.factories import answered_over_waves
from tests.partnership.factories import MembershipFactory, OrganisationFactory, UserFactory
from werkplaats.casework.models import Trajectory
from werkplaats.core.versioning import save_versioned
from werkplaats.partnership.models import Role, StakeholderKind

pytestmark = pytest.mark.django_db

FIRST = {f"m{i}": 2 for i in range(1, 8)}
LATER = {**FIRST, "m4": 4, "m6": 4}


def _tables(client: Client, url: str) -> str:
    html = client.get(url).content.decode()
    return "".join(re.findall(r"<table.*?</table>", html, re.S))


def _uncached(client: Client, url: str) -> str:
    caches["shared"].clear()
    return _tables(client, url)


def _clients_in_centrum(world, n: int, *, measured: bool = False) -> list[Trajectory]:
    made = []
    for _ in range(n):
        t = TrajectoryFactory(
            client=ClientFactory(neighbourhood=world.hood_a),
            team=world.team_a,
            lead_professional=world.alice,
            start=dt.date(2025, 1, 15),
        )
        if measured:
            answered_over_waves(t, FIRST, LATER)
        made.append(t)
    return made


def _paula(world) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(world.paula)
    return c


def test_the_figures_follow_every_write(world) -> None:
    paula, url = _paula(world), "/figures/"
    before = _tables(paula, url)
    assert "&lt;10" in before  # one open trajectory in Centrum
    made = _clients_in_centrum(world, 10)
    after = _tables(paula, url)
    assert after != before and "&lt;10" not in after  # not the kept figure
    assert after == _uncached(paula, url)
    # closing a case (a versioned save: one UPDATE) takes it out of the open count
    for t in made[:2]:
        t.status = Trajectory.Status.CLOSED
        t.end = dt.date(2025, 6, 1)
        save_versioned(t, t.version, ["status", "end"])
    closed = _tables(paula, url)
    assert closed != after and "&lt;10" in closed
    assert closed == _uncached(paula, url)


def test_the_municipality_outcomes_follow_new_answers(world) -> None:
    paula, url = _paula(world), "/insight/municipality/outcomes/"
    _clients_in_centrum(world, 11, measured=True)
    before = _tables(paula, url)
    assert before == _tables(paula, url)
    # ten more clients answer twice (the bulk services' path for questionnaires)
    _clients_in_centrum(world, 10, measured=True)
    after = _tables(paula, url)
    assert after != before
    assert after == _uncached(paula, url)


def test_the_municipality_outcomes_follow_a_client_who_moves(world) -> None:
    paula, url = _paula(world), "/insight/municipality/outcomes/"
    made = _clients_in_centrum(world, 12, measured=True)
    before = _tables(paula, url)
    for t in made[:3]:  # three clients move out of the municipality
        t.client.neighbourhood = world.hood_b
        t.client.save()
    after = _tables(paula, url)
    assert after != before
    assert after == _uncached(paula, url)


def test_a_policy_maker_sees_only_the_figures_of_their_own_municipality(world) -> None:
    _clients_in_centrum(world, 12, measured=True)
    ClientFactory(neighbourhood=world.hood_b)
    for _ in range(12):
        TrajectoryFactory(
            client=ClientFactory(neighbourhood=world.hood_b),
            team=world.team_b,
            lead_professional=world.bob,
        )
    office_b = OrganisationFactory(
        name="Gemeente B (beleid)",
        kind=StakeholderKind.MUNICIPALITY,
        municipality=world.municipality_b,
    )
    pieter = UserFactory(username="pieter")
    MembershipFactory(user=pieter, organisation=office_b, role=Role.POLICY_MAKER)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(pieter)
    paula = _paula(world)
    for url in ("/figures/", "/insight/municipality/outcomes/"):
        mine = _tables(paula, url)  # kept first for municipality A
        theirs = _tables(other, url)
        assert "Centrum" in mine and "Noord" not in mine
        assert "Noord" in theirs and "Centrum" not in theirs


def test_the_outcomes_are_kept_per_language(world) -> None:
    _clients_in_centrum(world, 12, measured=True)
    english = _tables(_paula(world), "/insight/municipality/outcomes/")
    dutch_client = Client(HTTP_ACCEPT_LANGUAGE="nl")
    dutch_client.force_login(world.paula)
    dutch = _tables(dutch_client, "/insight/municipality/outcomes/")
    assert "total" in english and "totaal" in dutch
