"""From an empty database to a first registered contact, done in a browser.

    .venv/bin/python bench/first_contact.py
    WERKPLAATS_BENCH_PORT=8170 .venv/bin/python bench/first_contact.py   # serve on a given port

Makes a new SQLite database with fresh keys, runs ``werkplaats migrate`` and
``werkplaats setup docs/examples/setup.yaml``, serves it with ``werkplaats serve``, and then, in headless Chromium
(Debian's ``chromium``, driven by Playwright), does what the professional sw-01 does on
their first day: opens the invitation link that setup printed, chooses a password, logs
in (with the second step that staff roles have: an authenticator app, its code computed
here from the key the page shows), registers a new client (with care consent) and records a first contact. Prints a
table of the steps and the total wall-clock time. The browser part waits for each page
as a person would, but types instantly, so it is the floor of what a person needs.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("WERKPLAATS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _totp(secret: str) -> str:
    """The current RFC 6238 code (30 s, 6 digits, SHA-1) for a base32 key."""
    import hashlib
    import hmac
    import struct

    text = secret.replace(" ", "")
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="werkplaats-first-contact-"))
    port = int(os.environ.get("WERKPLAATS_BENCH_PORT") or _free_port())
    env = {
        **os.environ,
        "WERKPLAATS_SECRET_KEY": secrets.token_urlsafe(48),
        "WERKPLAATS_PSEUDONYM_KEY": secrets.token_urlsafe(48),
        "WERKPLAATS_FIELD_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "WERKPLAATS_SECURE_COOKIES": "0",
        "WERKPLAATS_SSL_REDIRECT": "0",  # plain http on 127.0.0.1, as the README's try-out
        "WERKPLAATS_SQLITE_PATH": str(work / "werkplaats.sqlite3"),
        "WERKPLAATS_DATA_DIR": str(work),
        "WERKPLAATS_BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("WERKPLAATS_DEBUG", None)
    env.pop("DATABASE_URL", None)
    steps: list[tuple[str, float]] = []
    began = last = time.perf_counter()

    def step(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        steps.append((name, now - last))
        last = now

    subprocess.run([str(BIN / "werkplaats"), "migrate"], env=env, check=True, capture_output=True)
    step("migrate an empty database")
    out = subprocess.run(
        [str(BIN / "werkplaats"), "setup", str(ROOT / "docs" / "examples" / "setup.yaml")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    link = re.search(r"sw-01 .*?(http://\S+/invitation/\S+/)", out)
    assert link, out
    step("setup docs/examples/setup.yaml")
    server = subprocess.Popen(
        [str(BIN / "werkplaats"), "serve", "--no-migrate", "--bind", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        step("start the server (werkplaats serve: collectstatic, gunicorn)")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_context(locale="nl-NL").new_page()
            step("start Chromium")
            page.goto(link.group(1))
            page.fill("input[name=new_password1]", "een-lang-wachtwoord")
            page.fill("input[name=new_password2]", "een-lang-wachtwoord")
            page.click("main form [type=submit]")
            page.wait_for_load_state()
            step("open the invitation, choose a password")
            page.fill("input[name=username]", "sw-01")
            page.fill("input[name=password]", "een-lang-wachtwoord")
            page.click("main form [type=submit]")
            page.wait_for_load_state()
            step("log in")
            # Staff roles log in with a second step: connect an authenticator app (here:
            # the code is computed from the key the page shows, as the app would).
            secret = page.get_by_test_id("otp-secret").inner_text()
            page.fill("input[name=code]", _totp(secret))
            page.click("main form [type=submit]")
            page.get_by_role("link", name="Verder").click()
            page.wait_for_load_state()
            step("set up the second login step (authenticator app)")
            page.goto(f"http://127.0.0.1:{port}/caseload/")
            page.get_by_role("link", name="Nieuwe cliënt").click()
            page.fill("input[name=name]", "Henk de Boer")
            page.fill("input[name=birth_year]", "1948")
            page.fill("textarea[name=request_for_help]", "Ik wil weer zelf boodschappen doen.")
            page.check("input[name=care_consent]")
            page.get_by_role("button", name="Inschrijven en traject openen").click()
            page.wait_for_url(re.compile(r".*/trajectories/\d+/$"))
            step("register a client (care consent)")
            page.get_by_role("link", name="Nieuw contact").click()
            page.get_by_role("button", name="Opslaan", exact=True).click()
            page.wait_for_url(re.compile(r".*/trajectories/\d+/$"))
            step("record the first contact")
            browser.close()
    finally:
        # gunicorn stops its workers gracefully; on a loaded machine that takes a while.
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    rows = (
        subprocess.run(
            [
                str(BIN / "werkplaats"),
                "manage",
                "shell",
                "-c",
                "from werkplaats.casework.models import Contact; print(Contact.objects.count())",
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    total = time.perf_counter() - began
    width = max(len(name) for name, _ in steps)
    print(f"{'step'.ljust(width)}  seconds")
    for name, seconds in steps:
        print(f"{name.ljust(width)}  {seconds:7.2f}")
    print(f"{'total: empty database to first contact'.ljust(width)}  {total:7.2f}")
    print(f"contacts in the database: {rows}")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if rows == "1" else 1


if __name__ == "__main__":
    sys.exit(main())
