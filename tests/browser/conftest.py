"""Real-browser tests: Debian's Chromium, driven by Playwright, against a live server.

Every test in this folder gets a live Django server (a real socket, real CSRF checks,
real cookies) and a fresh browser context. The browser is the system's ``chromium``
(``WERKPLAATS_CHROMIUM`` overrides the path); Playwright never downloads one. Without
Chromium the tests skip with a message, except on CI (``CI=true``), where they fail.

Usage::

    def test_something(page, world, live_url):
        log_in(page, "alice")
        page.goto(live_url("casework:caseload"))
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

CHROMIUM = os.environ.get("WERKPLAATS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A live server needs committed data; keep the migrations' seed data between tests."""
    here = Path(__file__).resolve().parent
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(here):
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True))
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _seed_contents(django_db_setup: Any, django_db_blocker: Any) -> str | None:
    """The migrations' seed data as Django serialised it when it made the test database.

    Read before Playwright starts: with its event loop running, ``connections`` resolves
    to a wrapper without ``_test_serialized_contents``, so Django's serialized rollback
    silently restores nothing after the first browser test (see ``page``).
    """
    from django.db import connections

    return getattr(connections["default"], "_test_serialized_contents", None)


@pytest.fixture(scope="session")
def browser(_seed_contents: str | None) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself (building the world) are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


@pytest.fixture
def live_url(live_server: Any) -> Callable[..., str]:
    """``live_url("casework:caseload")`` or ``live_url("/path/")``: a URL on the live server."""

    def url(name: str, **kwargs: Any) -> str:
        path = name if name.startswith("/") else reverse(name, kwargs=kwargs or None)
        return f"{live_server.url}{path}"

    return url


@pytest.fixture
def _seeded(browser: Any, live_server: Any, _seed_contents: str | None) -> None:
    """Put back the migrations' seed data where serialized rollback could not."""
    from django.db import connections

    connection = connections["default"]
    if _seed_contents and not hasattr(connection, "_test_serialized_contents"):
        connection.creation.deserialize_db_from_string(_seed_contents)
        connection._test_serialized_contents = _seed_contents  # type: ignore[attr-defined]


@pytest.fixture
def page(
    browser: Any, live_server: Any, _seeded: None, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser tab (own cookies) at phone-friendly defaults, Dutch first.

    Server errors (5xx) fail the test; so do 403 answers to a form post, which is how
    a broken CSRF setup shows itself in a browser; and so does every Content Security
    Policy violation the browser reports (an inline script or style attribute a template
    brought in: docs/security.md says how to write them instead).
    """
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    problems: list[str] = []

    def watch(response: Any) -> None:
        method = response.request.method
        if response.status >= 500 or (response.status == 403 and method == "POST"):
            problems.append(f"{method} {response.url} -> {response.status}")

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            problems.append(f"CSP violation on {tab.url}: {message.text}")

    tab.on("response", watch)
    tab.on("console", console)
    yield tab
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not problems, "the browser saw refused or failing requests: " + "; ".join(problems)


def csp_violations(page: Any) -> list[str]:
    """The Content Security Policy violations the browser reported so far on this tab."""
    return list(page.evaluate("window.__cspViolations || []"))


CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' +
    e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]


def log_in(page: Any, live_server: Any, username: str, password: str | None = None) -> None:
    """Log in through the login form, as a person would."""
    from tests.personas import PASSWORD

    page.goto(f"{live_server.url}{reverse('login')}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")


@pytest.fixture
def world(_seeded: None, transactional_db: Any) -> Any:
    """The personas' world (tests/personas.py), built after the seed data is back."""
    from tests.personas import build_world

    return build_world()
