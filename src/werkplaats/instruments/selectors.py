"""Reads of instrument definitions, shaped for the pages."""

from __future__ import annotations

from django.db.models import QuerySet

from werkplaats.instruments import formats
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.stats.definition import Definition


def latest_version(
    instrument: Instrument, versions: QuerySet[InstrumentVersion]
) -> InstrumentVersion | None:
    """The newest version of ``instrument`` among ``versions`` (those visible)."""
    return versions.filter(instrument=instrument).order_by("-created", "-pk").first()


def library(versions: QuerySet[InstrumentVersion]) -> list[InstrumentVersion]:
    """The newest visible version of each instrument."""
    newest: dict[int, InstrumentVersion] = {}
    for version in versions.select_related("instrument").order_by("-created", "-pk"):
        newest.setdefault(version.instrument_id, version)
    return sorted(newest.values(), key=lambda v: v.instrument.slug)


def export_losses(definition: Definition) -> dict[str, list[formats.Loss]]:
    """For each exchange format, what an export of this definition would leave out."""
    out: dict[str, list[formats.Loss]] = {}
    for fmt in formats.FORMATS:
        try:
            out[fmt] = formats.write(definition, fmt).losses
        except formats.FormatError as exc:
            out[fmt] = exc.reasons
    return out
