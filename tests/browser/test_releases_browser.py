"""Releases in Chromium: an admin starts a rollout at one kiosk; the kiosk reports that the
release failed its health check and went back; the office stops the rollout by itself and says
why, and the open gates page shows that kiosk's update state and error without a reload."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from server.releases import keys
from server.releases.store import Store, add_release
from server.web.auth import UserRole, add_user
from tests.browser.conftest import OfficeServer, login
from tests.releasetools import make_wheel

PASSWORD = "correct horse"


def arrange(server: OfficeServer, folder: Path) -> str:
    """c1 with kiosks k1 and k2, an admin, an update key and release 1.4.0; k1's credential."""
    office = server.office
    office.add_compound("c1", "幸福小区")
    now = datetime.now(UTC)
    store = Store(Path(office.sessions.kw["bind"].url.database).parent / "releases")
    with office.session() as s:
        add_user(s, "boss", PASSWORD, UserRole.ADMIN, now=now)
        keys.new_key(s, store.root, now)
        add_release(s, store, make_wheel(folder, "1.4.0"), notes="新的自检", now=now)
    office.enroll_kiosk("k2", "c1")
    return office.enroll_kiosk("k1", "c1")


def kiosk_get(server: OfficeServer, token: str, path: str, status: str = "") -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "X-Kiosk-Status": status}
    return requests.get(server.at(f"/api/v1{path}"), headers=headers, timeout=10)


def test_a_failed_release_stops_its_rollout_and_the_pages_say_why(
    page: Any, office_server: OfficeServer, tmp_path: Path
) -> None:
    token = arrange(office_server, tmp_path)
    login(page, office_server, "boss", PASSWORD)
    page.goto(office_server.at("/office/c/c1/releases"))
    row = page.locator("#release-1\\.4\\.0")
    assert "尚未推送" in row.inner_text()
    row.locator("select[name=kiosk]").select_option("k1")
    row.locator("button", has_text="开始推送").click()
    page.wait_for_load_state()
    assert "推送中" in row.inner_text() and "仅闸机 k1" in row.inner_text()
    assert kiosk_get(office_server, token, "/release").json() == {"version": "1.4.0"}

    page.goto(office_server.at("/office/c/c1/gates"))
    page.evaluate("window.notReloaded = true")
    failed = "version=1.3.0; update=rolled_back; target=1.4.0; error=self-test: no camera"
    assert kiosk_get(office_server, token, "/release", failed).status_code == 204
    health = page.locator("#health tr", has_text="k1")
    health.locator("td.update.bad", has_text="已自动退回 1.4.0").wait_for()
    assert "self-test: no camera" in health.inner_text()
    assert page.evaluate("window.notReloaded") is True

    page.goto(office_server.at("/office/c/c1/releases"))
    text = page.locator("#release-1\\.4\\.0").inner_text()
    assert "已停止" in text
    assert "已自动停止：k1 rolled back: self-test: no camera" in text
    assert "继续" in text  # an admin who read why may resume
    page.goto(office_server.at("/office/admin/releases"))
    assert "已自动停止" in page.locator("#release-1\\.4\\.0").inner_text()
