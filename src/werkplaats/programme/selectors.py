"""Reads for the programme map and studies."""

from __future__ import annotations

from dataclasses import dataclass, field

from werkplaats.partnership.models import StakeholderKind
from werkplaats.programme.models import Angle, Study, SubTheme


@dataclass
class MapRow:
    subtheme: SubTheme
    studies: list[Study] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    # Per phase of the studies: the stakeholder kinds that took part in that phase.
    phase_kinds: dict[str, set[str]] = field(default_factory=dict)

    def phases(self) -> list[tuple[str, list[str]]]:
        """(phase label, kind labels) in the order of the study phases, for the template."""
        kind_labels = dict(StakeholderKind.choices)
        return [
            (str(label), sorted(str(kind_labels[k]) for k in self.phase_kinds[phase]))
            for phase, label in Study.Phase.choices
            if self.phase_kinds.get(phase)
        ]

    @property
    def is_gap(self) -> bool:
        return not self.studies

    @property
    def missing_kinds(self) -> list[str]:
        return [k for k, _label in StakeholderKind.choices if not self.kinds.get(k)]


def programme_map(
    phase_kinds: dict[int, dict[str, set[str]]] | None = None,
) -> list[tuple[Angle, list[MapRow]]]:
    """Angles × sub-themes × studies × participating stakeholder kinds, with the gaps.

    ``phase_kinds`` (study id → phase → stakeholder kinds) comes from the domains that
    record who took part in a phase; the portal passes the stories' record.
    """
    studies = Study.objects.prefetch_related("subthemes", "participations__organisation")
    rows: dict[int, MapRow] = {
        s.pk: MapRow(s) for s in SubTheme.objects.select_related("angle").order_by("position")
    }
    phase_kinds = phase_kinds or {}
    for study in studies:
        by_phase = phase_kinds.get(study.pk, {})
        # ``kinds`` are the partner organisations named on the study; ``phase_kinds`` add
        # who actually took part in each phase (dialogue sessions, coding rounds).
        kinds = {p.organisation.kind for p in study.participations.all()}
        for subtheme in study.subthemes.all():
            row = rows[subtheme.pk]
            row.studies.append(study)
            for kind in kinds:
                row.kinds[kind] = row.kinds.get(kind, 0) + 1
            for phase, phase_set in by_phase.items():
                row.phase_kinds.setdefault(phase, set()).update(phase_set)
    result: list[tuple[Angle, list[MapRow]]] = []
    for angle in Angle.objects.order_by("position"):
        result.append((angle, [r for r in rows.values() if r.subtheme.angle_id == angle.pk]))
    return result


def study_by_reference(reference: str | int) -> Study | None:
    """A study named on a command line: by its id or its slug."""
    text = str(reference).strip()
    if text.isdigit():
        return Study.objects.filter(pk=int(text)).first()
    return Study.objects.filter(slug=text).first()
