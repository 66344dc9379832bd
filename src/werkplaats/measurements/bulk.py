"""Bulk writes of finished assessments, for imports (``werkplaats import history``).

Each instrument version is looked up once per organisation and its definition parsed
once; each distinct (item, value) pair is checked once with the same ``check_answer`` as a
person's answer, and the result remembered, so a million answers cost a dictionary look-up
each. Rows are written with ``core.bulk`` (COPY on PostgreSQL). Call inside
``transaction.atomic``; check rows first with an :class:`AnswerChecker` to name rejected
rows in the caller's terms — a ``ValidationError`` from the write means a bad row got
through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from werkplaats.core.bulk import insert_rows, reserve_ids
from werkplaats.instruments.access import visible_versions_for_organisations
from werkplaats.instruments.models import Instrument, InstrumentVersion
from werkplaats.measurements.models import Answer, Assessment, Informant
from werkplaats.stats.definition import AnswerError, check_answer
from werkplaats.stats.scoring import completeness


class AnswerChecker:
    """The answers one instrument version allows, each distinct answer checked once."""

    def __init__(self, version: InstrumentVersion) -> None:
        self.version = version
        self.definition = version.parsed
        self.item_ids = frozenset(i.id for i in self.definition.items)
        items = self.definition.answerable_items
        self.required = tuple(i.id for i in items if i.required)
        self.contextual = any(
            i.relevant is not None
            or i.required_when is not None
            or i.constraint is not None
            or i.choice_filter is not None
            or i.group is not None
            for i in self.definition.items
        )
        self._memo: dict[tuple[str, Any], tuple[Any, AnswerError | None]] = {}

    def check(self, item_id: str, value: Any) -> tuple[Any, AnswerError | None]:
        """(the stored value, None) or (None, the reason it is not allowed)."""
        key = (item_id, value)
        try:
            return self._memo[key]
        except KeyError:
            remember = True
        except TypeError:  # an unhashable value: checked every time
            remember = False
        try:
            result: tuple[Any, AnswerError | None] = (
                check_answer(self.definition, item_id, value),
                None,
            )
        except AnswerError as exc:
            result = (None, exc)
        if remember:
            self._memo[key] = result
        return result

    def missing(self, answered: Container[str]) -> list[str]:
        return [i for i in self.required if i not in answered]

    def whole(self, answers: Mapping[str, object]) -> tuple[list[str], list[str], list[str]]:
        """One assessment's answers together: (required items unanswered, items answered that
        the branching hides, items whose rule fails given the other answers).

        A definition without branching, conditions or rules needs only the required items;
        one with them is checked as the questionnaire page checks it.
        """
        if not self.contextual:
            return self.missing(answers.keys()), [], []
        missing = completeness(self.definition, answers).missing_required
        shown = self.definition.relevant_ids(answers)
        hidden = [i for i in answers if i not in shown]
        failing = []
        for item_id, value in answers.items():
            if self.definition.item(item_id).constraint is not None:
                try:
                    check_answer(self.definition, item_id, value, answers)
                except AnswerError:
                    failing.append(item_id)
        return missing, hidden, failing


def checkers_for(organisation_id: int) -> dict[str, AnswerChecker]:
    """By instrument slug: a checker of the newest version the organisation may use."""
    out: dict[str, AnswerChecker] = {}
    versions = (
        visible_versions_for_organisations([organisation_id])
        .select_related("instrument")
        .order_by("instrument_id", "-created", "-pk")
    )
    for version in versions:
        out.setdefault(version.instrument.slug, AnswerChecker(version))
    return out


@dataclass(frozen=True, slots=True)
class AssessmentValues:
    trajectory_id: int
    instrument: str  # slug
    informant: str
    wave: str
    wave_date: dt.date
    answers: tuple[tuple[str, Any], ...]  # (item id, value) as given


def assessments_write_bulk(
    assessments: Sequence[AssessmentValues],
    checkers: dict[str, AnswerChecker],
    *,
    replace: bool = False,
) -> int:
    """Write complete assessments with their answers; return how many.

    With ``replace``, an assessment of the same trajectory, instrument, informant and wave
    that exists already gets the new answers, date and version (an update of an import);
    without, such a duplicate fails on the database's unique key.
    """
    instrument_ids = dict(Instrument.objects.values_list("slug", "pk"))
    informants = frozenset(Informant.values)
    rows: list[tuple[int, int, int, str, str, dt.date]] = []
    answer_rows: list[list[tuple[str, Any]]] = []
    for n, a in enumerate(assessments):
        checker = checkers.get(a.instrument)
        if checker is None:
            raise ValidationError(f"assessments[{n}]: unknown instrument {a.instrument!r}")
        if a.informant not in informants:
            raise ValidationError(f"assessments[{n}]: unknown informant {a.informant!r}")
        checked = []
        for pair in a.answers:
            item_id, value = pair
            stored, error = checker.check(item_id, value)
            if error is not None:
                raise ValidationError(f"assessments[{n}].answers.{item_id}: {error}")
            if stored is not None:
                checked.append(pair if stored is value else (item_id, stored))
        missing, hidden, failing = checker.whole(dict(checked))
        if missing or hidden or failing:
            raise ValidationError(
                f"assessments[{n}]: unanswered {missing}, hidden {hidden}, rule fails {failing}"
            )
        rows.append(
            (
                a.trajectory_id,
                instrument_ids[a.instrument],
                checker.version.pk,
                a.informant,
                a.wave,
                a.wave_date,
            )
        )
        answer_rows.append(checked)
    now = timezone.now()
    ids: list[int | None] = [None] * len(rows)
    if replace and rows:
        trajectories = sorted({r[0] for r in rows})
        existing: dict[tuple[int, int, str, str], int] = {}
        for k in range(0, len(trajectories), 500):
            for pk, tid, iid, informant, wave in Assessment.objects.filter(
                trajectory_id__in=trajectories[k : k + 500]
            ).values_list("pk", "trajectory_id", "instrument_id", "informant", "wave"):
                existing[(tid, iid, informant, wave)] = pk
        for n, r in enumerate(rows):
            ids[n] = existing.get((r[0], r[1], r[3], r[4]))
        again = [pk for pk in ids if pk is not None]
        for k in range(0, len(again), 500):
            Answer.objects.filter(assessment_id__in=again[k : k + 500]).delete()
        for known, r in zip(ids, rows, strict=True):
            if known is not None:
                Assessment.objects.filter(pk=known).update(
                    version_id=r[2],
                    wave_date=r[5],
                    status=Assessment.Status.COMPLETE,
                    completed_at=now,
                )
    fresh = [n for n, pk in enumerate(ids) if pk is None]
    for n, new in zip(fresh, reserve_ids(Assessment, len(fresh)), strict=True):
        ids[n] = new
    insert_rows(
        Assessment,
        [
            "trajectory",
            "instrument",
            "version",
            "informant",
            "wave",
            "wave_date",
            "status",
            "completed_at",
        ],
        ((*rows[n], Assessment.Status.COMPLETE, now) for n in fresh),
        ids=[given for n in fresh if (given := ids[n]) is not None],
    )
    insert_rows(
        Answer,
        ["assessment", "item_id", "value"],
        (
            (pk, item_id, value)
            for pk, checked in zip(ids, answer_rows, strict=True)
            for item_id, value in checked
        ),
    )
    return len(rows)
