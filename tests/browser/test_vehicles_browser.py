"""The car gate in the office, in Chromium: a resident invites a visitor's car on the phone
(a mistyped plate is refused beside the field, naming the character), the clerk registers a
removals van, previews and imports the city's risk list, and finds a plate in the vehicle log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.models import RiskPlateRow, VehicleRow
from server.web import demo
from server.web.timefmt import today
from tests.browser.conftest import OfficeServer, login
from tests.office_data import add_event
from tests.webtools import cheap_hashing

RESIDENT = "13800138001"  # 王小华 of the demo


def test_vehicles_from_invitation_to_the_vehicle_log(
    office_server: OfficeServer, page: Any, phone_page: Any, tmp_path: Path
) -> None:
    cheap_hashing()
    server = office_server
    now = datetime.now(UTC)
    server.office.add_compound("c1")
    with server.office.session() as s:
        demo.seed(s, "c1", now)
    day = today(now, "Asia/Shanghai")

    phone = phone_page
    login(phone, server, RESIDENT, demo.PASSWORD)
    phone.goto(server.at("/office/me/vehicles"))
    phone.fill("#f-plate", "京A12O45")
    phone.fill("#f-last", (day + timedelta(days=1)).isoformat())
    phone.click("#invite-car")
    assert "第5位不能是字母O" in phone.inner_text(".field.has-error")
    phone.fill("#f-plate", "粤B D12345")
    phone.fill("#f-entries", "2")
    phone.click("#invite-car")
    assert "粤BD12345" in phone.inner_text("#my-vehicles")

    login(page, server, demo.CLERK, demo.PASSWORD)
    page.goto(server.at("/office/c/c1/vehicles"))
    assert "粤BD12345" in page.inner_text("#vehicles")  # the clerk sees the invitation
    page.fill("#f-plate", "沪C12345")
    page.fill("#f-first", day.isoformat())
    page.fill("#f-last", day.isoformat())
    page.fill("#f-note", "搬家公司")
    page.click("#add-service")
    assert "搬家公司" in page.inner_text("#vehicles")

    city = tmp_path / "涉疫车辆.csv"
    visited = (day - timedelta(days=2)).isoformat()
    old = (day - timedelta(days=30)).isoformat()
    city.write_text(
        f"车牌号码,途经地区,到访日期\n京A88888,某区,{visited}\n京C66666,某区,{old}\n京B1,某区,{visited}\n",
        encoding="utf-8",
    )
    page.goto(server.at("/office/c/c1/risk"))
    page.set_input_files("#f-file", str(city))
    page.click("#risk-check")
    summary = page.inner_text("#risk-summary")
    assert "新增 1 辆" in summary and "过期 1 条" in summary and "拒收 1 行" in summary
    assert "车牌应是7位" in page.inner_text("#rejected")
    page.click("#risk-confirm")
    assert "京A88888" in page.inner_text("#risk-plates")
    with server.office.session() as s:
        assert s.scalars(select(RiskPlateRow.plate)).all() == ["京A88888"]
        assert len(s.scalars(select(VehicleRow)).all()) == 2

    car = {"lane": "vehicle", "plate": "粤BD12345"}
    add_event(server.office, "c1", now, data=car, verdict="allow", direction="in")
    add_event(server.office, "c1", now, data={**car, "plate": "京A88888"}, verdict="refuse")
    page.goto(server.at("/office/c/c1/gates/log"))
    page.fill("#f-plate", "粤b d12345")
    page.click("form.filters button")
    rows = page.inner_text("#gate-log tbody").splitlines()
    assert len(rows) == 1 and "粤BD12345" in rows[0]
