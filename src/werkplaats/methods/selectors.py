"""Reads of the methods library shaped for its pages, and fidelity over time."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from werkplaats.casework.models import Method, Trajectory
from werkplaats.methods.models import FidelityAnswer, FidelityRecord, MethodVersion


def library() -> QuerySet[Method]:
    return Method.objects.annotate(n_trajectories=Count("trajectory")).order_by("name")


def current_versions(methods: list[Method]) -> dict[int, MethodVersion]:
    """Each method's version with the highest number."""
    out: dict[int, MethodVersion] = {}
    for v in (
        MethodVersion.objects.filter(method__in=methods)
        .prefetch_related("target_groups")
        .order_by("method_id", "-number")
    ):
        out.setdefault(v.method_id, v)
    return out


def version_of(method: Method, number: int | None = None) -> MethodVersion | None:
    """The version ``number`` of ``method`` (the latest when not given)."""
    versions = MethodVersion.objects.filter(method=method).prefetch_related(
        "items", "target_groups", "principles", "organisations"
    )
    if number is not None:
        return versions.filter(number=number).first()
    return versions.order_by("-number").first()


@dataclass
class FidelityPoint:
    """One answered checklist: when, for what, and the share of items done."""

    date: object
    label: str
    done: int
    total: int
    version: int
    missed: list[str]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def fidelity_over_time(trajectory: Trajectory) -> list[FidelityPoint]:
    """Every fidelity record of the trajectory, oldest first, with what was not done."""
    records = list(
        FidelityRecord.objects.filter(trajectory=trajectory)
        .select_related("method_version", "contact")
        .order_by("date", "pk")
    )
    answers: dict[int, list[tuple[str, bool]]] = {r.pk: [] for r in records}
    for record_id, text, done in (
        FidelityAnswer.objects.filter(record__in=records)
        .order_by("item__position")
        .values_list("record_id", "item__text", "done")
    ):
        answers[record_id].append((text, done))
    points = []
    for r in records:
        given = answers[r.pk]
        label = (
            r.contact.get_mode_display()
            if r.contact is not None
            else r.period_start.strftime("%Y-%m")
            if r.period_start
            else ""
        )
        points.append(
            FidelityPoint(
                r.date,
                str(label),
                sum(1 for _t, d in given if d),
                len(given),
                r.method_version.number,
                [t for t, d in given if not d],
            )
        )
    return points
