"""A clerk in Chromium fills the downloaded template with 300 households, 5 of them broken:
295 are imported, the 5 are listed by row number, and importing the same file again adds
nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from server.importer import sample_rows
from server.models import Holder, Household
from server.web.auth import UserRole, add_user
from tests.browser.conftest import OfficeServer, login
from tests.test_office_import import BROKEN

PASSWORD = "correct horse"


def counts(server: OfficeServer) -> tuple[int, int]:
    with server.office.session() as s:
        homes = s.scalar(select(func.count()).select_from(Household)) or 0
        people = s.scalar(select(func.count()).select_from(Holder)) or 0
    return homes, people


def filled_template(page: Any, tmp_path: Path) -> Path:
    """Download the template from the page and fill it as a clerk would (rows after the header)."""
    with page.expect_download() as download:
        page.click("text=下载模板 (.xlsx)")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)  # the example rows
    rows = sample_rows(300)
    for index, cell, value, _ in BROKEN:
        rows[index + 1][cell] = value
    for row in rows[1:]:
        sheet.append(row)
    path = tmp_path / "住户名单.xlsx"
    book.save(path)
    return path


def test_clerk_imports_300_households_with_5_broken_rows(
    page: Any, office_server: OfficeServer, tmp_path: Path
) -> None:
    office_server.office.add_compound("c1", "幸福小区")
    with office_server.office.session() as s:
        add_user(s, "clerk1", PASSWORD, UserRole.CLERK, now=datetime.now(UTC), compounds=("c1",))
    login(page, office_server, "clerk1", PASSWORD)
    page.goto(office_server.at("/office/c/c1/import"))
    sheet = filled_template(page, tmp_path)

    page.set_input_files("#f-file", str(sheet))
    page.click("#import-check")
    assert "有效行 295 行：295 户，295 人" in page.text_content("#import-summary")
    listed = [r.split("\t") for r in page.inner_text("#rejected tbody").splitlines()]
    assert [int(r[0]) for r in listed] == [i + 2 for i, *_ in BROKEN]
    assert counts(office_server) == (0, 0)  # the preview changes nothing

    page.click("#import-confirm")
    assert "已添加 295 户、295 人" in page.text_content("#import-done")
    assert counts(office_server) == (295, 295)

    page.set_input_files("#f-file", str(sheet))
    page.click("#import-check")
    page.click("#import-confirm")
    assert "已添加 0 户、0 人；已存在 295 户、295 人" in page.text_content("#import-done")
    assert counts(office_server) == (295, 295)
