"""A chart per instrument over the waves, drawn as SVG on the server.

The selectors return the scores as data; this module draws them (``score_charts``).

One line per informant (client, professional, network member), each with its own
colour and marker shape so that colour is never the only cue; a ring marks a score that
differs reliably (Jacobson & Truax) from the informant's first score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from werkplaats.casework.models import Trajectory
from werkplaats.core.i18n import current_language
from werkplaats.measurements.selectors import GasCourse, InstrumentScores, instrument_scores
from werkplaats.stats.definition import pick_text

# Informants at the same wave sit a few pixels apart, so equal scores stay visible.
NUDGE = {"client": -5.0, "professional": 0.0, "network_member": 5.0}
STYLE = {
    "client": ("#1f5fa8", "circle"),
    "professional": ("#b34700", "square"),
    "network_member": ("#2e7d32", "triangle"),
}


@dataclass(frozen=True)
class Geometry:
    """The drawing box in SVG units; text sizes are in the same units.

    ``WIDE`` suits the staff pages; ``PHONE`` is drawn 320 units wide, so on a 320 px
    screen one unit is about one pixel and the labels are as large as body text.
    """

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    all_dates: bool


WIDE = Geometry(560, 230, 44, 34, 16, 40, 11, True)
PHONE = Geometry(300, 220, 36, 12, 20, 44, 18, False)


def informant_label(informant: str) -> str:
    return {
        "client": _("client"),
        "professional": _("professional"),
        "network_member": _("network member"),
    }.get(informant, informant)


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
    if shape == "triangle":
        return f'<polygon points="{x:.1f},{y - 6:.1f} {x - 6:.1f},{y + 5:.1f} {x + 6:.1f},{y + 5:.1f}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'


def scores_svg(
    entry: InstrumentScores, language: str, box: Geometry = WIDE, *, plain: bool = False
) -> SafeString:
    """The chart of one instrument; ``plain`` (a client's page) names it in plain words."""
    low, high = entry.definition.scale_range(entry.scale)
    if high <= low:
        high = low + 1
    dates = sorted({p.date for points in entry.series.values() for p in points})
    first, last = dates[0], dates[-1]
    span = max((last - first).days, 1)
    WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = (
        box.width,
        box.height,
        box.left,
        box.right,
        box.top,
        box.bottom,
    )
    small = box.font - 1 if box.all_dates else box.font
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(day: dt.date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    if plain:
        title = entry.definition.client_title(language)
    else:
        title = f"{entry.instrument}: {pick_text(entry.scale.label, language)}"
    described = []
    for informant, points in entry.series.items():
        values = ", ".join(f"{p.date:%Y-%m-%d} {p.value:g}" for p in points)
        described.append(f"{informant_label(informant)}: {values}")
    uid = f"chart-{entry.instrument.slug}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="score-chart" aria-labelledby="{uid}-t {uid}-d">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape("; ".join(described))}</desc>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#888"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#888"/>',
        f'<text x="{LEFT - 6}" y="{y_of(low) + 4:.1f}" text-anchor="end" font-size="{box.font}">{low:g}</text>',
        f'<text x="{LEFT - 6}" y="{y_of(high) + 4:.1f}" text-anchor="end" font-size="{box.font}">{high:g}</text>',
    ]
    for band in sorted(entry.scale.bands, key=lambda b: b.min)[1:]:
        if low < band.min < high:
            y = y_of(band.min)
            parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#bbb" '
                f'stroke-dasharray="3 3"/><text x="{LEFT + 4}" y="{y - 3:.1f}" text-anchor="start" '
                f'font-size="{small}" fill="#555">{escape(pick_text(band.label, language))}</text>'
            )
    # On a phone only the first and the last date, so the labels never overlap.
    labelled = dates if box.all_dates or len(dates) <= 2 else [dates[0], dates[-1]]
    for k, day in enumerate(labelled):
        anchor = "middle"
        if not box.all_dates:
            anchor = "start" if k == 0 else "end"
        parts.append(
            f'<text x="{x_of(day):.1f}" y="{HEIGHT - BOTTOM + box.font + 6}" '
            f'text-anchor="{anchor}" font-size="{small}">{day:%Y-%m}</text>'
        )
    for informant, points in entry.series.items():
        colour, shape = STYLE.get(informant, ("#333", "circle"))
        nudge = NUDGE.get(informant, 0.0)
        coords = " ".join(f"{x_of(p.date) + nudge:.1f},{y_of(p.value):.1f}" for p in points)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2" '
            f'data-informant="{informant}"/>'
        )
        for p in points:
            x, y = x_of(p.date) + nudge, y_of(p.value)
            parts.append(_marker(shape, x, y, colour))
            if p.change is not None and p.change.reliable:
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="10" fill="none" stroke="#000" '
                    f'stroke-width="2" data-reliable-change="{p.change.direction}"/>'
                )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def score_charts(
    trajectory: Trajectory | None,
    today: dt.date,
    *,
    informant: str | None = None,
    course: GasCourse | None = None,
) -> list[tuple[InstrumentScores, SafeString]]:
    """Scores per instrument over the waves, each with its chart in the active language.

    With ``informant`` (the client's own page) only that informant's series is kept, and
    instruments they do not answer are left out (the GAS T-scores are the professional's,
    so they are not computed for another informant). ``course``: the GAS T-scores when the
    page has computed them for its header.
    """
    if trajectory is None:
        return []
    language = current_language()
    charts = []
    with_gas = informant in (None, "professional")
    for entry in instrument_scores(trajectory, today, course, with_gas=with_gas):
        if informant is not None:
            if informant not in entry.series:
                continue
            entry.series = {informant: entry.series[informant]}
        box = PHONE if informant is not None else WIDE
        charts.append((entry, scores_svg(entry, language, box, plain=informant is not None)))
    return charts
