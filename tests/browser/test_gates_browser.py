"""The gates page in Chromium: an event a kiosk uploads appears in the open page's live log
without a reload, names arrive as text (a resident named <script> runs nothing), and the
charts are drawn."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from kiosk.model import Direction, Event, EventKind, Reason, RiskColour, Verdict
from server import office as office_ops
from server.web.auth import UserRole, add_user
from sync.protocol import UploadRequest
from tests.browser.conftest import OfficeServer, keep_screenshot, login

PASSWORD = "correct horse"
# A function, not an expression: the page's CSP forbids the eval Playwright polls expressions with.
CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('img.chart')].every(i => i.complete && i.naturalWidth)"
)


def upload(server: OfficeServer, token: str, *events: dict[str, Any]) -> None:
    """Events sent the way a kiosk's sync agent sends them."""
    batch = tuple(
        Event(
            event_id=secrets.token_hex(8),
            kind=fields.pop("kind", EventKind.DECISION),
            wall_time=fields.pop("at", datetime.now(UTC)),
            monotonic=1.0,
            boot_id="boot",
            clock_trusted=True,
            device_id="gate-1",
            compound_id="c1",
            **fields,
        )
        for fields in events
    )
    reply = requests.post(
        server.at("/api/v1/events"),
        json=UploadRequest("gate-1", batch).to_json(),
        headers={"Authorization": f"Bearer {token}", "X-Kiosk-Status": "version=0.1.0; backlog=0"},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def arrange(
    server: OfficeServer, name: str = "<script>window.hacked=1</script>"
) -> tuple[str, str]:
    """Compound c1 with a supervisor, a kiosk, and a resident of 3-2-501 (named like a script)."""
    office = server.office
    office.add_compound("c1", "幸福小区")
    with office.session() as s:
        flat = office_ops.add_household(s, "c1-3-2-501", "c1", RiskColour.RED)
        flat.building, flat.unit, flat.room = "3", "2", "501"
    holder = office.add_resident(name, "c1-3-2-501")
    with office.session() as s:
        add_user(
            s, "super1", PASSWORD, UserRole.SUPERVISOR, now=datetime.now(UTC), compounds=("c1",)
        )
        pass_id = office_ops.issue_resident_pass(s, holder)[0].pass_id
    return office.enroll_kiosk("gate-1", "c1"), pass_id


def test_an_uploaded_event_appears_in_the_live_log_without_reloading(
    page: Any, office_server: OfficeServer
) -> None:
    token, pass_id = arrange(office_server)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    login(page, office_server, "super1", PASSWORD)
    page.goto(office_server.at("/office/c/c1/gates"))
    page.evaluate("window.notReloaded = true")
    upload(
        office_server,
        token,
        {"reason": Reason.FEVER, "verdict": Verdict.DENY, "direction": Direction.IN,
         "temperature_c": 38.4, "pass_id": pass_id, "household_id": "c1-3-2-501"},
    )  # fmt: skip
    row = page.wait_for_selector("#log tr.verdict-deny")  # the page polls once a second
    assert "发热" in row.text_content() and "38.4" in row.text_content()
    assert page.evaluate("window.notReloaded") is True
    assert "<" in row.text_content() and page.evaluate("window.hacked") is None and not dialogs
    # Text a kiosk sends (an alarm's detail, which English pages show) arrives as text, never
    # as markup.
    page.context.add_cookies([{"name": "office_lang", "value": "en", "url": office_server.url}])
    page.goto(office_server.at("/office/c/c1/gates"))
    upload(office_server, token, {"kind": EventKind.ALARM, "reason": Reason.DOOR_HELD_OPEN,
                                  "data": {"detail": "<b id=injected>held</b>"}})  # fmt: skip
    page.wait_for_function("() => document.querySelector('#alarms').textContent.includes('<b id=')")
    assert page.query_selector("#injected") is None
    page.wait_for_selector("#health td.state-online")
    assert "0.1.0" in page.text_content("#health")
    assert len(page.query_selector_all("img.chart")) == 3
    page.wait_for_function(CHARTS_DRAWN)


def test_screenshot_of_a_busy_morning(page: Any, office_server: OfficeServer) -> None:
    """The README's picture of the gates page: passages, a fever, an alarm, the charts."""
    token, pass_id = arrange(office_server, "王建华")
    now = datetime.now(UTC)
    morning = [
        {"reason": Reason.OK, "verdict": Verdict.ALLOW, "direction": list(Direction)[n % 2],
         "temperature_c": 36.2 + n % 5 / 10, "pass_id": pass_id, "household_id": "c1-3-2-501",
         "at": now - timedelta(minutes=7 * n)}
        for n in reversed(range(16))
    ]  # fmt: skip
    morning.append({"reason": Reason.FEVER, "verdict": Verdict.DENY, "temperature_c": 38.1,
                    "direction": Direction.IN, "at": now - timedelta(minutes=3)})  # fmt: skip
    morning.append({"kind": EventKind.ALARM, "reason": Reason.DOOR_HELD_OPEN, "at": now})
    upload(office_server, token, *sorted(morning, key=lambda e: e["at"]))  # as a kiosk sends
    login(page, office_server, "super1", PASSWORD)
    page.goto(office_server.at("/office/c/c1/gates"))
    page.wait_for_function(CHARTS_DRAWN)
    assert "门未关" in page.text_content("#alarms")
    keep_screenshot(page, "office-gates.png")
