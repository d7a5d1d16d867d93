"""The clerk's import, export and print pages over HTTP: preview lists rejects, confirm
imports, files come back named and audited, other compounds' people are never printed."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from server.importer import sample_rows, xlsx_bytes
from server.models import Household
from server.web.tables import AuditEntry
from tests.webtools import CSRF, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def households(world: World, compound: str = "c1") -> int:
    with world.office.session() as s:
        query = select(func.count()).select_from(Household).where(Household.compound_id == compound)
        return int(s.scalar(query) or 0)


def actions(world: World) -> list[str]:
    with world.office.session() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_preview_lists_rejects_and_confirm_imports_the_rest(world: World) -> None:
    rows = sample_rows(20)
    rows[4][2] = ""  # row 5: no room
    client = world.client("clerk1")
    sheet = xlsx_bytes(rows, title="t")
    files = {"file": ("住户.xlsx", sheet, "application/octet-stream")}
    shown = client.post("/office/c/c1/import", data={"csrf": CSRF}, files=files)
    assert shown.status_code == 200
    assert re.search(r"<td>5</td><td>房号没填</td>", shown.text)  # the page's language
    assert households(world) == 2  # 1-1-101 and 1-1-102 exist; the file lists them too
    payload = re.search(r'name="payload" value="([^"]+)"', shown.text)
    assert payload is not None
    form = {"csrf": CSRF, "payload": payload.group(1), "filename": "住户.xlsx"}
    done = client.post("/office/c/c1/import/confirm", data=form)
    assert done.status_code == 200 and 'id="import-done"' in done.text
    assert "已添加 17 户、19 人；已存在 2 户" in done.text
    assert households(world) == 19 and households(world, "c2") == 2
    again = client.post("/office/c/c1/import/confirm", data=form)
    assert "已添加 0 户、0 人" in again.text and households(world) == 19
    assert actions(world)[-2:] == ["import", "import"]


@pytest.mark.parametrize(
    ("files", "words"),
    [
        (None, "请选择一个文件"),
        # In the clerk's language (Chinese by default), not the command line's English.
        ({"file": ("a.pdf", b"%PDF", "application/pdf")}, "只能导入 .xlsx 或 .csv 文件"),
        ({"file": ("a.xlsx", b"PK\x03\x04junk", "application/octet-stream")}, "不是可读取的 .xlsx"),
    ],
)
def test_an_unreadable_upload_is_shown_beside_the_field(
    world: World, files: dict[str, tuple[str, bytes, str]] | None, words: str
) -> None:
    answer = world.client("clerk1").post("/office/c/c1/import", data={"csrf": CSRF}, files=files)
    assert answer.status_code == 400 and words in answer.text


def test_a_damaged_confirm_form_is_refused_and_imports_nothing(world: World) -> None:
    before = households(world)
    answer = world.client("clerk1").post(
        "/office/c/c1/import/confirm", data={"csrf": CSRF, "payload": "%%%", "filename": "x.csv"}
    )
    assert answer.status_code == 400 and households(world) == before


def test_the_template_downloads_as_xlsx(world: World) -> None:
    answer = world.client("clerk1").get("/office/c/c1/import/template.xlsx")
    book = load_workbook(io.BytesIO(answer.content))
    assert next(book.worksheets[0].iter_rows(values_only=True))[0] == "楼栋 building"


def test_export_downloads_the_log_named_by_compound_and_dates(world: World) -> None:
    client = world.client("clerk1")
    assert 'name="from"' in client.get("/office/c/c1/export").text
    answer = client.get("/office/c/c1/export?from=2026-02-01&to=2026-02-10&format=csv")
    assert answer.status_code == 200 and answer.content.startswith(b"\xef\xbb\xbf")
    disposition = answer.headers["content-disposition"]
    assert unquote(disposition.split("''", 1)[1]) == "小区1 2026-02-01~2026-02-10.csv"
    assert actions(world)[-1] == "export"


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-02-10&to=2026-02-01",
        "from=x&to=2026-02-01",
        "from=2026-02-01&to=2026-02-02&format=pdf",
    ],
)
def test_a_bad_export_request_is_a_4xx(world: World, query: str) -> None:
    answer = world.client("clerk1").get(f"/office/c/c1/export?{query}")
    assert 400 <= answer.status_code < 500


def test_printing_a_household_gives_a_pdf_named_by_its_flat(world: World) -> None:
    ids = world.ids["c1"]
    answer = world.client("clerk1").post(
        "/office/c/c1/sheets", data={"csrf": CSRF, "household": ids.household}
    )
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert unquote(answer.headers["content-disposition"].split("''", 1)[1]).startswith("1-1-101")
    text = PdfReader(io.BytesIO(answer.content)).pages[0].extract_text()
    assert "小区1" in text and "居民1" in text
    assert actions(world)[-1] == "print_passes"


def test_another_compounds_resident_is_never_printed(world: World) -> None:
    other = world.ids["c2"]
    client = world.client("clerk1")
    by_id = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "holder": str(other.holder)})
    by_flat = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "household": other.household})
    assert by_id.status_code == 404 and by_flat.status_code == 404
    assert "居民2" not in by_id.text + by_flat.text


def test_rejected_rows_are_told_in_the_pages_language(world: World) -> None:
    rows = sample_rows(4)
    rows[2][3] = "紫"  # row 3 (row 1 is the header): no such colour
    rows[3][0] = "3#"  # row 4: a building that is no building
    files = {"file": ("住户.xlsx", xlsx_bytes(rows, title="t"), "application/octet-stream")}
    client = world.client("clerk1")
    chinese = client.post("/office/c/c1/import", data={"csrf": CSRF}, files=files).text
    assert "<td>3</td><td>颜色“紫”不是红、橙、黄、绿、白之一</td>" in chinese
    assert "<td>4</td><td>楼栋“3#”应为 1–8 个字母或数字</td>" in chinese
    client.cookies.set("office_lang", "en")
    english = client.post("/office/c/c1/import", data={"csrf": CSRF}, files=files).text
    assert "<td>4</td><td>building &#39;3#&#39; is not 1-8 letters or digits</td>" in english
