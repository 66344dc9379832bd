"""The variables a study's analysis plan can use: their names, levels and descriptions.

:func:`definitions` lists them (fixed ones, one per target group and working principle,
one per recorded characteristic of organisations, teams and municipalities, and the
context measured over time); :mod:`werkplaats.insight.dataset` computes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.db import models
from django.utils.translation import gettext as _

from werkplaats.casework.models import (
    TargetGroup,
    WorkingPrinciple,
)
from werkplaats.context import selectors as context_selectors
from werkplaats.insight.plan import CatalogueEntry
from werkplaats.partnership.models import Municipality, Organisation, Team

AGE_BANDS = [
    (0, 27, "18-26"),
    (27, 45, "27-44"),
    (45, 65, "45-64"),
    (65, 75, "65-74"),
    (75, 200, "75+"),
]
DUTCH = {"nederlands", "nl", "dutch"}


def age_band(birth_year: float | None, start_year: int) -> str:
    if birth_year is None or pd.isna(birth_year):
        return "?"
    age = start_year - int(birth_year)
    for lo, hi, label in AGE_BANDS:
        if lo <= age < hi:
            return label
    return "?"


def code_name(code: str) -> str:
    """A catalogue name part from a code: ``frail-elderly`` -> ``frail_elderly``."""
    return code.replace("-", "_").replace(" ", "_").lower()


@dataclass
class Variable:
    """One variable of the catalogue."""

    name: str
    level: str  # client, process, context
    kind: str  # number or indicator
    description: str
    computed: str
    clients: int = 0

    def entry(self) -> CatalogueEntry:
        return CatalogueEntry(self.name, self.level, self.kind, self.clients)


def characteristics() -> list[tuple[type[models.Model], str, str, str]]:
    """Every numeric or yes/no characteristic recorded of organisations, teams and
    municipalities: (model, prefix, field, verbose name)."""
    out: list[tuple[type[models.Model], str, str, str]] = []
    kinds = (
        models.IntegerField,
        models.FloatField,
        models.DecimalField,
        models.BooleanField,
    )
    for model, prefix in (
        (Organisation, "organisation"),
        (Team, "team"),
        (Municipality, "municipality"),
    ):
        for f in model._meta.get_fields():
            # editable: a characteristic someone records, not the version counter of
            # an edit (core.models.VersionedModel, which teams are)
            if isinstance(f, kinds) and f.editable and not f.primary_key and not f.is_relation:
                out.append((model, prefix, f.name, str(f.verbose_name)))
    return out


def definitions() -> list[Variable]:
    """The catalogue's variables (without counts): fixed ones and one per code."""
    v = [
        Variable(
            "age_at_start",
            "client",
            "number",
            _("Age at the start of the trajectory"),
            _("year the trajectory started minus the year of birth"),
        ),
        Variable(
            "language_other",
            "client",
            "indicator",
            _("Speaks another language than Dutch at home"),
            _("1 when the language at home is recorded and is not Dutch"),
        ),
        Variable(
            "network_size_start",
            "client",
            "number",
            _("Network size at the start"),
            _("members of the trajectory's first network snapshot"),
        ),
        Variable(
            "informal_size_start",
            "client",
            "number",
            _("Informal network at the start"),
            _("informal (unpaid) members of the trajectory's first network snapshot"),
        ),
        Variable(
            "informal_share_start",
            "client",
            "number",
            _("Informal share of the network at the start"),
            _("informal members / all members of the first network snapshot"),
        ),
    ]
    for tg in TargetGroup.objects.order_by("code"):
        v.append(
            Variable(
                f"is_{code_name(tg.code)}",
                "client",
                "indicator",
                _("Target group: %(name)s") % {"name": tg},
                _("1 when the trajectory has the target group %(code)s") % {"code": tg.code},
            )
        )
    v += [
        Variable(
            "has_method",
            "process",
            "indicator",
            _("Follows a method"),
            _("1 when the trajectory records a method"),
        ),
        Variable(
            "alliance_mean",
            "process",
            "number",
            _("Mean alliance check (1-5)"),
            _("mean of the four alliance questions over the trajectory's contacts"),
        ),
        Variable(
            "contacts_per_month",
            "process",
            "number",
            _("Contacts per month"),
            _("contacts of the trajectory / months from its start to its last contact"),
        ),
        Variable(
            "video_share",
            "process",
            "number",
            _("Video rather than phone"),
            _("share of the trajectory's remote contacts held by video"),
        ),
        Variable(
            "informal_present_share",
            "process",
            "number",
            _("Informal network present"),
            _("share of the trajectory's contacts with the informal network present"),
        ),
    ]
    for p in WorkingPrinciple.objects.order_by("position", "code"):
        v.append(
            Variable(
                f"share_{code_name(p.code)}",
                "process",
                "number",
                _("Working principle in the trajectory: %(name)s") % {"name": p},
                _("share of the trajectory's contacts with the principle %(code)s")
                % {"code": p.code},
            )
        )
        v.append(
            Variable(
                f"professional_share_{code_name(p.code)}",
                "process",
                "number",
                _("Working principle of the professional: %(name)s") % {"name": p},
                _(
                    "share of the lead professional's contacts (with all their clients in "
                    "the study) with the principle %(code)s"
                )
                % {"code": p.code},
            )
        )
    for _model, prefix, name, label in characteristics():
        v.append(
            Variable(
                f"{prefix}_{name}",
                "context",
                "number",
                f"{prefix}: {label}",
                _("recorded for the %(what)s of the trajectory's team") % {"what": prefix}
                if prefix != "team"
                else _("recorded for the trajectory's team"),
            )
        )
    # context measured over time (werkplaats.context): team and organisation scans, the
    # municipality's characteristics per year, at the value that held during the trajectory
    taken = {x.name for x in v}
    for name, label, computed in context_selectors.catalogue_variables():
        if name not in taken:
            v.append(Variable(name, "context", "number", label, computed))
    return v
