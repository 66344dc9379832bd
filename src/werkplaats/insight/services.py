"""Writes of the insight app: CMO configurations and analysis plans (reports are written
by report.py)."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from werkplaats.core.audit import log_access
from werkplaats.insight.models import AnalysisPlan, CmoConfiguration, OutcomeMeasure
from werkplaats.insight.plan import Plan, PlanError, check_against, load_text, parse_plan
from werkplaats.partnership.models import User
from werkplaats.programme.models import Study
from werkplaats.stories.models import Code


class CmoFields(TypedDict):
    """A CMO configuration's fields, as its form gives them."""

    context: str
    mechanism: str
    outcome: str
    term: str
    supporting_code: Code | None
    contradicting_code: Code | None
    status: str


@transaction.atomic
def cmo_create(*, study: Study, user: User, **fields: Unpack[CmoFields]) -> CmoConfiguration:
    cmo = CmoConfiguration(study=study, created_by=user, **fields)
    cmo.full_clean()
    cmo.save()
    log_access(user, "create", cmo)
    return cmo


@transaction.atomic
def cmo_update(
    *, cmo: CmoConfiguration, user: User, **fields: Unpack[CmoFields]
) -> CmoConfiguration:
    for key, value in fields.items():
        setattr(cmo, key, value)
    cmo.full_clean()
    cmo.save()
    log_access(user, "change", cmo)
    return cmo


class PlanRefused(ValueError):
    """The plan was not stored; ``problems`` says why, each naming its key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def plan_errors(study: Study, plan: Plan) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a plan for ``study``, in the reader's language."""
    from werkplaats.insight.selectors import plan_context

    ctx = plan_context(study)
    errors, warnings = check_against(
        plan, ctx.entries, ctx.instruments, ctx.outcomes, ctx.gas_clients
    )
    return [p.text(_) for p in errors], [p.text(_) for p in warnings]


def parse_plan_text(text: str) -> Plan:
    """A plan file's text to a plan; PlanRefused names every problem."""
    try:
        return parse_plan(load_text(text))
    except PlanError as exc:
        raise PlanRefused([p.text(_) for p in exc.problems]) from exc


def plan_set(
    *, study: Study, plan: Plan, user: User | None, base_version: int | None = None
) -> AnalysisPlan:
    """Store ``plan`` as the study's next version.

    Refused when the study's plan is locked (pre-registered), when the plan names what the
    workplace does not know, or when ``base_version`` (the version the writer started
    from) is no longer the current one: a concurrent edit is never silently overwritten.
    """
    errors, _warnings = plan_errors(study, plan)
    if errors:
        raise PlanRefused(errors)
    try:
        with transaction.atomic():
            current = (
                AnalysisPlan.objects.select_for_update()
                .filter(study=study)
                .order_by("-version")
                .first()
            )
            if current is not None and current.locked_at is not None:
                raise PlanRefused(
                    [
                        _(
                            "The plan of this study was pre-registered (version %(v)s, locked "
                            "%(at)s); it cannot be changed."
                        )
                        % {"v": current.version, "at": f"{current.locked_at:%Y-%m-%d %H:%M} UTC"}
                    ]
                )
            number = current.version if current else 0
            if base_version is not None and base_version != number:
                raise PlanRefused(
                    [
                        _(
                            "Someone stored version %(v)s of the plan while you were editing "
                            "version %(base)s; reload the plan and make your change again."
                        )
                        % {"v": number, "base": base_version}
                    ]
                )
            if current is not None and current.content_hash == plan.content_hash():
                return current
            row = AnalysisPlan.objects.create(
                study=study,
                version=number + 1,
                content=plan.as_dict(),
                content_hash=plan.content_hash(),
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise PlanRefused(
            [_("Another version of the plan was stored at the same moment; reload and try again.")]
        ) from None
    if user is not None and getattr(user, "is_authenticated", False):
        log_access(user, "create", row, "analysis plan")
    return row


def plan_lock(*, study: Study, user: User | None) -> AnalysisPlan:
    """Pre-register the study's current plan: its version, hash and time are fixed."""
    with transaction.atomic():
        current = (
            AnalysisPlan.objects.select_for_update()
            .filter(study=study)
            .order_by("-version")
            .first()
        )
        if current is None:
            raise PlanRefused([_("This study has no analysis plan to lock yet.")])
        if current.locked_at is None:
            current.locked_at = timezone.now()
            current.locked_by = user if getattr(user, "is_authenticated", False) else None
            current.save(update_fields=["locked_at", "locked_by"])
    if user is not None and getattr(user, "is_authenticated", False):
        log_access(user, "change", current, "analysis plan locked")
    return current


@transaction.atomic
def measures_set(*, organisation: Any, keys: list[str], user: User) -> list[OutcomeMeasure]:
    """Replace the organisation's outcome measures by ``keys`` (instrument|scale|informant)."""
    OutcomeMeasure.objects.filter(organisation=organisation).delete()
    rows = []
    for position, key in enumerate(keys):
        instrument, scale, informant = key.split("|")
        rows.append(
            OutcomeMeasure.objects.create(
                organisation=organisation,
                instrument=instrument,
                scale=scale,
                informant=informant,
                position=position,
                chosen_by=user,
            )
        )
    log_access(user, "change", organisation, "outcome measures")
    return rows
