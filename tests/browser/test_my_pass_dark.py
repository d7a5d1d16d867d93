"""My pass on a phone in dark mode: the code stays dark on a white quiet zone at the card's full
width, with a hint to raise the brightness, and the kiosk's real decoder reads the screenshot.

The phone here is darker than Playwright's ``color_scheme="dark"`` alone: Chromium also darkens
pages on its own (``forceDarkModeEnabled``, Android's "auto dark theme"), as many phones do. A
long name wraps inside the card instead of running out of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from server.models import Holder, Pass
from server.web import demo
from server.web.chromium import CHROMIUM, SWITCHES
from tests.browser.conftest import PHONE, OfficeServer, kiosk_scan, login
from tests.webtools import cheap_hashing

RESIDENT = "13800138001"  # 王小华 of the demo, who has a pass
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaft"
FORCED_DARK = "--blink-settings=forceDarkModeEnabled=true"
SCALE = 2  # device pixels per CSS pixel


@pytest.fixture
def dark_phone(browser: Any) -> Iterator[Any]:
    """A 360 px phone whose theme is dark and whose browser darkens light pages itself."""
    dark = browser.browser_type.launch(executable_path=str(CHROMIUM), args=[*SWITCHES, FORCED_DARK])
    context = dark.new_context(
        viewport=PHONE,
        locale="zh-CN",
        color_scheme="dark",
        has_touch=True,
        is_mobile=True,
        device_scale_factor=SCALE,
    )
    try:
        yield context.new_page()
    finally:
        context.close()
        dark.close()


def luminance(picture: Path) -> np.ndarray:
    return np.asarray(Image.open(picture).convert("L"), dtype=np.float64)


def test_my_pass_in_dark_mode_is_dark_on_light_and_the_kiosk_reads_it(
    office_server: OfficeServer, dark_phone: Any, tmp_path: Path
) -> None:
    cheap_hashing()
    server = office_server
    server.office.add_compound("c1")
    with server.office.session() as s:
        demo.seed(s, "c1", datetime.now(UTC))
        holder = s.scalars(select(Holder).where(Holder.phone == RESIDENT)).one()
        holder.name = LONG_NAME
        pass_id = s.scalars(select(Pass.pass_id).where(Pass.holder_id == holder.id)).one()
    phone = dark_phone
    login(phone, server, RESIDENT, demo.PASSWORD)
    phone.goto(server.at("/office/me"))
    phone.wait_for_selector("#pass-qr")
    assert "亮度" in phone.inner_text("#bright-hint")

    qr = phone.locator("#pass-qr").bounding_box()
    assert qr["width"] >= 0.85 * PHONE["width"], f"the code is {qr['width']} px wide, not full"
    shot = tmp_path / "my-pass-dark.png"
    phone.screenshot(path=str(shot), full_page=True)
    grey = luminance(shot)
    left, top = round(qr["x"] * SCALE), round(qr["y"] * SCALE)
    right, bottom = round((qr["x"] + qr["width"]) * SCALE), round((qr["y"] + qr["height"]) * SCALE)
    around = np.concatenate(  # the card beside the code, continuing its quiet zone
        [
            grey[top:bottom, left - 6 * SCALE : left - 2 * SCALE].ravel(),
            grey[top:bottom, right + 2 * SCALE : right + 6 * SCALE].ravel(),
        ]
    )
    border = grey[top + 2 : top + 12, left + 2 : right - 2]  # the image's own quiet zone
    module = (right - left) / 65  # a version 9-10 code and its 4-module margins
    finder = grey[top + round(4.5 * module), left + round(4.5 * module)]
    assert around.min() >= 200 and border.min() >= 200, (around.min(), border.min())
    assert finder <= 60, f"the code's finder pattern is not dark ({finder})"

    result = kiosk_scan(server, shot)
    assert result["valid"] and result["claims"]["pass_id"] == pass_id

    name = phone.locator("#my-pass .name")
    fits = name.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    page_width = phone.evaluate("document.documentElement.scrollWidth")
    assert fits and page_width <= PHONE["width"], (phone.inner_text("#my-pass .name"), page_width)
