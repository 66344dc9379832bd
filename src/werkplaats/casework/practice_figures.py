"""Figures across teams, for researchers and for educators and the professional body:
dilemmas by kind of tension, and working principles per team over time.

Only aggregates leave here, under the disclosure rules of ``stats.sdc``:

- dilemmas: per kind of tension (split by whether a moral case deliberation was held) and
  per team, organisation or year, the number of *distinct clients* with such a dilemma;
  the one table with its margins goes through
  ``protect_table`` (cells under 10 suppressed, complementary suppression checked by the
  LP attack, counts rounded to 5). No dilemma text, date, client or professional.
- working principles: per team and year, the share of the team's contacts in which a
  principle was used, shown only where at least 10 distinct clients had contacts that
  year (``disclose``). The workplace's share per year is taken over the shown team-years
  only, so a hidden team-year never enters a published figure and cannot be worked out
  by subtraction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd
from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _

from werkplaats.casework.models import Contact, Dilemma, WorkingPrinciple
from werkplaats.partnership.models import Team
from werkplaats.stats.sdc import THRESHOLD, TOTAL, disclose, protect_table

GROUPINGS = ("team", "organisation", "year")


def _team_labels() -> dict[int, str]:
    """Team names with their organisation (two organisations may both have a 'Team Noord')."""
    return {
        t.pk: f"{t.name} ({t.organisation.name})"
        for t in Team.objects.select_related("organisation")
    }


@dataclass
class CountTable:
    """A protected table: row labels, column labels, cells (None where suppressed)."""

    columns: list[str]
    rows: list[tuple[str, list[int | None]]] = field(default_factory=list)


def _protected(
    counts: dict[tuple[str, str], int], rows: list[str], columns: list[str]
) -> pd.DataFrame:
    frame = pd.DataFrame(
        [[counts.get((r, c), 0) for c in columns] for r in rows], index=rows, columns=columns
    )
    return protect_table(frame).published


def dilemma_table(by: str) -> CountTable:
    """Clients with a dilemma of each kind per team, organisation or year, split by whether
    a moral case deliberation was held about one of them; suppressed, complemented, rounded.

    The split is one table of disjoint groups (a client with several dilemmas of a kind in
    a unit counts once, under "deliberated" if any was), so the disclosure rules see every
    relation between the published cells. Two tables — all clients, and those deliberated
    — would each pass the rules while their difference gave away a small group.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    key = f"practice-figures:dilemmas:{by}"
    published = cache.get(key)
    if published is None:
        published = _protected_dilemmas(by)
        cache.set(key, published, CACHE_SECONDS)
    units, rows = published
    if not units:
        return CountTable([])
    labels = dict(Dilemma.Tension.choices)
    table = CountTable([*units, _("total")])
    for index, cells in rows:
        if index == TOTAL:
            label = _("total")
        else:
            tension, held = index.split(":")
            label = f"{labels[tension]}: " + (
                _("deliberated") if held == "yes" else _("not deliberated")
            )
        table.rows.append((label, cells))
    return table


# The protected table is kept five minutes: its disclosure audit solves two linear
# programmes per suppressed cell, seconds for a table of many teams
# (bench/practice_figures.py), and the counts change slowly.
CACHE_SECONDS = 300


def _protected_dilemmas(by: str) -> tuple[list[str], list[tuple[str, list[int | None]]]]:
    """The units and the protected rows (keyed "tension:yes|no", and TOTAL)."""
    key = {
        "team": "trajectory__team_id",
        "organisation": "trajectory__team__organisation__name",
        "year": "date__year",
    }[by]
    held_by: dict[tuple[str, str, int], bool] = defaultdict(bool)
    names = _team_labels() if by == "team" else {}
    for tension, unit, client, held in Dilemma.objects.values_list(
        "tension", key, "trajectory__client_id", "moral_case_deliberation"
    ):
        cell = (tension, names.get(unit, str(unit)), client)
        held_by[cell] = held_by[cell] or held
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for (tension, unit, _client), held in held_by.items():
        counts[(f"{tension}:{'yes' if held else 'no'}", unit)] += 1
    rows = [
        f"{t}:{held}"
        for t in Dilemma.Tension.values
        for held in ("yes", "no")
        if any(k[0] == f"{t}:{held}" for k in counts)
    ]
    units = sorted({u for _r, u in counts})
    if not units:
        return [], []
    frame = _protected(counts, rows, units)
    return units, [(str(index), list(row)) for index, row in frame.iterrows()]


@dataclass
class PrincipleFigures:
    """For one working principle: per team, the share (%) of contacts per year."""

    principle: WorkingPrinciple
    years: list[int]
    teams: list[tuple[str, list[float | None]]]
    workplace: list[float | None]


def principle_figures(principle: WorkingPrinciple) -> PrincipleFigures:
    """The share of each team's contacts in which ``principle`` was used, per year."""
    # Counted by the database, per team and year (237,000 contacts in the 20,000-client
    # demo: reading them into Python took seconds and 60 MB, bench/practice_figures.py).
    names = _team_labels()
    per_unit = (
        Contact.objects.values("trajectory__team_id", year=ExtractYear("date"))
        .annotate(n=Count("pk"), clients=Count("trajectory__client_id", distinct=True))
        .order_by()
    )
    contacts: dict[tuple[str, int], int] = {}
    clients: dict[tuple[str, int], int] = {}
    for row in per_unit:
        k = (names[row["trajectory__team_id"]], int(row["year"]))
        contacts[k], clients[k] = row["n"], row["clients"]
    used: dict[tuple[str, int], int] = defaultdict(int)
    for used_row in (
        Contact.objects.filter(principles=principle)
        .values("trajectory__team_id", year=ExtractYear("date"))
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    ):
        k = (names[used_row["trajectory__team_id"]], int(used_row["year"]))
        used[k] = used_row["n"]
    years = sorted({y for _t, y in contacts})
    teams = sorted({t for t, _y in contacts})
    shown: set[tuple[str, int]] = set()
    rows = []
    for team in teams:
        cells: list[float | None] = []
        for year in years:
            k = (team, year)
            share = 100 * used[k] / contacts[k] if contacts.get(k) else None
            value = disclose(share, clients.get(k, 0), THRESHOLD)
            if value is not None:
                shown.add(k)
            cells.append(None if value is None else round(value, 0))
        rows.append((team, cells))
    workplace: list[float | None] = []
    for year in years:
        keys = [k for k in shown if k[1] == year]
        total = sum(contacts[k] for k in keys)
        # at least two shown teams, or the workplace share is one team's own
        workplace.append(
            round(100 * sum(used[k] for k in keys) / total, 0) if len(keys) >= 2 else None
        )
    return PrincipleFigures(principle, years, rows, workplace)
