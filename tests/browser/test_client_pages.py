"""The pages a client, a network member or a member-check respondent reads, in Chromium.

At 320 px (a small phone) and 1280 px: axe-core finds no violation, no page scrolls
sideways (WCAG 1.4.10), and the text a reader sees holds no jargon or codes (instrument
names, item counts, score ranges, wave codes, "betrouwbare verandering", band labels) and
addresses the reader with "u", never "je". The counts are printed, so a run shows how many
pages it saw.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import log_in
from tests.measurements.factories import make_link, open_assessment

WIDTHS = (320, 1280)
# What a client or network member must not read: the visible text of <main> (a closed
# "About this questionnaire" holds the citation for those who open it).
JARGON = re.compile(
    r"\bm\d\d\b|\bintake\b|Pearlin|Gierveld|Mastery|kwetsbare burgers|Empowerment|\(\d+ items\)|\(\d+-\d+\)"
    r"|betrouwbare verandering|reliable change|eenzaam\b|\bwave\b|\bmeting\b",
    re.IGNORECASE,
)
# Clients and network members are addressed with "u" (docs/glossary.md, "How the Dutch
# reads"); staff pages say "je". A "je" on a client's page is a staff sentence reused.
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jezelf)\b", re.IGNORECASE)


def _client_pages(world: Any, live_url: Any) -> list[tuple[str, str]]:
    assessment = open_assessment(world.trajectory_a, "client")
    return [
        ("home", live_url("home")),
        ("my page", live_url("casework:me")),
        ("my data", live_url("casework:me_data_page")),
        ("my progress", live_url("insight:my_progress")),
        ("my stories", live_url("stories:mine")),
        ("questionnaire", live_url("measurements:fill", pk=assessment.pk)),
        (
            "questionnaire, one per screen",
            live_url("measurements:fill", pk=assessment.pk) + "?one=1",
        ),
        ("stop taking part", live_url("programme:consent_withdraw", pk=world.consent_a.pk)),
        ("member check", live_url("stories:member_check_respond", pk=world.check_a.pk)),
    ]


def _public_pages(world: Any, live_url: Any) -> list[tuple[str, str]]:
    token = make_link(world.trajectory_a)
    return [
        ("log in", live_url("login")),
        ("network member's questionnaire", live_url("measurements:link", token=token)),
        ("network member, one per screen", live_url("measurements:link", token=token) + "?one=1"),
        ("member check by link", live_url("stories:member_check_link", token=world.check_token)),
        ("link no longer valid", live_url("measurements:link", token="x" * 32)),
    ]


def _check(page: Any, pages: list[tuple[str, str]]) -> list[str]:
    axe = Axe()
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 720})
        for name, url in pages:
            page.goto(url)
            results = axe.run(page)
            for violation in results.response["violations"]:
                targets = [n["target"] for n in violation["nodes"]][:3]
                problems.append(f"{name} @ {width}px: axe {violation['id']} {targets}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"{name} @ {width}px: scrolls sideways by {overflow}px")
            if width == WIDTHS[0]:
                seen = page.evaluate("(document.querySelector('main') || document.body).innerText")
                for found in sorted({m.group(0) for m in JARGON.finditer(seen)}):
                    problems.append(f"{name}: a reader sees the jargon or code '{found}'")
                for found in sorted({m.group(0) for m in INFORMAL.finditer(seen)}):
                    problems.append(f"{name}: a reader is addressed with '{found}', not 'u'")
    print(f"checked {len(pages)} pages at {len(WIDTHS)} widths: {len(problems)} problems")
    return problems


@pytest.mark.parametrize("persona", ["klaas"])
def test_client_pages_fit_a_phone_and_pass_axe(
    page: Any, world: Any, live_server: Any, live_url: Any, persona: str
) -> None:
    log_in(page, live_server, persona)
    problems = _check(page, _client_pages(world, live_url))
    assert not problems, "\n".join(problems)


def test_public_pages_fit_a_phone_and_pass_axe(page: Any, world: Any, live_url: Any) -> None:
    problems = _check(page, _public_pages(world, live_url))
    assert not problems, "\n".join(problems)
