"""The browser harness itself: Chromium reaches the served office and runs its JavaScript."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import OfficeServer


def test_chromium_reads_the_office_servers_reply(page: Any, office_server: OfficeServer) -> None:
    reply = page.goto(office_server.at("/api/v1/time"))
    assert reply is not None and reply.status == 200
    assert "server_time" in page.text_content("body")


def test_phone_page_lays_out_360_px_wide(phone_page: Any) -> None:
    # A mobile page is laid out 360 px wide when it asks for the device width, as ours do.
    phone_page.set_content('<meta name="viewport" content="width=device-width"><p>手机</p>')
    assert phone_page.evaluate("window.innerWidth") == 360
    assert phone_page.text_content("p") == "手机"
