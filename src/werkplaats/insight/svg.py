"""Figures drawn on the server as SVG: no JavaScript, the same in the page and the PDF."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

PALETTE = ["#1b6ca8", "#d9822b", "#3a8f5c", "#a23b72", "#6b6b6b", "#8c6d1f"]


def _scale(lo: float, hi: float, a: float, b: float):  # type: ignore[no-untyped-def]
    span = (hi - lo) or 1.0
    return lambda v: a + (v - lo) / span * (b - a)


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    step = 10 ** math.floor(math.log10(span / n))
    for m in (1, 2, 5, 10):
        if span / (step * m) <= n:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step) + 1)]


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def forest(rows: Sequence[tuple[str, float, float, float, bool]], title: str) -> str:
    """Estimates with intervals, one row each: (label, estimate, low, high, highlight)."""
    width, left, right, row_h = 700, 380, 20, 20
    height = 40 + row_h * len(rows)
    lo = min([r[2] for r in rows] + [0.0])
    hi = max([r[3] for r in rows] + [0.0])
    x = _scale(lo, hi, left, width - right)
    body = [f'<line x1="{x(0):.1f}" y1="20" x2="{x(0):.1f}" y2="{height - 20}" stroke="#999"/>']
    for k, (label, est, low, high, mark) in enumerate(rows):
        y = 30 + k * row_h
        colour = PALETTE[0] if mark else "#888"
        short = label if len(label) <= 62 else label[:60] + "…"
        body.append(
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="10">'
            f"{escape(short)}</text>"
        )
        body.append(
            f'<line x1="{x(low):.1f}" y1="{y}" x2="{x(high):.1f}" y2="{y}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        body.append(f'<circle cx="{x(est):.1f}" cy="{y}" r="4" fill="{colour}"/>')
    for t in _ticks(lo, hi):
        body.append(f'<text x="{x(t):.1f}" y="{height - 5}" text-anchor="middle">{t:g}</text>')
    return _svg(width, height, body, title)


def lines(
    series: dict[str, list[tuple[float, float]]],
    title: str,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] | None = None,
) -> str:
    """Line per series: {name: [(x, y), ...]}; labels at the end of each line.

    ``y_range`` is the scale's own range (e.g. 1-5): an axis drawn from the data alone
    makes a small dip look like a collapse. Data outside it widen the axis.
    """
    width, height, left, right, top, bottom = 640, 300, 50, 170, 20, 40
    points = [p for s in series.values() for p in s]
    if not points:
        return _svg(width, 40, ['<text x="10" y="20">—</text>'], title)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    if y_range is not None:
        ys = [*ys, *y_range]
    x = _scale(min(xs), max(xs), left, width - right)
    y = _scale(min(ys), max(ys), height - bottom, top)
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" '
        f'y2="{height - bottom}" stroke="#999"/>'
    ]
    for t in _ticks(min(ys), max(ys)):
        body.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    for t in _ticks(min(xs), max(xs)):
        body.append(
            f'<text x="{x(t):.1f}" y="{height - bottom + 15}" text-anchor="middle">{t:g}</text>'
        )
    body.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 5}" '
        f'text-anchor="middle">{escape(x_label)}</text>'
    )
    body.append(
        f'<text x="12" y="{top + (height - top - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + (height - top - bottom) / 2})">'
        f"{escape(y_label)}</text>"
    )
    for k, (name, pts) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        path = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in sorted(pts))
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        last = max(pts)
        body.append(
            f'<text x="{x(last[0]) + 6:.1f}" y="{y(last[1]) + 4 + 12 * (k % 2):.1f}" '
            f'fill="{colour}">{escape(name)}</text>'
        )
    return _svg(width, height, body, title)


def scatter_limits(
    points: Sequence[tuple[float, float]], bias: float, lower: float, upper: float, title: str
) -> str:
    """A Bland–Altman plot: mean of two informants against their difference."""
    width, height, left, right, top, bottom = 640, 280, 50, 110, 20, 30
    if not points:
        return _svg(width, 40, ['<text x="10" y="20">—</text>'], title)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points] + [lower, upper]
    x = _scale(min(xs), max(xs), left, width - right)
    y = _scale(min(ys), max(ys), height - bottom, top)
    body = [
        f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="1.8" fill="{PALETTE[0]}" fill-opacity="0.35"/>'
        for a, b in points
    ]
    for value, name in ((bias, "bias"), (lower, "−1.96 SD"), (upper, "+1.96 SD")):
        body.append(
            f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right}" '
            f'y2="{y(value):.1f}" stroke="{PALETTE[1]}" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{width - right + 6}" y="{y(value) + 4:.1f}">{escape(name)} '
            f"{value:.1f}</text>"
        )
    for t in _ticks(min(ys), max(ys)):
        body.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{t:g}</text>')
    return _svg(width, height, body, title)


def bars(
    rows: Sequence[tuple[str, float, float, bool]], title: str, a_label: str, b_label: str
) -> str:
    """Paired horizontal bars per group (shares 0–1): (label, a, b, warn).

    Without ``a_label`` there is one series (b): no grey bars and no empty legend entry."""
    width, left, row_h = 640, 200, 26
    height = 40 + row_h * len(rows)
    x = _scale(0, max([1e-9] + [max(r[1], r[2]) for r in rows]), left, width - 60)
    b_at = left + 200 if a_label else left
    body = [
        (
            f'<rect x="{left}" y="6" width="10" height="8" fill="#bbb"/>'
            f'<text x="{left + 14}" y="14">{escape(a_label)}</text>'
            if a_label
            else ""
        )
        + f'<rect x="{b_at}" y="6" width="10" height="8" fill="{PALETTE[0]}"/>'
        f'<text x="{b_at + 14}" y="14">{escape(b_label)}</text>'
    ]
    for k, (label, a, b, warn) in enumerate(rows):
        y0 = 24 + k * row_h
        style = ' fill="#b00" font-weight="bold"' if warn else ""
        mark = "⚠ " if warn else ""
        body.append(
            f'<text x="{left - 8}" y="{y0 + 14}" text-anchor="end"{style}>'
            f"{mark}{escape(label)}</text>"
        )
        if a_label:
            body.append(
                f'<rect x="{left}" y="{y0 + 2}" width="{x(a) - left:.1f}" height="9" fill="#bbb"/>'
            )
        body.append(
            f'<rect x="{left}" y="{y0 + 11}" width="{x(b) - left:.1f}" height="9" '
            f'fill="{PALETTE[0]}"/>'
        )
        body.append(f'<text x="{x(max(a, b)) + 4:.1f}" y="{y0 + 18}">{b:.0%}</text>')
    return _svg(width, height, body, title)
