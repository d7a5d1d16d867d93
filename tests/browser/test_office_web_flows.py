"""The office web app in a real browser, end to end.

1. A resident registers on a 360 px phone (four steps, photo from the file picker standing in
   for the camera), a clerk approves on the office PC, "My pass" is screenshotted and the real
   ``kiosk scan`` command accepts the picture; the pass still shows with the network off.
2. A clerk turns a flat red on the board; a simulated kiosk (real sync agent, real rules) picks
   it up in its next download and refuses the household's exit, which it allowed before.

With KIOSK_README_SCREENSHOTS=1 the screenshots also go to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.models import Holder, Pass
from server.web import demo
from tests.browser.conftest import OfficeServer, kiosk_scan, login
from tests.webtools import cheap_hashing

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"


def keep(shot: Path, name: str) -> None:
    """Copy a screenshot for the README when asked (``KIOSK_README_SCREENSHOTS=1``, as in
    conftest.keep_screenshot); a plain test run leaves the tracked pictures alone."""
    if os.environ.get("KIOSK_README_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SHOTS / name)


@pytest.fixture
def demo_office(office_server: OfficeServer) -> OfficeServer:
    cheap_hashing()
    office_server.office.add_compound("c1")
    with office_server.office.session() as s:
        demo.seed(s, "c1", datetime.now(UTC))
    return office_server


def test_phone_registration_approval_and_my_pass_that_kiosk_scan_accepts(
    demo_office: OfficeServer, phone_page: Any, page: Any, tmp_path: Path
) -> None:
    server = demo_office
    phone = phone_page
    phone.goto(server.at("/office/r/c1"))
    phone.fill("#f-building", "3")
    phone.fill("#f-unit", "2")
    phone.fill("#f-room", "401")
    phone.click("#step-flat [data-next]")
    phone.fill("#f-name", "周丽")
    phone.fill("#f-phone", "13712345678")
    phone.fill("#f-password", "my own password")
    phone.click("#step-person [data-next]")
    photo = tmp_path / "selfie.jpg"
    photo.write_bytes(demo.face(2))
    phone.set_input_files("#f-photo", str(photo))
    phone.wait_for_selector("#photo-preview:not([hidden])")
    phone.screenshot(path=str(tmp_path / "register.png"), full_page=True)
    keep(tmp_path / "register.png", "office-registration-phone.png")
    phone.click("#step-photo [data-next]")
    phone.click("#step-submit button[type=submit]")
    phone.wait_for_url("**/office/me")
    assert "等待社区办公室审核" in phone.inner_text("#status")

    login(page, server, demo.CLERK, demo.PASSWORD)
    page.goto(server.at("/office/c/c1/approvals"))
    card = page.locator("article.card", has_text="周丽")
    assert card.count() == 1
    page.screenshot(path=str(tmp_path / "approvals.png"), full_page=True)
    keep(tmp_path / "approvals.png", "office-approvals.png")
    card.locator("button.primary").click()
    page.wait_for_load_state()
    assert page.locator("article.card", has_text="周丽").count() == 0

    phone.reload()
    phone.wait_for_selector("#pass-qr")
    shot = tmp_path / "my-pass.png"
    phone.screenshot(path=str(shot), full_page=True)
    keep(shot, "office-my-pass-phone.png")
    with server.office.session() as s:
        holder = s.scalars(select(Holder).where(Holder.name == "周丽")).one()
        pass_id = s.scalars(select(Pass.pass_id).where(Pass.holder_id == holder.id)).one()
    result = kiosk_scan(server, shot)
    assert result["valid"] and result["claims"]["pass_id"] == pass_id

    # Added to the home screen and opened once: the pass shows without a network.
    phone.evaluate("navigator.serviceWorker.ready.then(() => true)")
    phone.reload()  # the worker now controls the page and has kept it
    phone.context.set_offline(True)
    try:
        phone.reload()
        phone.wait_for_selector("#pass-qr")
    finally:
        phone.context.set_offline(False)


def test_colour_change_reaches_the_board_and_the_kiosk_refuses_the_exit(
    demo_office: OfficeServer, page: Any, tmp_path: Path
) -> None:
    from kiosk.model import Direction, Reason
    from kiosk.view import SetDirection, Stage

    server = demo_office
    household = "c1-1-1-101"  # 王小华's flat, white
    with server.office.session() as s:
        holder = s.scalars(select(Holder).where(Holder.household_id == household)).first()
        text = s.scalars(select(Pass.qr_text).where(Pass.holder_id == holder.id)).one()
    with sim_kiosk(server, tmp_path) as (kiosk, player, link):
        link.sync()
        assert leave(kiosk, player, text).stage is Stage.OPEN  # white: may go out

        login(page, server, demo.CLERK, demo.PASSWORD)
        page.goto(server.at("/office/c/c1/board"))
        page.click(f"#flat-{household}")
        page.check("input[name=colour][value=red]")
        page.fill("#f-reason", "武汉返回")
        page.click("button[type=submit].primary")
        page.wait_for_url("**/board*")
        flat_on_board = page.locator(f"#flat-{household}")
        assert flat_on_board.get_attribute("data-colour") == "red"
        assert "剩 14 天" in flat_on_board.inner_text()
        page.screenshot(path=str(tmp_path / "board.png"), full_page=True)
        keep(tmp_path / "board.png", "office-board.png")

        assert link.sync().ok  # the kiosk's next download
        refused = leave(kiosk, player, text)
        assert refused.stage is Stage.DENIED and refused.reason is Reason.QUARANTINE
        kiosk.kiosk.submit(SetDirection(Direction.IN))


def leave(app: Any, player: Any, text: str) -> Any:
    from kiosk.demo_scenario import DEMO_PIN
    from kiosk.model import Direction
    from kiosk.view import LockGuard, SetDirection, Stage, UnlockGuard

    for command in (UnlockGuard(DEMO_PIN), SetDirection(Direction.OUT), LockGuard()):
        assert app.kiosk.submit(command).ok
    app.sim.set_ambient(25.0)
    app.sim.set_forehead(36.4)
    app.sim.present_pass(text)
    view = player.until(lambda v: v.stage in (Stage.OPEN, Stage.DENIED), "a decision")
    app.sim.present_pass(None)
    app.sim.set_forehead(None)
    player.until(lambda v: v.stage is Stage.IDLE, "idle", 120)
    player.run(app.config.device.cooldown_s + 0.5)
    return view


class sim_kiosk:
    """A simulated kiosk of c1 enrolled at the served office, with its real sync agent."""

    def __init__(self, server: OfficeServer, folder: Path) -> None:
        self.server, self.folder = server, folder

    def __enter__(self) -> tuple[Any, Any, Any]:
        from contextlib import ExitStack

        from kiosk.app import build
        from kiosk.config import load_config
        from kiosk.demo_scenario import Player, SimTime
        from server.demo_office import DemoOffice

        config = load_config(
            None,
            {
                "device.data_dir": str(self.folder / "kiosk"),
                "device.id": "gate-1",
                "device.compound": "c1",
                "camera.backend": "sim",
                "thermometer.backend": "sim",
                "gpio.backend": "mock",
                "ui.fullscreen": False,
            },
        )
        time = SimTime(datetime.now(UTC).replace(microsecond=0))
        self.stack = ExitStack()
        app = self.stack.enter_context(
            build(config, sim=True, clock=time.clock, timers=time.timers)
        )
        link = DemoOffice(self.server.office, self.server.url)
        link.connect(app)
        return app, Player(app, time), link

    def __exit__(self, *exc: object) -> None:
        self.stack.close()
