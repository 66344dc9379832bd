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

    @property
    def is_gap(self) -> bool:
        return not self.studies

    @property
    def missing_kinds(self) -> list[str]:
        return [k for k, _label in StakeholderKind.choices if not self.kinds.get(k)]


def programme_map() -> list[tuple[Angle, list[MapRow]]]:
    """Angles × sub-themes × studies × participating stakeholder kinds, with the gaps."""
    studies = Study.objects.prefetch_related("subthemes", "participations__organisation")
    rows: dict[int, MapRow] = {
        s.pk: MapRow(s) for s in SubTheme.objects.select_related("angle").order_by("position")
    }
    for study in studies:
        kinds = {p.organisation.kind for p in study.participations.all()}
        for subtheme in study.subthemes.all():
            row = rows[subtheme.pk]
            row.studies.append(study)
            for kind in kinds:
                row.kinds[kind] = row.kinds.get(kind, 0) + 1
    result: list[tuple[Angle, list[MapRow]]] = []
    for angle in Angle.objects.order_by("position"):
        result.append((angle, [r for r in rows.values() if r.subtheme.angle_id == angle.pk]))
    return result
