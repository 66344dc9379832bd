"""Context values: per team or organisation and year, the mean over its respondents of
each scale of the context instruments; municipality characteristics per year; and, for
the analysis-plan catalogue, the value that held during each trajectory."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from werkplaats.context.models import MUNICIPALITY_VARIABLES, ContextResponse, MunicipalityYear
from werkplaats.core.i18n import current_language
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.stats.definition import pick_text
from werkplaats.stats.scoring import score
from werkplaats.stats.sdc import COLLEAGUE_THRESHOLD, unit_beside_whole

# A unit's mean is shown only when this many colleagues answered: fewer would let a
# colleague's own answers be read off the team's profile (the reason for 5, not the 10
# clients of the client figures, is at ``stats.sdc.COLLEAGUE_THRESHOLD``). The catalogue,
# which leaves the workplace only through a study's disclosure-controlled report, takes
# every value.
MIN_RESPONDENTS = COLLEAGUE_THRESHOLD
UNITS = ("team", "organisation")


def context_versions() -> list[InstrumentVersion]:
    """The latest shared version of every context instrument."""
    out = []
    for instrument in Instrument.objects.filter(kind=Instrument.Kind.CONTEXT).order_by("slug"):
        version = (
            InstrumentVersion.objects.filter(instrument=instrument, organisation__isnull=True)
            .order_by("-pk")
            .first()
        )
        if version is not None:
            out.append(version)
    return out


def context_scales() -> list[tuple[str, str]]:
    """(scale id, label) of every scale of the context instruments."""
    out = []
    for version in context_versions():
        for s in version.parsed.scales:
            out.append((s.id, pick_text(s.label, current_language()) or s.id))
    return out


def catalogue_variables() -> list[tuple[str, str, str]]:
    """(name, description, how it is computed) of the context variables for the catalogue."""
    out = []
    scales = context_scales()
    for unit in UNITS:
        what = _("team") if unit == "team" else _("organisation")
        for scale, label in scales:
            out.append(
                (
                    f"{unit}_{scale}",
                    f"{what}: {label}",
                    _(
                        "mean over the %(what)s's members and managers of the context scan "
                        "in the year the trajectory started (or the last year before it)"
                    )
                    % {"what": what},
                )
            )
    for name in MUNICIPALITY_VARIABLES:
        label = str(getattr(MunicipalityYear._meta.get_field(name), "verbose_name", name))
        out.append(
            (
                f"municipality_{name}",
                f"{_('municipality')}: {label}",
                _("entered by the municipality for the year the trajectory started")
                + " "
                + _("(or the last year before it)"),
            )
        )
    return out


def unit_scores(unit: str, scale: str) -> dict[tuple[int, int], tuple[float, int]]:
    """(unit id, year) -> (mean of ``scale`` over respondents, respondents)."""
    versions = {
        v.pk: v.parsed for v in InstrumentVersion.objects.filter(instrument__kind="context")
    }
    values: dict[tuple[int, int], list[float]] = defaultdict(list)
    fk = f"{unit}_id"
    for unit_id, year, vid, answers in ContextResponse.objects.filter(
        **{f"{unit}__isnull": False}
    ).values_list(fk, "year", "instrument_version_id", "answers"):
        d = versions.get(vid)
        if d is None or scale not in {s.id for s in d.scales}:
            continue
        value = score(d, answers)[scale].value
        if value is not None:
            values[(unit_id, year)].append(float(value))
    return {k: (sum(v) / len(v), len(v)) for k, v in values.items()}


def municipality_values(name: str) -> dict[tuple[int, int], float]:
    return {
        (m, y): float(v)
        for m, y, v in MunicipalityYear.objects.filter(**{f"{name}__isnull": False}).values_list(
            "municipality_id", "year", name
        )
    }


def held_during(series: dict[int, float], start: dt.date, end: dt.date | None) -> float | None:
    """The value in force for a trajectory: the latest year up to its start; failing
    that, the first year during it."""
    before = [y for y in series if y <= start.year]
    if before:
        return series[max(before)]
    last = (end or dt.date.today()).year
    during = [y for y in series if start.year < y <= last]
    return series[min(during)] if during else None


def values_during(name: str, rows: list[tuple[int | None, dt.date, dt.date | None]]) -> list[float]:
    """The value of catalogue variable ``name`` for each (unit id, start, end)."""
    prefix, _sep, rest = name.partition("_")
    if prefix == "municipality":
        raw = municipality_values(rest)
    else:
        raw = {k: v for k, (v, _n) in unit_scores(prefix, rest).items()}
    by_unit: dict[int, dict[int, float]] = defaultdict(dict)
    for (unit_id, year), value in raw.items():
        by_unit[unit_id][year] = value
    out: list[float] = []
    for unit, start, end in rows:
        held = held_during(by_unit.get(unit, {}), start, end) if unit else None
        out.append(float("nan") if held is None else held)
    return out


@dataclass
class Profile:
    """A unit's scale means per year beside the workplace's (None where too few answered)."""

    scales: list[tuple[str, str]]
    years: list[int] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)


def profile(unit: str, unit_id: int) -> Profile:
    scales = context_scales()
    p = Profile(scales)
    per_scale = {s: unit_scores(unit, s) for s, _label in scales}
    years = sorted({y for scores in per_scale.values() for (_u, y) in scores})
    p.years = years
    for year in years:
        cells = []
        for s, _label in scales:
            scores = per_scale[s]
            n = scores.get((unit_id, year), (0.0, 0))[1]
            that_year = {u: value for (u, y), value in scores.items() if y == year}
            own, workplace = unit_beside_whole(unit_id, that_year, MIN_RESPONDENTS)
            cells.append({"own": own, "n": n, "workplace": workplace})
        p.rows.append({"year": year, "cells": cells})
    return p
