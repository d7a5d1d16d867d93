"""A real browser on a real office server: Debian's Chromium driven by Playwright.

``office_server`` serves a fresh office (temporary SQLite database, signing key made) with
uvicorn on a free loopback port, as ``kiosk-server serve`` does; ``page`` and ``phone_page``
are new browser tabs (office PC and 360 px phone). Without Chromium the tests are skipped with
the reason, except under CI=true, where a missing browser is a failure: CI installs it
(``./setup.sh --sim --test``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server import office
from server.app import create_app
from server.local import Office, ServerThread
from server.web import auth, demo
from server.web.auth import UserRole
from server.web.chromium import CHROMIUM, launch
from tests.office_data import add_event
from tests.webtools import cheap_hashing

PHONE = {"width": 360, "height": 740}
OFFICE_PC = {"width": 1366, "height": 900}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _browser_missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(
            f"{reason}; CI must run the browser tests (./setup.sh --sim --test installs it)"
        )
    pytest.skip(f"{reason}; install it with ./setup.sh --sim --test (apt-get install chromium)")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the browser tests (each test gets its own context).

    Package scope, not session: Playwright's sync API keeps an event loop running in this
    thread while it is open, and later tests that call asyncio.run() would fail.
    """
    if not CHROMIUM.is_file():
        _browser_missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@dataclass
class OfficeServer:
    """A served office: ``url`` to browse, ``office`` to arrange data behind the browser's back."""

    url: str
    office: Office

    def at(self, path: str) -> str:
        return f"{self.url}{path}"


@pytest.fixture
def office_server(tmp_path: Path) -> Iterator[OfficeServer]:
    """A fresh office (SQLite in tmp_path) served by uvicorn on 127.0.0.1, a free port."""
    office = Office.open(tmp_path / "office")
    thread = ServerThread(create_app(office.sessions)).start()
    try:
        yield OfficeServer(thread.url, office)
    finally:
        thread.stop()
        office.sessions.kw["bind"].dispose()


def _page(browser: Any, viewport: dict[str, int], **options: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A tab at an office PC's size."""
    yield from _page(browser, OFFICE_PC)


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A tab at a 360 px phone's size, with touch."""
    yield from _page(browser, PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)


def login(page: Any, server: OfficeServer, username: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto(server.at("/office/login"))
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/office/login" not in page.url, f"login as {username} failed: {page.url}"


SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def keep_screenshot(page: Any, name: str) -> None:
    """Save the page as a README screenshot when asked, and only then.

    ``KIOSK_README_SCREENSHOTS=1 .venv/bin/pytest tests/browser`` refreshes them; a plain test
    run leaves the tracked pictures alone.
    """
    if os.environ.get("KIOSK_README_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)


KIOSK = Path(sys.executable).with_name("kiosk")


def kiosk_scan(server: OfficeServer, picture: Path) -> dict[str, Any]:
    """What the real ``kiosk scan --trust`` says of a screenshot (the first code it reads)."""
    trust = picture.with_name("trust.json")
    with server.office.session() as s:
        trust.write_text(json.dumps(office.trust_document(s)))
    scan = subprocess.run(
        [str(KIOSK), "scan", "--trust", str(trust), str(picture)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert scan.returncode == 0, scan.stdout + scan.stderr
    found: dict[str, Any] = json.loads(scan.stdout.splitlines()[0])
    return found


ALARMS = [
    ("quarantine", "quarantine until 2026-12-15T06:06:00+00:00"),
    ("sensor_fault", "SensorFault: MLX90614 did not answer on the I2C bus"),
]


@pytest.fixture
def walked_office(office_server: OfficeServer) -> OfficeServer:
    """The demo office with a gate supervisor, a second compound, a log and open alarms whose
    details are the kiosk's own words (English, UTC), as a kiosk uploads them."""
    cheap_hashing()
    now = datetime.now(UTC)
    office_server.office.add_compound("c1")
    with office_server.office.session() as s:
        demo.seed(s, "c1", now)
        auth.add_user(s, "gatesup", demo.PASSWORD, UserRole.SUPERVISOR, now=now, compounds=("c1",))
        office.add_compound(s, "c2", "第二小区")
    for minutes in range(30):
        add_event(office_server.office, "c1", now - timedelta(minutes=7 * minutes))
    for reason, detail in ALARMS:
        data = {"detail": detail}
        add_event(office_server.office, "c1", now, kind="alarm", reason=reason, data=data)
    return office_server
