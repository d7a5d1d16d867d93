"""The office's vehicle pages over HTTP: a resident's invitation, a clerk's service vehicle and
household car, the risk list's preview and import, the vehicle log, its export and retention."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.model import RiskColour
from server import office, retention
from server.models import Change, RiskPlateRow, VehicleRow
from tests.office_data import add_event
from tests.webtools import CSRF, World, confirm_fields, make_world

RESIDENT = "13800000001"  # make_world's resident of c1, flat 1-1-101
TODAY = "2026-02-10"  # make_world's clock, in Shanghai


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("vehicles") / "office")


def plates(world: World, kind: str) -> dict[str, VehicleRow]:
    with world.office.session() as s:
        rows = s.scalars(select(VehicleRow).where(VehicleRow.kind == kind)).all()
        s.expunge_all()
    return {r.plate: r for r in rows}


def test_a_resident_invites_a_visitor_car(world: World) -> None:
    client = world.client(RESIDENT)
    form = {"csrf": CSRF, "plate": "粤b d12345", "first": TODAY, "last": TODAY, "entries": "2"}
    sent = client.post("/office/me/vehicles/invite", data=form)
    assert sent.status_code == 303, sent.text
    invited = plates(world, "visitor")["粤BD12345"]
    assert invited.household_id == world.ids["c1"].household and invited.max_entries == 2
    listed = client.get("/office/me/vehicles").text
    assert "粤BD12345" in listed and "访客车辆" in listed


def test_a_wrong_plate_is_refused_beside_the_field_naming_the_slot(world: World) -> None:
    form = {"csrf": CSRF, "plate": "京A12O45", "first": TODAY, "last": TODAY, "entries": "1"}
    page = world.client(RESIDENT).post("/office/me/vehicles/invite", data=form)
    assert page.status_code == 422
    assert "第5位不能是字母O" in page.text
    assert "京A12O45" not in plates(world, "visitor")


@pytest.mark.parametrize("typed", ["²", "1.5", "三", "1000000", "0"])
def test_entries_that_are_no_number_of_entries_are_refused_beside_the_field(
    world: World, typed: str
) -> None:
    form = {"csrf": CSRF, "plate": "京A54321", "first": TODAY, "last": TODAY, "entries": typed}
    page = world.client(RESIDENT).post("/office/me/vehicles/invite", data=form)
    assert page.status_code == 422
    assert error_beside(page.text, "entries") == f"访客车辆可进3次以内，不能是{typed}次"
    assert "京A54321" not in plates(world, "visitor")


def test_entries_in_full_width_digits_are_a_number(world: World) -> None:
    form = {"csrf": CSRF, "plate": "京A54322", "first": TODAY, "last": TODAY, "entries": "２"}
    assert world.client(RESIDENT).post("/office/me/vehicles/invite", data=form).status_code == 303
    assert plates(world, "visitor")["京A54322"].max_entries == 2


def error_beside(page: str, field: str) -> str:
    """The error shown in the form field ``field`` of ``page`` ("" when none)."""
    box = page.split(f'id="f-{field}"', 1)[1].split('<div class="field', 1)[0]
    return box.split('class="error" role="alert">', 1)[1].split("<", 1)[0] if "error" in box else ""


@pytest.mark.parametrize(
    ("who", "path", "extra"),
    [
        (RESIDENT, "/office/me/vehicles/invite", {"entries": "1"}),
        ("clerk1", "/office/c/c1/vehicles/service", {"note": ""}),
    ],
)
def test_a_wrong_plate_and_a_wrong_day_are_both_shown_beside_their_fields(
    world: World, who: str, path: str, extra: dict[str, str]
) -> None:
    form = {"csrf": CSRF, "plate": "京A12O45", "first": "10.2.2026", "last": TODAY, **extra}
    page = world.client(who).post(path, data=form)
    assert page.status_code == 422
    assert error_beside(page.text, "plate") == "第5位不能是字母O（数字请写0）"
    assert error_beside(page.text, "first") == "请填日期，如2026-12-05"
    assert error_beside(page.text, "last") == ""


def test_a_long_note_is_refused_beside_it_and_an_absurd_field_by_its_label(world: World) -> None:
    form = {"csrf": CSRF, "plate": "沪C55555", "first": TODAY, "last": TODAY, "note": "备" * 301}
    page = world.client("clerk1").post("/office/c/c1/vehicles/service", data=form)
    assert page.status_code == 422
    assert error_beside(page.text, "note") == "备注太长，最多200个字"
    form = {**form, "note": "", "plate": "京" * 301}
    absurd = world.client("clerk1").post("/office/c/c1/vehicles/service", data=form)
    assert absurd.status_code == 400 and "“车牌”太长，最多 300 个字" in absurd.text


def test_a_clerks_wrong_car_plate_is_shown_beside_the_car_plate(world: World) -> None:
    car = {"csrf": CSRF, "car_plate": "京N5432I", "flat": "1-1-102"}
    page = world.client("clerk1").post("/office/c/c1/vehicles/car", data=car)
    assert page.status_code == 422
    assert error_beside(page.text, "car_plate") == "第7位不能是字母I（数字请写1）"
    assert error_beside(page.text, "plate") == ""  # the service form's field stays clean
    taken = {**car, "car_plate": "京N65432"}
    assert world.client("clerk1").post("/office/c/c1/vehicles/car", data=taken).status_code == 303
    again = world.client("clerk1").post("/office/c/c1/vehicles/car", data=taken)
    assert "京N65432已经登记" in error_beside(again.text, "car_plate")


def test_a_lookalike_of_a_registered_car_is_refused_beside_the_plate(world: World) -> None:
    car = {"csrf": CSRF, "car_plate": "沪B80000", "flat": "1-1-102"}
    assert world.client("clerk1").post("/office/c/c1/vehicles/car", data=car).status_code == 303
    form = {"csrf": CSRF, "plate": "沪BB0000", "first": TODAY, "last": TODAY, "entries": "1"}
    page = world.client(RESIDENT).post("/office/me/vehicles/invite", data=form)
    assert page.status_code == 422
    assert "与已登记的沪B80000只差一个易混字符" in error_beside(page.text, "plate")


def test_a_resident_cannot_remove_another_households_car(world: World) -> None:
    with world.office.session() as s:
        from server.vehicles import add_resident_car

        other = add_resident_car(s, world.ids["c2"].household, "苏E88888", now=world.clock()).id
    gone = world.client(RESIDENT).post(f"/office/me/vehicles/{other}/remove", data={"csrf": CSRF})
    assert gone.status_code == 404
    assert "苏E88888" in plates(world, "resident")


def test_a_resident_invites_for_the_own_household_whatever_the_form_says(world: World) -> None:
    form = {"csrf": CSRF, "plate": "京A77777", "first": TODAY, "last": TODAY, "entries": "1",
            "household_id": world.ids["c2"].household}  # fmt: skip
    assert world.client(RESIDENT).post("/office/me/vehicles/invite", data=form).status_code == 303
    assert plates(world, "visitor")["京A77777"].household_id == world.ids["c1"].household


def test_a_clerk_removes_no_vehicle_of_another_compound(world: World) -> None:
    with world.office.session() as s:
        from server.vehicles import add_resident_car

        other = add_resident_car(s, world.ids["c2"].household, "苏E99999", now=world.clock()).id
    through = world.client("clerk1").post(
        f"/office/c/c1/vehicles/{other}/remove", data={"csrf": CSRF}
    )
    assert through.status_code == 404
    direct = world.client("clerk1").post(
        f"/office/c/c2/vehicles/{other}/remove", data={"csrf": CSRF}
    )
    assert direct.status_code == 403
    assert "苏E99999" in plates(world, "resident")


def test_a_clerk_registers_a_service_vehicle_and_a_household_car(world: World) -> None:
    clerk = world.client("clerk1")
    form = {"csrf": CSRF, "plate": "沪C12345", "first": TODAY, "last": "2026-02-12"}
    sent = clerk.post("/office/c/c1/vehicles/service", data={**form, "note": "搬家公司"})
    assert sent.status_code == 303, sent.text
    car = {"csrf": CSRF, "car_plate": "京N54321", "flat": "1-1-102"}
    assert clerk.post("/office/c/c1/vehicles/car", data=car).status_code == 303
    listed = clerk.get("/office/c/c1/vehicles").text
    assert "沪C12345" in listed and "搬家公司" in listed and "2026-02-10 ~ 2026-02-12" in listed
    assert "京N54321" in listed and "1-1-102" in listed
    flat = clerk.get("/office/h/c1-1-1-102").text  # the household's own page lists its car
    assert "京N54321" in flat.split('id="household-vehicles"')[1]
    assert world.client("clerk2").get("/office/c/c1/vehicles").status_code == 403


def test_the_risk_list_preview_changes_nothing_until_confirmed(world: World) -> None:
    clerk = world.client("clerk1")
    text = "车牌,地区,到访日期\n京A12345,甲区,2026-02-08\n京A12345,乙区,2026-02-09\n"
    text += "京B1,丙区,2026-02-09\n"
    files = {"file": ("city.csv", text.encode(), "text/csv")}
    preview = clerk.post("/office/c/c1/risk", data={"csrf": CSRF}, files=files)
    assert preview.status_code == 200, preview.text
    assert "新增 1 辆" in preview.text and "拒收 1 行" in preview.text
    assert "车牌应是7位" in preview.text and "合并重复 1 行" in preview.text
    # The clerk sees what goes in, not just how many: the plate, its latest visit and where.
    incoming = preview.text.split('id="risk-incoming"')[1].split("</table>")[0]
    assert "将导入 1 辆" in preview.text
    assert "京A12345" in incoming and "乙区" in incoming and "2026-02-09" in incoming
    assert "甲区" not in incoming
    with world.office.session() as s:
        assert s.scalars(select(RiskPlateRow)).first() is None
    done = clerk.post("/office/c/c1/risk/confirm", data=confirm_fields(preview.text))
    assert done.status_code == 200 and "已导入" in done.text
    with world.office.session() as s:
        row = s.scalars(select(RiskPlateRow)).one()
        assert (row.plate, row.area, str(row.visited_on)) == ("京A12345", "乙区", "2026-02-09")


def test_a_risk_entrys_source_names_the_file_without_control_characters(tmp_path: Path) -> None:
    world = make_world(tmp_path / "office")
    clerk = world.client("clerk1")
    text = "车牌,地区,到访日期\n京A12345,甲区,2026-02-08\n"
    files = {"file": ("city\u202evsc.csv", text.encode(), "text/csv")}
    preview = clerk.post("/office/c/c1/risk", data={"csrf": CSRF}, files=files)
    assert clerk.post("/office/c/c1/risk/confirm", data=confirm_fields(preview.text)).is_success
    with world.office.session() as s:
        assert s.scalars(select(RiskPlateRow.source)).one() == f"cityvsc.csv {TODAY}"


def test_the_vehicle_log_filters_by_plate_and_exports_it(world: World) -> None:
    at = world.clock() - timedelta(hours=1)
    car = {"lane": "vehicle", "plate": "京A12345"}
    add_event(world.office, "c1", at, data=car, verdict="allow", direction="in")
    add_event(world.office, "c1", at, data={**car, "plate": "京B22222"}, verdict="refuse")
    add_event(world.office, "c1", at, pass_id=world.ids["c1"].pass_id, verdict="allow")
    clerk = world.client("clerk1")
    one = clerk.get("/office/c/c1/gates/log", params={"plate": "京a 12345"}).text
    assert one.count("<tr data-id=") == 1 and "京A12345" in one
    cars = clerk.get("/office/c/c1/gates/log", params={"vehicles": "1"}).text
    assert cars.count("<tr data-id=") == 2
    sheet = clerk.get("/office/c/c1/export", params={"from": TODAY, "to": TODAY, "format": "csv"})
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "车牌 plate"
    assert sorted(r[-1] for r in rows[1:]) == ["", "京A12345", "京B22222"]


def test_retention_removes_ended_visitor_and_service_vehicles_and_tells_kiosks(
    tmp_path: Path,
) -> None:
    world = make_world(tmp_path / "office")
    with world.office.session() as s:
        from server.vehicles import Window, add_resident_car, invite_car

        day = world.clock().date()
        guest = invite_car(s, world.ids["c1"].household, "京A11111", Window(day, day),
                           entries=1, now=world.clock()).id  # fmt: skip
        add_resident_car(s, world.ids["c1"].household, "京A22222", now=world.clock())
        retention.set_retention(s, "c1", 30)
    with world.office.session() as s:
        purged = retention.purge(s, world.clock() + timedelta(days=32))
        assert purged.vehicles == 1
        assert s.get(VehicleRow, guest) is None
        last = s.scalars(select(Change).order_by(Change.seq.desc())).first()
        assert last is not None and last.payload["vehicle_id"] == guest and last.payload["removed"]
    assert "京A22222" in plates(world, "resident")


def test_a_deactivated_residents_invited_cars_are_withdrawn(tmp_path: Path) -> None:
    world = make_world(tmp_path / "office")
    form = {"csrf": CSRF, "plate": "京A66666", "first": TODAY, "last": TODAY, "entries": "1"}
    assert world.client(RESIDENT).post("/office/me/vehicles/invite", data=form).status_code == 303
    deactivate = {"csrf": CSRF, "reason": "搬走了", "confirm": "yes"}
    path = f"/office/p/{world.ids['c1'].holder}/deactivate"
    assert world.client("clerk1").post(path, data=deactivate).status_code == 303
    assert plates(world, "visitor") == {}
    with world.office.session() as s:  # and the kiosks are told
        cars = select(Change).where(Change.kind == "vehicle").order_by(Change.seq.desc())
        last = s.scalars(cars).first()
        assert last is not None and last.payload["plate"] == "京A66666" and last.payload["removed"]


def test_a_household_under_quarantine_invites_no_car(tmp_path: Path) -> None:
    world = make_world(tmp_path / "office")
    with world.office.session() as s:
        until = world.clock() + timedelta(days=7)
        office.set_colour(s, world.ids["c1"].household, RiskColour.RED, until)
    client = world.client(RESIDENT)
    assert 'id="quarantine"' in client.get("/office/me/vehicles").text
    form = {"csrf": CSRF, "plate": "京A12345", "first": TODAY, "last": TODAY, "entries": "1"}
    assert client.post("/office/me/vehicles/invite", data=form).status_code == 403
    assert plates(world, "visitor") == {}
