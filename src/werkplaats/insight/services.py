"""Writes of the insight app: CMO configurations (reports are written by report.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from werkplaats.core.audit import log_access
from werkplaats.insight.models import CmoConfiguration
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study

FIELDS = (
    "context",
    "mechanism",
    "outcome",
    "term",
    "supporting_code",
    "contradicting_code",
    "status",
)


@transaction.atomic
def cmo_create(*, study: Study, user: User, **fields: Any) -> CmoConfiguration:
    cmo = CmoConfiguration(study=study, created_by=user, **{k: fields[k] for k in FIELDS})
    cmo.full_clean()
    cmo.save()
    log_access(user, "create", cmo)
    return cmo


@transaction.atomic
def cmo_update(*, cmo: CmoConfiguration, user: User, **fields: Any) -> CmoConfiguration:
    for key in FIELDS:
        setattr(cmo, key, fields[key])
    cmo.full_clean()
    cmo.save()
    log_access(user, "change", cmo)
    return cmo
