"""The network map's labels neither overlap nor are cut off, measured in Chromium.

A crowded network (twelve people, long names, several on one ring) is drawn on the
professional's trajectory page at 1366 px and on the client's own page at 320 and
1280 px. Every label's box (getBoundingClientRect) must lie inside the picture, touch no
other label and cover no person's marker. The counts are printed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.browser.conftest import log_in
from tests.casework.factories import NetworkMemberFactory, NetworkSnapshotFactory

LABELS = [
    ("Buurvrouw Annemarie van den Heuvel", "neighbour", 1, False),
    ("Oom Kees", "family", 1, False),
    ("Dochter Samira", "family", 1, False),
    ("Zoon", "family", 1, False),
    ("Wijkverpleegkundige (thuiszorg Rivierstad)", "professional", 2, True),
    ("Vriendin van de sportschool", "friend", 2, False),
    ("Huisarts dokter Bakker", "professional", 2, True),
    ("Schuldhulpverlener", "professional", 3, True),
    ("Collega van vroeger bij de bakkerij", "friend", 3, False),
    ("Kerkgenootschap", "acquaintance", 3, False),
    ("Buurman", "neighbour", 3, False),
    ("Ex-partner", "family", 3, False),
]

MEASURE = """() => {
  const svg = document.querySelector('svg.network-map');
  const r = svg.getBoundingClientRect();
  const box = (e) => { const b = e.getBoundingClientRect();
    return {l: b.left, t: b.top, r: b.right, b: b.bottom, text: e.textContent || ''}; };
  return {
    svg: {l: r.left, t: r.top, r: r.right, b: r.bottom},
    labels: [...svg.querySelectorAll('text.network-label')].map(box),
    markers: [...svg.querySelectorAll('[data-formal]')].map(box),
  };
}"""


def _crowd(world: Any) -> None:
    snapshot = NetworkSnapshotFactory(trajectory=world.trajectory_a, date=dt.date(2025, 6, 1))
    for label, relation, closeness, formal in LABELS:
        NetworkMemberFactory(
            snapshot=snapshot, label=label, relation=relation, closeness=closeness, formal=formal
        )


def _overlap(a: dict[str, Any], b: dict[str, Any], slack: float = 0.5) -> bool:
    return not (
        a["r"] <= b["l"] + slack
        or b["r"] <= a["l"] + slack
        or a["b"] <= b["t"] + slack
        or b["b"] <= a["t"] + slack
    )


def _problems(page: Any, where: str) -> list[str]:
    found = page.evaluate(MEASURE)
    svg, labels, markers = found["svg"], found["labels"], found["markers"]
    problems = []
    assert len(labels) == len(LABELS), labels
    for i, a in enumerate(labels):
        if a["l"] < svg["l"] - 0.5 or a["r"] > svg["r"] + 0.5 or a["t"] < svg["t"] - 0.5:
            problems.append(f"{where}: '{a['text']}' is cut off at the picture's edge")
        if a["b"] > svg["b"] + 0.5:
            problems.append(f"{where}: '{a['text']}' is cut off at the picture's bottom")
        for b in labels[i + 1 :]:
            if _overlap(a, b):
                problems.append(f"{where}: '{a['text']}' overlaps '{b['text']}'")
        for m in markers:
            if _overlap(a, m):
                problems.append(f"{where}: '{a['text']}' covers a person's marker")
    print(f"{where}: {len(labels)} labels measured, {len(problems)} problems")
    return problems


def test_labels_do_not_overlap_or_clip_on_the_staff_page_at_1366(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    _crowd(world)
    log_in(page, live_server, "alice")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(live_url("casework:trajectory", pk=world.trajectory_a.pk))
    problems = _problems(page, "trajectory page @ 1366px")
    assert not problems, "\n".join(problems)


def test_labels_do_not_overlap_or_clip_on_the_clients_page(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    _crowd(world)
    log_in(page, live_server, "klaas")
    problems = []
    for width in (320, 1280):
        page.set_viewport_size({"width": width, "height": 720})
        page.goto(live_url("casework:me"))
        problems += _problems(page, f"my page @ {width}px")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"my page @ {width}px scrolls sideways by {overflow}px"
    assert not problems, "\n".join(problems)
