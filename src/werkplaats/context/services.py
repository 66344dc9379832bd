"""Writes: a context response (answered again: changed, 409 when stale), a municipality's
characteristics for a year."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from werkplaats.context.models import ContextResponse, MunicipalityYear
from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.instruments.models import InstrumentVersion
from werkplaats.partnership.models import Municipality, Organisation, Team, User


@transaction.atomic
def context_answer(
    *,
    user: User,
    version: InstrumentVersion,
    informant: str,
    year: int,
    answers: dict[str, Any],
    team: Team | None = None,
    organisation: Organisation | None = None,
    expected_version: int | None = None,
) -> ContextResponse:
    """Store (or change) the user's answers about ``team`` or ``organisation`` for ``year``."""
    if (team is None) == (organisation is None):
        raise ValueError("Answer about a team or about an organisation.")
    d = version.parsed
    known = {i.id for i in d.items}
    missing = [i.id for i in d.items if i.required and answers.get(i.id) in (None, "")]
    if set(answers) - known:
        raise ValidationError(_("These answers do not belong to this questionnaire."))
    if missing:
        raise ValidationError(_("Answer every statement before you send the scan."))
    response = ContextResponse.objects.filter(
        team=team,
        organisation=organisation,
        year=year,
        instrument=version.instrument,
        respondent=user,
    ).first()
    if response is None:
        response = ContextResponse.objects.create(
            team=team,
            organisation=organisation,
            year=year,
            instrument=version.instrument,
            instrument_version=version,
            informant=informant,
            respondent=user,
            answers=answers,
        )
    else:
        response.answers = answers
        response.instrument_version = version
        response.informant = informant
        save_versioned(
            response,
            expected_version if expected_version is not None else response.version,
            ["answers", "instrument_version", "informant"],
        )
    log_access(user, "change", response, f"context scan {year}", clients=[])
    return response


@transaction.atomic
def municipality_year_save(
    *,
    municipality: Municipality,
    year: int,
    user: User,
    fields: dict[str, Any],
    expected_version: int | None,
) -> MunicipalityYear:
    record = MunicipalityYear.objects.filter(municipality=municipality, year=year).first()
    if record is None:
        record = MunicipalityYear(municipality=municipality, year=year, entered_by=user, **fields)
        record.full_clean()
        record.save()
    else:
        for name, value in fields.items():
            setattr(record, name, value)
        record.entered_by = user
        record.full_clean()
        save_versioned(
            record,
            expected_version if expected_version is not None else record.version,
            [*fields, "entered_by"],
        )
    log_access(user, "change", record, clients=[])
    return record
