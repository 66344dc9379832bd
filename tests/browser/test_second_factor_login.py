"""A member of staff sets up the second factor and logs in with it, in Chromium."""

from __future__ import annotations

import base64
from typing import Any

from django_otp.oath import totp

from tests.browser.conftest import log_in


def _code_from_key(shown: str, drift: int = 0) -> str:
    """What an authenticator app computes from the key the page shows."""
    text = shown.replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    return f"{totp(key, step=30, digits=6, drift=drift):06d}"


def test_staff_set_up_and_use_the_second_factor(
    page: Any, world: Any, live_server: Any, live_url: Any, settings: Any
) -> None:
    settings.SECOND_FACTOR_REQUIRED = True
    settings.SECOND_FACTOR_DEMO_EXEMPT = False
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:caseload"))
    assert "/login/second-factor/setup/" in page.url
    assert page.locator(".qr svg").count() == 1
    key = page.get_by_test_id("otp-secret").inner_text()
    page.fill("input[name=code]", _code_from_key(key))
    with page.expect_navigation():
        page.get_by_role("button", name="Bevestigen").click()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    with page.expect_navigation():
        page.get_by_role("link", name="Verder").click()
    assert page.get_by_text(world.trajectory_a.client.pseudonym).count() >= 1

    # Log out, log in again: the password alone opens nothing; the app's code does.
    with page.expect_navigation():
        page.get_by_role("button", name="Uitloggen").first.click()
    log_in(page, live_server, "alice")
    page.goto(live_url("casework:caseload"))
    assert "/login/second-factor/" in page.url
    page.fill("input[name=code]", _code_from_key(key, drift=1))
    with page.expect_navigation():
        page.get_by_role("button", name="Inloggen").click()
    assert page.url == live_url("casework:caseload")
    assert page.get_by_text(world.trajectory_a.client.pseudonym).count() >= 1
