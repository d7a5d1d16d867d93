"""The office's vehicle registry and risk-list rules, as scenario tables (no web, no kiosk)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from sqlalchemy.orm import Session

from kiosk.model import RiskColour
from server import importread, risklist, vehicles
from server.local import Office
from server.models import Compound
from server.office import set_colour
from server.platecheck import PlateRefused, normal_plate
from server.vehicles import VehicleRefused, Window
from server.web import i18n
from server.xlsxread import ImportFileError

NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("typed", "plate"),
    [
        ("京A12345", "京A12345"),
        ("京a 123 45", "京A12345"),
        ("粤B·D12345", "粤BD12345"),
        ("沪C1234学", "沪C1234学"),
        ("京Ａ１２３４５", "京A12345"),  # full-width, as a phone keyboard may type
        ("粤Z1234港", "粤Z1234港"),
        ("使123456", "使123456"),
        ("京A\u200b12345", "京A12345"),  # invisible: a zero-width space, a BOM, an LRM
        ("\ufeff京A12345", "京A12345"),
        ("京A12345\u200e", "京A12345"),
        ("京A1234\n5", "京A12345"),  # a cell written on two lines
    ],
)
def test_plates_are_stored_in_normal_form(typed: str, plate: str) -> None:
    assert normal_plate(typed) == plate


@pytest.mark.parametrize(
    ("typed", "zh", "en"),
    [
        ("京A12O45", "第5位不能是字母O", "Character 5 cannot be the letter O"),
        ("京AI2345", "第3位不能是字母I", "Character 3 cannot be the letter I"),
        ("A12345", "第1位应是省份简称", "Character 1 must be a province"),
        ("京112345", "第2位应是字母", "Character 2 must be a letter"),
        ("京A1234", "车牌应是7位", "A plate has 7 characters"),
        ("京A12学45", "第5位“学”不是字母或数字", "Character 5 must be a letter or digit"),
        ("京AD1234S", "第8位应是“5”，不是“S”", "Character 8 must be 5, not S"),
        ("京A12345港", "“京A12345港”不是有效的车牌", "is no mainland plate"),
    ],
)
def test_a_wrong_plate_names_the_slot_in_both_languages(typed: str, zh: str, en: str) -> None:
    with pytest.raises(PlateRefused) as refused:
        normal_plate(typed)
    error = refused.value
    assert zh in i18n.translator("zh-CN")(error.key, **error.values)
    assert en in i18n.translator("en")(error.key, **error.values)


@pytest.fixture
def office(tmp_path: object) -> Iterator[Office]:
    world = Office.open(f"sqlite:///{tmp_path}/office.db")
    world.add_compound("c1")
    world.add_household("h1", "c1")
    yield world


def test_a_household_registers_at_most_three_cars(office: Office) -> None:
    with office.session() as s:
        for plate in ("京A11111", "京A22222", "京A33333"):
            vehicles.add_resident_car(s, "h1", plate, now=NOW)
        with pytest.raises(VehicleRefused, match="at most 3 cars"):
            vehicles.add_resident_car(s, "h1", "京A44444", now=NOW)


def test_a_plate_registered_and_current_is_not_registered_twice(office: Office) -> None:
    with office.session() as s:
        vehicles.add_resident_car(s, "h1", "京A11111", now=NOW)
        with pytest.raises(VehicleRefused, match="registered already"):
            vehicles.add_service_vehicle(
                s, "c1", "京A11111", Window(TODAY, TODAY), note="", now=NOW
            )


@pytest.mark.parametrize("lookalike", ["京A1234S", "京A1Z345", "京AD2345"])
def test_a_plate_one_lookalike_from_a_registered_one_is_refused(
    office: Office, lookalike: str
) -> None:
    with office.session() as s:
        vehicles.add_resident_car(s, "h1", "京A12345", now=NOW)
        vehicles.add_resident_car(s, "h1", "京A02345", now=NOW)  # 0 for 1: no look-alikes
        with pytest.raises(VehicleRefused, match=r"look-alike character from 京A[01]2345") as no:
            vehicles.invite_car(s, "h1", lookalike, Window(TODAY, TODAY), entries=1, now=NOW)
    assert "闸机可能把两辆车认错" in i18n.translator("zh-CN")(no.value.key, **no.value.values)


def test_an_ended_invitation_blocks_no_lookalike(office: Office) -> None:
    with office.session() as s:
        vehicles.invite_car(s, "h1", "京A12345", Window(TODAY, TODAY), entries=1, now=NOW)
        later, day = NOW + timedelta(days=2), TODAY + timedelta(days=2)
        vehicles.invite_car(s, "h1", "京A1234S", Window(day, day), entries=1, now=later)


def test_an_ended_invitation_gives_way_to_a_new_one(office: Office) -> None:
    with office.session() as s:
        old = vehicles.invite_car(s, "h1", "京A11111", Window(TODAY, TODAY), entries=1, now=NOW)
        later = NOW + timedelta(days=2)
        day = TODAY + timedelta(days=2)
        new = vehicles.invite_car(s, "h1", "京A11111", Window(day, day), entries=1, now=later)
        assert new.id != old.id


@pytest.mark.parametrize(
    ("window", "entries", "why"),
    [
        (Window(TODAY - timedelta(days=1), TODAY), 1, "first day must be today"),
        (Window(TODAY + timedelta(days=31), TODAY + timedelta(days=31)), 1, "within 30 days"),
        (Window(TODAY, TODAY + timedelta(days=7)), 1, "at most 7 days"),
        (Window(TODAY, TODAY - timedelta(days=1)), 1, "on or after the first"),
        (Window(TODAY, TODAY), 4, "1 to 3 entries"),
        (Window(TODAY, TODAY), 0, "1 to 3 entries"),
    ],
)
def test_an_invitation_out_of_bounds_is_refused(
    office: Office, window: Window, entries: int, why: str
) -> None:
    with office.session() as s, pytest.raises(VehicleRefused, match=why):
        vehicles.invite_car(s, "h1", "京A11111", window, entries=entries, now=NOW)


def test_a_household_has_at_most_three_open_invitations(office: Office) -> None:
    with office.session() as s:
        for plate in ("京A11111", "京A22222", "京A33333"):
            vehicles.invite_car(s, "h1", plate, Window(TODAY, TODAY), entries=1, now=NOW)
        with pytest.raises(VehicleRefused, match="at most 3 visitor cars"):
            vehicles.invite_car(s, "h1", "京A44444", Window(TODAY, TODAY), entries=1, now=NOW)


# --- the risk list ---------------------------------------------------------------------------


def check(s: Session, text: str, now: datetime = NOW) -> risklist.RiskPreview:
    compound = s.get(Compound, "c1")
    assert compound is not None
    return risklist.preview(text.encode("utf-8"), "city.csv", compound, now)


CITY = """某市涉疫车辆名单 2026-12-05
序号,车牌号码,途经地区,到访日期
1,京A12345,甲区,2026-12-01
2,京A12345,乙区,2026/12/3
3,粤BD12345,丙区,2026年11月30日
4,沪C11111,丁区,2026-11-01
5,沪C22222,戊区,2026-12-09
6,沪C2O222,己区,2026-12-01
7,沪C33333,,2026-12-01
8,沪C44444,庚区,昨天
9,苏E55555,辛区,46357
"""


def test_the_city_file_date_rules(office: Office) -> None:
    with office.session() as s:
        found = check(s, CITY)
    assert {p: (r.area, r.visited_on) for p, r in found.rows.items()} == {
        "京A12345": ("乙区", date(2026, 12, 3)),  # listed twice: the latest visit is kept
        "粤BD12345": ("丙区", date(2026, 11, 30)),
        "苏E55555": ("辛区", date(2026, 12, 1)),  # an .xlsx date cell's day number
    }
    assert found.merged == 1
    assert [r.plate for r in found.expired] == ["沪C11111"]  # older than 14 days
    assert {r.number: r.key for r in found.rejected} == {
        7: "risk.row.future",
        8: "plate.err.letter_o",
        9: "risk.row.area",
        10: "risk.row.day",
    }


@pytest.mark.parametrize("area", ["甲\x00区", "\u202e区甲", "甲\x1b[2J区"])
def test_an_area_with_control_characters_is_refused(office: Office, area: str) -> None:
    with office.session() as s:
        found = check(s, f"车牌,地区,日期\n京A12345,{area},2026-12-01\n")
    assert found.rows == {}
    assert [r.key for r in found.rejected] == ["risk.row.area_control"]


@pytest.mark.parametrize(
    "written",
    [
        "2026-12-01", "2026/12/1", "2026.12.01", "2026年12月1日", "2026 年 12 月 1 日 ",
        "2026年12月1号", "20261201", "2026-12-01 09:30", "2026-12-01T09:30:00+08:00",
        "2026/12/01 星期二", "46357", "46357.39583",
    ],
)  # fmt: skip
def test_a_visit_is_read_as_a_city_writes_its_day(written: str) -> None:
    assert risklist.parse_day(written) == date(2026, 12, 1)


@pytest.mark.parametrize("written", ["12/01/2026", "1.12", "2026120", "202612011", "20261301"])
def test_a_day_that_is_ambiguous_or_no_day_is_refused(written: str) -> None:
    with pytest.raises(risklist.RowRefused, match="is not a day"):
        risklist.parse_day(written)


def test_english_headers_are_read_too(office: Office) -> None:
    with office.session() as s:
        found = check(s, "Plate,Area,Date visited\n京A12345,District 1,2026-12-01\n")
    assert list(found.rows) == ["京A12345"]


def test_a_preview_counts_new_updated_expired_and_unchanged(office: Office) -> None:
    first = (
        "车牌,地区,日期\n京A11111,甲,2026-11-25\n京A22222,乙,2026-12-01\n京A33333,丙,2026-12-01\n"
    )
    later = NOW + timedelta(days=5)  # 京A11111's visit is now older than 14 days
    again = (
        "车牌,地区,日期\n京A22222,乙,2026-12-04\n京A33333,丙,2026-12-01\n京A44444,丁,2026-12-08\n"
    )
    with office.session() as s:
        compound = s.get(Compound, "c1")
        assert compound is not None
        risklist.apply(s, compound, check(s, first), source="a", now=NOW)
        found = check(s, again, later)
        planned = risklist.plan(s, compound, found)
        assert planned == risklist.Plan(new=1, updated=1, expired=1, unchanged=1)
        assert risklist.apply(s, compound, found, source="b", now=later) == planned
        assert risklist.plan(s, compound, found) == risklist.Plan(0, 0, 0, 3)


def test_the_window_is_the_compounds_policy(office: Office) -> None:
    with office.session() as s:
        compound = s.get(Compound, "c1")
        assert compound is not None
        compound.policy = {"vehicle_risk_days": 3}
        found = check(s, "车牌,地区,日期\n京A11111,甲,2026-12-01\n京A22222,乙,2026-12-02\n")
    assert list(found.rows) == ["京A22222"]


def test_a_household_under_quarantine_invites_no_car(office: Office) -> None:
    with office.session() as s:
        set_colour(s, "h1", RiskColour.ORANGE, NOW + timedelta(days=3))
        with pytest.raises(VehicleRefused, match="under quarantine"):
            vehicles.invite_car(s, "h1", "京A11111", Window(TODAY, TODAY), entries=1, now=NOW)


@pytest.mark.parametrize("epoch", [CALENDAR_WINDOWS_1900, CALENDAR_MAC_1904])
def test_xlsx_date_and_date_time_cells_are_days(office: Office, epoch: date) -> None:
    book = Workbook()
    book.epoch = epoch  # a workbook saved with the 1904 date system counts 1,462 days fewer
    sheet = book.active
    assert sheet is not None
    sheet.append(["车牌号码", "途经地区", "到访日期"])
    sheet.append(["京A12345", "甲区", date(2026, 12, 1)])
    sheet.append(["京A12346", "甲区", datetime(2026, 12, 2, 15, 30)])
    out = io.BytesIO()
    book.save(out)
    with office.session() as s:
        compound = s.get(Compound, "c1")
        assert compound is not None
        found = risklist.preview(out.getvalue(), "city.xlsx", compound, NOW)
    assert {p: r.visited_on for p, r in found.rows.items()} == {
        "京A12345": date(2026, 12, 1),
        "京A12346": date(2026, 12, 2),
    }


def test_a_risk_file_is_read_within_the_import_limits(office: Office) -> None:
    huge = b"plate,area,date\n" + b"x" * importread.MAX_FILE_BYTES
    with office.session() as s:
        compound = s.get(Compound, "c1")
        assert compound is not None
        with pytest.raises(ImportFileError) as refused:
            risklist.preview(huge, "city.csv", compound, NOW)
    assert refused.value.key == "import.err.too_large"
