"""The gates page in Chromium: an event a kiosk uploads appears in the open page's live log
without a reload, and the charts are drawn."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import requests

from kiosk.model import Direction, Event, EventKind, Reason, Verdict
from server.web.auth import UserRole, add_user
from sync.protocol import UploadRequest
from tests.browser.conftest import OfficeServer, login

PASSWORD = "correct horse"


def upload(server: OfficeServer, token: str, **fields: Any) -> Event:
    """One event sent the way a kiosk's sync agent sends it."""
    event = Event(
        event_id=secrets.token_hex(8),
        kind=EventKind.DECISION,
        wall_time=datetime.now(UTC),
        monotonic=1.0,
        boot_id="boot",
        clock_trusted=True,
        device_id="gate-1",
        compound_id="c1",
        **fields,
    )
    reply = requests.post(
        server.at("/api/v1/events"),
        json=UploadRequest("gate-1", (event,)).to_json(),
        headers={"Authorization": f"Bearer {token}", "X-Kiosk-Status": "version=9.9; backlog=0"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return event


def test_an_uploaded_event_appears_in_the_live_log_without_reloading(
    page: Any, office_server: OfficeServer
) -> None:
    office = office_server.office
    office.add_compound("c1", "幸福小区")
    with office.session() as s:
        add_user(
            s, "super1", PASSWORD, UserRole.SUPERVISOR, now=datetime.now(UTC), compounds=("c1",)
        )
    token = office.enroll_kiosk("gate-1", "c1")
    login(page, office_server, "super1", PASSWORD)
    page.goto(office_server.at("/office/c/c1/gates"))
    page.evaluate("window.notReloaded = true")
    upload(
        office_server,
        token,
        reason=Reason.FEVER,
        verdict=Verdict.DENY,
        direction=Direction.IN,
        temperature_c=38.4,
    )
    row = page.wait_for_selector("#log tr.verdict-deny")  # the page polls once a second
    assert "发热" in row.text_content() and "38.4" in row.text_content()
    assert page.evaluate("window.notReloaded") is True
    page.wait_for_selector("#health td.state-online")
    assert "9.9" in page.text_content("#health")
    assert len(page.query_selector_all("img.chart")) == 3
    page.wait_for_function(
        "[...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth > 0)"
    )
