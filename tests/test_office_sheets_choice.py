"""Printing prints what is valid: a revoked or deactivated resident gets no new pass from a print
run and is listed on the sheet instead; a new pass for them is the clerk's own audited action.
Long names stay inside their card."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from pypdf import PdfReader
from sqlalchemy import func, select

from server import importer, office, sheets
from server.cli import main
from server.local import Office
from server.models import Holder, Pass
from server.pdf import find_cjk_font
from server.web import departures

NOW = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)
LONG_NAME = "欧阳娜娜" * 10  # 40 characters: at 18 pt it ran over the QR code and the next card


@pytest.fixture
def office_db(tmp_path: Path) -> Office:
    db = Office.open(tmp_path / "office")
    db.add_compound("c1", "幸福小区")
    rows = importer.sample_rows(2, residents_each=2)  # 1-1-101 and 1-1-102, two people each
    with db.session() as s:
        importer.apply(s, "c1", importer.preview(importer.xlsx_bytes(rows, title="t"), "h.xlsx"))
    return db


def run(db: Office, household: str = "c1-1-1-101") -> sheets.Printing:
    with db.session() as s:
        return sheets.cards_for(s, sheets.household_holders(s, household), NOW)


def passes(db: Office) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Pass)) or 0


def sheet_text(printing: sheets.Printing) -> str:
    data = sheets.sheet_pdf(printing.cards, printing.left_out)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def test_a_first_print_signs_the_passes_of_residents_who_have_none(office_db: Office) -> None:
    first = run(office_db)
    assert len(first.cards) == 2 and len(first.issued) == 2 and not first.left_out
    again = run(office_db)
    assert [c.pass_id for c in again.cards] == [c.pass_id for c in first.cards]
    assert again.issued == [] and passes(office_db) == 2


def test_a_revoked_resident_is_left_out_and_listed_not_given_a_new_pass(
    office_db: Office,
) -> None:
    first = run(office_db)
    revoked = first.cards[0]
    with office_db.session() as s:
        office.revoke_pass(s, revoked.pass_id)
    printing = run(office_db)
    assert [c.name for c in printing.cards] == [first.cards[1].name]
    assert [(p.name, p.reason) for p in printing.left_out] == [(revoked.name, "revoked")]
    assert printing.issued == [] and passes(office_db) == 2  # nothing signed behind the clerk
    text = sheet_text(printing)
    assert "未打印 1 人" in text and f"1-1-101 {revoked.name}" in text and "已吊销" in text


def test_a_new_pass_after_revocation_is_printed(office_db: Office) -> None:
    first = run(office_db)
    with office_db.session() as s:
        office.revoke_pass(s, first.cards[0].pass_id)
        holder = s.scalars(select(Holder).where(Holder.name == first.cards[0].name)).one()
        row, text = office.issue_resident_pass(s, holder.id, at=NOW)  # "issue a new pass"
        row.qr_text = text
        new_id = row.pass_id
    printing = run(office_db)
    assert new_id in {c.pass_id for c in printing.cards} and not printing.left_out


def test_a_deactivated_resident_is_left_out_and_listed(office_db: Office) -> None:
    run(office_db)
    with office_db.session() as s:
        holder = s.scalars(select(Holder).where(Holder.household_id == "c1-1-1-101")).first()
        assert holder is not None
        departures.deactivate(s, holder, "搬走了", True, NOW)
        name = holder.name
    printing = run(office_db)
    assert name not in {c.name for c in printing.cards}
    assert [(p.name, p.reason) for p in printing.left_out] == [(name, "inactive")]
    assert passes(office_db) == 2
    assert "已注销" in sheet_text(printing)


def text_runs(data: bytes) -> list[tuple[str, float, float]]:
    """Every piece of text on the first page: (text, left edge in mm, font size in pt)."""
    runs: list[tuple[str, float, float]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip():
            runs.append((text, (tm[4] * cm[0] + cm[4]) * 25.4 / 72, size * tm[0]))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return runs


@pytest.mark.parametrize(
    "name", [LONG_NAME, "Maximilian Alexander Wolfeschlegelsteinhausen"], ids=["zh", "latin"]
)
def test_a_long_name_wraps_or_shrinks_inside_its_card(office_db: Office, name: str) -> None:
    font = find_cjk_font()
    if font is None:
        pytest.skip("no CJK font: install fonts-wqy-microhei (CI has it)")
    with office_db.session() as s:
        holder = s.scalars(select(Holder).where(Holder.household_id == "c1-1-1-101")).first()
        assert holder is not None
        holder.name = name
        printing = sheets.cards_for(s, [holder], NOW)
    data = sheets.sheet_pdf(printing.cards)
    measure = FPDF(unit="mm")
    measure.add_font("cjk", fname=str(font))
    measure.set_font("cjk")
    qr_left = sheets.LEFT + sheets.CARD_W - 44
    pieces = [(t, x, size) for t, x, size in text_runs(data) if t.strip() in name]
    assert "".join(t.strip() for t, _, _ in pieces).replace(" ", "") == name.replace(" ", "")
    for text, left, size in pieces:
        measure.set_font_size(size)
        assert left + measure.get_string_width(text) <= qr_left + 0.01, (text, size)


def test_the_cli_names_who_it_left_out(
    office_db: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(office_db)
    with office_db.session() as s:
        office.revoke_pass(s, first.cards[0].pass_id)
    db, out = str(tmp_path / "office" / "office.db"), str(tmp_path / "print")
    assert main(["--db", db, "print-passes", "--household", "c1-1-1-101", "--out", out]) == 0
    said = capsys.readouterr()
    assert f"not printed: 1-1-101 {first.cards[0].name} (revoked)" in said.err
    assert "1 card(s) on 1 A4 page(s)" in said.out
