"""A team's dilemmas for moral case deliberation: case details removed.

What a dilemma holds (``casework.Dilemma``): the date, the kind of tension, whether a moral
case deliberation was held — structured — and five free texts the professional wrote:
what happened, the values at stake, the options weighed, the choice made and the reasons.

The overview keeps the kind of tension, the month (never the day), whether a deliberation
was held, and the professional's own weighing (values, options, choice, reasons). It
never carries the client, the pseudonym, the trajectory, the professional, or "what
happened" (the account of the case itself). The weighing is free text and can still name
or point to someone: it is shown only to the manager of the team (``access.team_dilemmas``),
and the page and the export say so.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from werkplaats.casework.models import Dilemma
from werkplaats.core.tabular import SafeWriter


@dataclass(frozen=True)
class DilemmaRow:
    """One dilemma without case details; ``number`` is its place in this overview only."""

    number: str
    month: str
    tension: str
    tension_label: str
    deliberated: bool
    values_at_stake: str
    options_weighed: str
    choice: str
    reasons: str


@dataclass(frozen=True)
class TensionCount:
    tension: str
    label: str
    total: int
    deliberated: int


def dilemma_rows(dilemmas: QuerySet[Dilemma]) -> list[DilemmaRow]:
    """The team's dilemmas by tension, then month; numbered D1, D2, … for the session."""
    ordered = sorted(dilemmas, key=lambda d: (d.tension, d.date, d.pk))
    return [
        DilemmaRow(
            number=f"D{i}",
            month=d.date.strftime("%Y-%m"),
            tension=d.tension,
            tension_label=str(Dilemma.Tension(d.tension).label),
            deliberated=d.moral_case_deliberation,
            values_at_stake=d.values_at_stake,
            options_weighed=d.options_weighed,
            choice=d.choice,
            reasons=d.reasons,
        )
        for i, d in enumerate(ordered, start=1)
    ]


def tension_counts(rows: list[DilemmaRow]) -> list[TensionCount]:
    """How many dilemmas of each kind, and in how many a deliberation was held (one team,
    for its own manager, who may read every one of them: no disclosure control)."""
    totals = Counter(r.tension for r in rows)
    deliberated = Counter(r.tension for r in rows if r.deliberated)
    return [
        TensionCount(value, str(label), totals[value], deliberated[value])
        for value, label in Dilemma.Tension.choices
        if totals[value]
    ]


def dilemmas_csv(rows: list[DilemmaRow]) -> str:
    """The overview as CSV for a deliberation session (cells made safe for spreadsheets)."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(
        [
            _("number"),
            _("month"),
            _("tension"),
            _("moral case deliberation held"),
            _("values at stake"),
            _("options weighed"),
            _("choice made"),
            _("reasons"),
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.number,
                r.month,
                r.tension_label,
                _("yes") if r.deliberated else _("no"),
                r.values_at_stake,
                r.options_weighed,
                r.choice,
                r.reasons,
            ]
        )
    return out.getvalue()
