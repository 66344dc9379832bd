"""Reads that join domains for the portal's pages."""

from __future__ import annotations

from werkplaats.programme import selectors as programme_selectors
from werkplaats.programme.models import Angle
from werkplaats.stories.selectors import study_phase_kinds


def programme_map() -> list[tuple[Angle, list[programme_selectors.MapRow]]]:
    """The programme map, with who took part per phase as the stories domain records it
    (dialogue sessions and coding rounds)."""
    return programme_selectors.programme_map(phase_kinds=study_phase_kinds())
