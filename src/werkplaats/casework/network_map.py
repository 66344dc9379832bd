"""The personal network (ecogram) drawn as SVG: client in the centre, rings by closeness."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from werkplaats.casework.models import NetworkMember

RING_RADIUS = {1: 70, 2: 130, 3: 190}
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
    for ring, ring_members in by_ring.items():
        radius = RING_RADIUS.get(ring, 190)
        for i, member in enumerate(ring_members):
            angle = 2 * math.pi * i / max(len(ring_members), 1) + ring * 0.4
            x, y = c + radius * math.cos(angle), c + radius * math.sin(angle)
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
            parts.append(
                f'<text x="{x:.1f}" y="{y + 22:.1f}" text-anchor="middle" font-size="11">'
                f"{escape(member.label if labels else member.get_relation_display())}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


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
