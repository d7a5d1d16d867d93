"""Spreadsheets as offices have them import: a blank first sheet, a title above the header,
merged building cells, full-width digits, 2号楼/1单元/502室, phones with +86 and dashes, and a
flat the file (or the database) knows under another household id."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.hostile_xlsx import rows_xml, workbook
from kiosk.model import RiskColour
from server import importer
from server.local import Office
from server.models import Holder, Household
from server.web.registrations import duplicate_flags
from server.web.tables import Registration
from tests.webtools import CSRF, World, jpeg, make_world

HEADER = ["楼栋", "单元", "房号", "颜色", "姓名", "手机"]


def sheet(rows: list[list[str]], merges: str = "") -> list[str]:
    return [*rows_xml(rows), *([f"<mergeCells>{merges}</mergeCells>"] if merges else [])]


@pytest.fixture
def office(tmp_path: Path) -> Office:
    office = Office.open(f"sqlite:///{tmp_path / 'o.db'}")
    office.add_compound("c1", "幸福小区")
    return office


def test_the_first_sheet_with_data_is_read_or_the_one_the_clerk_picks() -> None:
    data = workbook(
        [
            ("说明", sheet([])),
            ("住户", sheet([HEADER, ["3", "2", "501", "白", "张伟", "13800138000"]])),
            ("旧表", sheet([HEADER, ["4", "1", "101", "白", "李娜", ""], ["4", "1", "102"]])),
        ]
    )
    found = importer.preview(data, "h.xlsx")
    assert (found.sheet, found.sheets, len(found.rows)) == ("住户", ("说明", "住户", "旧表"), 1)
    assert len(importer.preview(data, "h.xlsx", "旧表").rows) == 2
    with pytest.raises(importer.ImportFileError) as refused:
        importer.preview(data, "h.xlsx", "没有")
    assert refused.value.key == "import.err.no_sheet"


def test_a_title_row_above_the_header_and_merged_building_cells() -> None:
    rows = [
        ["幸福小区住户名单（2026年2月）"],
        [],
        HEADER,
        ["3", "2", "501", "白", "张伟", ""],
        ["", "", "502", "白", "李娜", ""],
        ["", "", "503", "白", "王芳", ""],
    ]
    # The title spans A1:F1; building 3 and unit 2 are each one merged cell over three rows.
    data = workbook(
        [
            (
                "S",
                sheet(
                    rows, '<mergeCell ref="A1:F1"/><mergeCell ref="A4:A6"/><mergeCell ref="B4:B6"/>'
                ),
            )
        ]
    )
    found = importer.preview(data, "h.xlsx")
    assert found.rejected == []
    assert [r.flat.label for r in found.rows] == ["3-2-501", "3-2-502", "3-2-503"]
    assert [r.number for r in found.rows] == [4, 5, 6]  # as the spreadsheet numbers them


def test_full_width_digits_flat_words_and_phone_spellings_are_one_form() -> None:
    rows = [
        HEADER,
        ["３", "２", "５０１", "白", "张　伟", "+86 138-0013-8000"],
        ["2号楼", "1单元", "502室", "白", "李娜", "0086 139 0013 9000"],
        ["", "", "2号楼/1单元/503室", "白", "王芳", "(010) 1234-5678"],
        ["7栋", "3单元", "101", "白", "赵强", "8613700137000"],
    ]
    found = importer.preview(workbook([("S", sheet(rows))]), "h.xlsx")
    assert found.rejected == []
    got = [(r.flat.label, r.name, r.phone) for r in found.rows]
    assert got == [
        ("3-2-501", "张 伟", "13800138000"),
        ("2-1-502", "李娜", "13900139000"),
        ("2-1-503", "王芳", "01012345678"),
        ("7-3-101", "赵强", "13700137000"),
    ]


def test_a_flat_listed_under_two_household_ids_is_one_household(office: Office) -> None:
    rows = [
        ["户号", *HEADER],
        ["H001", "3", "2", "501", "白", "张伟", ""],
        ["H002", "3", "2", "501", "白", "李娜", ""],
        ["H003", "3", "2", "502", "白", "王芳", ""],
    ]
    found = importer.preview(workbook([("S", sheet(rows))]), "h.xlsx")
    assert [(m.flat.label, m.rows, m.ids) for m in found.merges] == [
        ("3-2-501", (2, 3), ("H001", "H002"))
    ]
    with office.session() as s:
        outcome = importer.apply(s, "c1", found)
    assert (outcome.households_added, outcome.residents_added) == (2, 3)


def test_a_flat_the_office_has_under_another_id_gets_the_residents(office: Office) -> None:
    office.add_household("c1-h7", "c1", RiskColour.WHITE)
    with office.session() as s:
        home = s.get(Household, "c1-h7")
        assert home is not None
        home.building, home.unit, home.room = "3", "2", "501"
    rows = [HEADER, ["3", "2", "501", "白", "张伟", ""]]
    with office.session() as s:
        outcome = importer.apply(
            s, "c1", importer.preview(workbook([("S", sheet(rows))]), "h.xlsx")
        )
    assert (outcome.households_added, outcome.households_known) == (0, 1)
    with office.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 1
        assert s.scalars(select(Holder.household_id)).one() == "c1-h7"


def test_a_sign_up_with_a_known_phone_spelled_otherwise_is_flagged_not_refused(
    tmp_path: Path,
) -> None:
    world: World = make_world(tmp_path / "office")
    with world.office.session() as s:
        s.add(Holder(household_id=world.ids["c1"].household, name="张伟", phone="13812345678"))
    form = {
        "csrf": CSRF,
        "building": "１号楼",
        "unit": "1单元",
        "room": "102室",
        "name": "李娜",
        "phone": "+86 138-1234-5678",
        "password": "a long password",
    }
    reply = world.client().post(
        "/office/r/c1", data=form, files={"photo": ("p.jpg", jpeg(), "image/jpeg")}
    )
    assert reply.status_code == 303
    with world.office.session() as s:
        row = s.scalars(select(Registration).where(Registration.name == "李娜")).one()
        assert row.phone == "13812345678"
        assert duplicate_flags(s, row) == ["dup.phone"]


def test_a_household_added_by_id_only_is_found_by_its_id(office: Office) -> None:
    """Added with kiosk-server add-household c1-3-2-501: no flat written on it, same door."""
    office.add_household("c1-3-2-501", "c1", RiskColour.WHITE)
    rows = [HEADER, ["3", "2", "501", "白", "张伟", ""]]
    with office.session() as s:
        outcome = importer.apply(
            s, "c1", importer.preview(workbook([("S", sheet(rows))]), "h.xlsx")
        )
    assert (outcome.households_added, outcome.households_known, outcome.residents_added) == (
        0,
        1,
        1,
    )


def test_the_preview_page_names_the_sheet_read_and_the_merged_rows(tmp_path: Path) -> None:
    world: World = make_world(tmp_path / "office")
    rows = [["户号", *HEADER], ["H1", "5", "1", "101", "白", "张伟", ""], ["H2", "5", "1", "101"]]
    data = workbook([("说明", sheet([])), ("住户", sheet(rows))])
    page = world.client("clerk1").post(
        "/office/c/c1/import",
        data={"csrf": CSRF},
        files={"file": ("h.xlsx", data, importer.XLSX_TYPE)},
    )
    assert page.status_code == 200
    assert "已读取工作表“住户”（共 2 个）" in page.text
    assert '<option value="说明">说明</option>' in page.text
    assert "5-1-101：第 2, 3 行（户号 H1, H2）" in page.text
    assert '<input type="hidden" name="sheet" value="住户">' in page.text


def test_a_phonetic_guide_is_not_read_as_part_of_the_name() -> None:
    cell = (
        '<c r="E2" t="inlineStr"><is><r><t>张伟</t></r>'
        '<rPh sb="0" eb="2"><t>zhang wei</t></rPh></is></c>'
    )
    flat = "".join(
        f'<c r="{c}2" t="inlineStr"><is><t>{v}</t></is></c>'
        for c, v in zip("ABC", "32A", strict=True)
    )
    rows = [*rows_xml([HEADER]), f'<row r="2">{flat}{cell}</row>']
    found = importer.preview(workbook([("S", rows)]), "h.xlsx")
    assert [r.name for r in found.rows] == ["张伟"]
