"""The personal network (ecogram) drawn as SVG: client in the centre, rings by closeness."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from werkplaats.casework.models import NetworkMember

RING_RADIUS = {1: 70, 2: 130, 3: 190}
FONT = 11
# A generous estimate of a character's width in the sans-serif font at FONT (px), so that
# labels placed apart by the estimate are apart on screen (tests/browser measures them).
CHAR_WIDTH = 0.62 * FONT
MARGIN = 4
# Colours chosen for contrast on white and for colour-blind readers (blue vs orange),
# with the shape as a second cue: informal people are circles, formal ones squares.
INFORMAL_COLOUR = "#1f5fa8"
FORMAL_COLOUR = "#b34700"


def network_svg(
    members: Sequence[NetworkMember], centre_label: str, size: int = 440, *, labels: bool = True
) -> SafeString:
    """The map; with ``labels=False`` each person is named only by the kind of relation
    (for research views, where first names and descriptions are personal data)."""
    c = size / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'role="img" aria-labelledby="netmap-title netmap-desc" class="network-map">',
        f'<title id="netmap-title">{escape(_("Personal network"))}</title>',
        f'<desc id="netmap-desc">{escape(_network_description(members))}</desc>',
    ]
    for ring, radius in RING_RADIUS.items():
        parts.append(
            f'<circle cx="{c}" cy="{c}" r="{radius}" fill="none" stroke="#888" '
            f'stroke-dasharray="4 4" data-ring="{ring}"/>'
        )
    parts.append(f'<circle cx="{c}" cy="{c}" r="36" fill="#333"/>')
    parts.append(
        f'<text x="{c}" y="{c + 4}" text-anchor="middle" fill="#fff" font-size="10">'
        f"{escape(centre_label)}</text>"
    )
    by_ring: dict[int, list[NetworkMember]] = {1: [], 2: [], 3: []}
    for member in members:
        by_ring.setdefault(member.closeness, []).append(member)
    placed: list[_Box] = [_Box(c - 36, c - 36, c + 36, c + 36)]  # the centre
    texts: list[str] = []
    nodes = []
    for ring, ring_members in by_ring.items():
        radius = RING_RADIUS.get(ring, 190)
        for i, member in enumerate(ring_members):
            angle = 2 * math.pi * i / max(len(ring_members), 1) + ring * 0.4
            x, y = c + radius * math.cos(angle), c + radius * math.sin(angle)
            nodes.append((member, angle, x, y))
            placed.append(_Box(x - 10, y - 10, x + 10, y + 10))
    for member, angle, x, y in nodes:
        colour = FORMAL_COLOUR if member.formal else INFORMAL_COLOUR
        parts.append(
            f'<line x1="{c}" y1="{c}" x2="{x:.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-width="{1 + len(member.support_given or [])}" opacity="0.5"/>'
        )
        if member.formal:
            parts.append(
                f'<rect x="{x - 9:.1f}" y="{y - 9:.1f}" width="18" height="18" '
                f'fill="{colour}" data-formal="1"/>'
            )
        else:
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="{colour}" data-formal="0"/>'
            )
        label = member.label if labels else member.get_relation_display()
        box, anchor, tx, ty = _place_label(label, angle, x, y, placed)
        placed.append(box)
        texts.append(
            f'<text x="{tx:.1f}" y="{ty:.1f}" text-anchor="{anchor}" font-size="{FONT}" '
            f'class="network-label">{escape(label)}</text>'
        )
    parts.extend(texts)  # labels above every line and marker
    # The picture grows to hold every label: none is cut off at its edge.
    left = min(0.0, *(b.x0 for b in placed)) - MARGIN
    top = min(0.0, *(b.y0 for b in placed)) - MARGIN
    right = max(float(size), *(b.x1 for b in placed)) + MARGIN
    bottom = max(float(size), *(b.y1 for b in placed)) + MARGIN
    parts[0] = parts[0].replace(
        f'viewBox="0 0 {size} {size}"',
        f'viewBox="{left:.0f} {top:.0f} {right - left:.0f} {bottom - top:.0f}"',
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))


class _Box(NamedTuple):
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: _Box) -> bool:
        return not (
            self.x1 <= other.x0 or other.x1 <= self.x0 or self.y1 <= other.y0 or other.y1 <= self.y0
        )


def _place_label(
    label: str, angle: float, x: float, y: float, placed: Sequence[_Box]
) -> tuple[_Box, str, float, float]:
    """Put a label beside its marker, away from the centre, where it overlaps nothing
    placed before it: first outward, then stepped up and down a line at a time."""
    width = CHAR_WIDTH * len(label) + 2
    height = FONT + 3
    cos, sin = math.cos(angle), math.sin(angle)
    if cos > 0.35:
        anchor, tx, ty = "start", x + 14, y + FONT / 2 - 1
    elif cos < -0.35:
        anchor, tx, ty = "end", x - 14, y + FONT / 2 - 1
    else:
        anchor, tx = "middle", x
        ty = y + 24 if sin >= 0 else y - 16
    best = None
    for step in range(0, 13):
        offset = (step + 1) // 2 * (height + 1) * (1 if step % 2 else -1)
        cy = ty + offset
        x0 = tx if anchor == "start" else tx - width if anchor == "end" else tx - width / 2
        box = _Box(x0, cy - FONT, x0 + width, cy - FONT + height)
        if not any(box.overlaps(other) for other in placed):
            return box, anchor, tx, cy
        best = best or (box, anchor, tx, cy)
    assert best is not None  # step 0 always gives one
    return best


def _network_description(members: Sequence[NetworkMember]) -> str:
    informal = sum(1 for m in members if not m.formal)
    return ngettext(
        "%(total)d person, of whom %(informal)d informal and %(formal)d formal.",
        "%(total)d people, of whom %(informal)d informal and %(formal)d formal.",
        len(members),
    ) % {
        "total": len(members),
        "informal": informal,
        "formal": len(members) - informal,
    }
