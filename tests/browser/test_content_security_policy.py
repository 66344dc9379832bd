"""The Content Security Policy (django-csp, no 'unsafe-inline') breaks no page: the main
pages of every role load in Chromium without a single violation, and their scripts run.

The rows come from the access matrix, so the pages are those each role can reach. The
``page`` fixture also fails any browser test on a violation in the console."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.conftest import CSP_LISTENER, csp_violations, log_in
from tests.core.test_access_matrix import MATRIX

MAIN_PAGES = {
    "alice": [
        "home",
        "casework:caseload",
        "casework:trajectory",
        "casework:contact_new",
        "casework:goal_new",
        "measurements:trajectory",
        "stories:index",
        "programme:map",
        "instruments:library",
    ],
    "carol": ["casework:caseload", "partnership:team", "insight:team"],
    "erin": ["partnership:organisation", "partnership:member_invite", "insight:organisation"],
    "rita": [
        "stories:index",
        "stories:codebook",
        "stories:round",
        "stories:code_document",
        "stories:finding",
        "programme:study",
        "insight:study",
        "insight:plan",
    ],
    "paula": ["casework:figures", "insight:municipality"],
    "eva": ["stories:index", "stories:code_document"],
    "otto": ["home", "stories:index"],
    "klaas": ["casework:me", "casework:me_data_page", "stories:mine", "stories:code_document"],
}
ROWS = {row.name: row for row in MATRIX if row.method == "get"}


def test_every_page_answers_with_a_policy_without_unsafe_inline(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    response = page.goto(live_url("login"))
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


@pytest.mark.parametrize("persona", sorted(MAIN_PAGES))
def test_the_main_pages_of_each_role_load_without_a_policy_violation(
    persona: str, page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    page.context.add_init_script(CSP_LISTENER)
    log_in(page, live_server, persona)
    seen: dict[str, list[str]] = {}
    for name in MAIN_PAGES[persona]:
        row = ROWS[name]
        assert row.expect.get(persona) == 200, f"{persona} cannot reach {name}"
        response = page.goto(live_server.url + reverse(name, kwargs=row.kwargs(world) or None))
        assert response.status == 200, f"{name}: {response.status}"
        assert "content-security-policy" in response.headers, name
        page.wait_for_load_state("load")
        violations = csp_violations(page)
        if violations:
            seen[name] = violations
    assert not seen, f"Content Security Policy violations: {seen}"


def test_colours_and_the_coding_script_still_work_under_the_policy(
    page: Any, world: Any, live_server: Any, live_url: Any
) -> None:
    log_in(page, live_server, "rita")
    page.goto(live_url("stories:code_document", pk=world.round_a.pk, doc=world.shared_a.pk))
    # The code's colour comes from werkplaats.js (no style attribute).
    colour = page.locator("label.code-choice").first.evaluate(
        "el => getComputedStyle(el).borderLeftColor"
    )
    assert colour not in ("rgb(153, 153, 153)", ""), colour
    # The selection script (coding.js) turns a mouse selection into offsets.
    page.locator("div.unit span").first.evaluate(
        """span => { const r = document.createRange(); r.setStart(span.firstChild, 0);
        r.setEnd(span.firstChild, Math.min(5, span.firstChild.length));
        const s = window.getSelection(); s.removeAllRanges(); s.addRange(r); }"""
    )
    page.wait_for_function("document.getElementById('coding-form').elements.utf16.value === '1'")
    assert page.locator("#selection-note").inner_text().startswith("Geselecteerd")
