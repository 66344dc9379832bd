"""Writes to the methods library and fidelity records: validate, one transaction, log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from werkplaats.casework.models import Contact, Method, TargetGroup, Trajectory, WorkingPrinciple
from werkplaats.core.audit import log_access
from werkplaats.core.versioning import save_versioned
from werkplaats.methods.models import (
    FidelityAnswer,
    FidelityItem,
    FidelityMode,
    FidelityRecord,
    MethodOwner,
    MethodVersion,
)
from werkplaats.partnership.models import Organisation, Role, User

MAX_FIDELITY_ITEMS = 12


@dataclass
class MethodContent:
    """What one version of a method says."""

    name: str
    description: str = ""
    goals: str = ""
    own_factors: str = ""
    fidelity_items: list[str] = field(default_factory=list)
    fidelity_mode: str = FidelityMode.CONTACT
    evidence_status: str = "in_development"
    materials: str = ""
    links: str = ""
    target_groups: Iterable[TargetGroup] = ()
    principles: Iterable[WorkingPrinciple] = ()
    organisations: Iterable[Organisation] = ()


def _write_version(method: Method, content: MethodContent, user: User | None) -> MethodVersion:
    items = [t.strip() for t in content.fidelity_items if t.strip()]
    if len(items) > MAX_FIDELITY_ITEMS:
        raise ValidationError(
            {
                "fidelity_items": _(
                    "A fidelity checklist has at most %(n)d items, so it is answered in "
                    "seconds; keep the %(n)d that matter most."
                )
                % {"n": MAX_FIDELITY_ITEMS}
            }
        )
    version = MethodVersion(
        method=method,
        number=method.version,
        saved_by=user,
        description=content.description,
        goals=content.goals,
        own_factors=content.own_factors,
        fidelity_mode=content.fidelity_mode,
        evidence_status=content.evidence_status,
        materials=content.materials,
        links=content.links,
    )
    version.full_clean(exclude=["method", "saved_by"])
    version.save()
    version.target_groups.set(content.target_groups)
    version.principles.set(content.principles)
    version.organisations.set(content.organisations)
    FidelityItem.objects.bulk_create(
        [FidelityItem(version=version, position=i, text=t) for i, t in enumerate(items, 1)]
    )
    return version


@transaction.atomic
def method_create(
    *, user: User | None, content: MethodContent, owners: Iterable[User] = ()
) -> MethodVersion:
    """A new method and its first version; a professional who describes it owns it."""
    if Method.objects.filter(name__iexact=content.name.strip()).exists():
        raise ValidationError({"name": _("A method with this name exists already.")})
    method = Method(name=content.name.strip(), description=content.description)
    method.full_clean()
    method.save()
    owner_set = set(owners)
    if user is not None and user.has_role(Role.PROFESSIONAL):
        owner_set.add(user)
    MethodOwner.objects.bulk_create([MethodOwner(method=method, user=u) for u in owner_set])
    version = _write_version(method, content, user)
    if user is not None:
        log_access(user, "create", method, clients=[])
    return version


@transaction.atomic
def method_update(
    *,
    method: Method,
    user: User,
    expected_version: int,
    content: MethodContent,
    owners: Iterable[User] | None = None,
) -> MethodVersion:
    """A new version of ``method``, refused (409) if someone saved since ``expected_version``."""
    name = content.name.strip()
    if Method.objects.filter(name__iexact=name).exclude(pk=method.pk).exists():
        raise ValidationError({"name": _("A method with this name exists already.")})
    method.name = name
    method.description = content.description
    method.full_clean(exclude=["name"])
    save_versioned(method, expected_version, ["name", "description"])
    if owners is not None:
        method.owners.exclude(user__in=list(owners)).delete()
        existing = set(method.owners.values_list("user_id", flat=True))
        MethodOwner.objects.bulk_create(
            [MethodOwner(method=method, user=u) for u in owners if u.pk not in existing]
        )
    version = _write_version(method, content, user)
    log_access(user, "change", method, f"version {version.number}", clients=[])
    return version


def version_followed(trajectory: Trajectory) -> MethodVersion | None:
    """The method version a trajectory follows: the one it recorded, else the latest."""
    if trajectory.method_id is None:
        return None
    versions = MethodVersion.objects.filter(method_id=trajectory.method_id)
    if trajectory.method_version is not None:
        exact = versions.filter(number=trajectory.method_version).first()
        if exact is not None:
            return exact
    return versions.order_by("-number").first()


def _answers(record: FidelityRecord, version: MethodVersion, done: Iterable[int]) -> None:
    items = list(version.items.all())
    chosen = set(done)
    unknown = chosen - {i.pk for i in items}
    if unknown:
        raise ValidationError(_("These fidelity items do not belong to this method's version."))
    record.answers.all().delete()
    FidelityAnswer.objects.bulk_create(
        [FidelityAnswer(record=record, item=i, done=i.pk in chosen) for i in items]
    )


@transaction.atomic
def fidelity_record_contact(
    *, contact: Contact, version: MethodVersion, user: User, done: Iterable[int]
) -> FidelityRecord:
    """The checklist answered in the contact form (each item done or not)."""
    record = FidelityRecord.objects.create(
        trajectory=contact.trajectory,
        method_version=version,
        contact=contact,
        date=contact.date,
        recorded_by=user,
    )
    _answers(record, version, done)
    log_access(user, "create", record)
    return record


def period_start(day: dt.date, mode: str) -> dt.date:
    """The first day of the month (or quarter) ``day`` lies in."""
    if mode == FidelityMode.QUARTER:
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(day=1)


@transaction.atomic
def fidelity_record_period(
    *,
    trajectory: Trajectory,
    version: MethodVersion,
    user: User,
    day: dt.date,
    done: Iterable[int],
    expected_version: int | None = None,
) -> FidelityRecord:
    """The checklist answered for the period ``day`` lies in; a second save for the same
    period changes that record (refused with 409 when someone saved in between)."""
    start = period_start(day, version.fidelity_mode)
    record = FidelityRecord.objects.filter(trajectory=trajectory, period_start=start).first()
    if record is None:
        record = FidelityRecord.objects.create(
            trajectory=trajectory,
            method_version=version,
            period_start=start,
            date=day,
            recorded_by=user,
        )
        log_access(user, "create", record)
    else:
        record.method_version = version
        record.date = day
        record.recorded_by = user
        save_versioned(
            record,
            expected_version if expected_version is not None else record.version,
            ["method_version", "date", "recorded_by"],
        )
        log_access(user, "change", record)
    _answers(record, version, done)
    return record
