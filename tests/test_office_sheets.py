"""Printed sheets: six cards a page, each with the compound's name, flat, name, colour, local
validity and a QR code the kiosk's decoder reads back as the signed pass."""

from __future__ import annotations

import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from drivers.qr import ZxingDecoder
from kiosk.model import RiskColour
from kiosk.passes import Verifier
from server import importer, sheets
from server.cli import main
from server.local import Office
from server.models import Holder, Pass
from server.office import set_colour
from tests.browser.conftest import SHOTS
from tests.webtools import jpeg

NOW = datetime(2020, 2, 10, 8, 0, 12, 345678, tzinfo=UTC)  # microseconds must never print


@pytest.fixture
def office(tmp_path: Path) -> Office:
    office = Office.open(tmp_path / "office")
    office.add_compound("c1", "幸福小区")
    rows = importer.sample_rows(4, residents_each=2)  # 1-1-101 .. 1-1-104, two people each
    with office.session() as s:
        importer.apply(s, "c1", importer.preview(importer.xlsx_bytes(rows, title="t"), "h.xlsx"))
    return office


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def print_holders(office: Office, holders: list[Holder]) -> tuple[bytes, list[sheets.SheetCard]]:
    with office.session() as s:
        printing = sheets.cards_for(s, holders, NOW)
    return sheets.sheet_pdf(printing.cards, printing.left_out), printing.cards


def all_holders(office: Office) -> list[Holder]:
    with office.session() as s:
        return list(s.scalars(select(Holder)))


def test_a_household_prints_one_card_per_resident_with_local_validity(office: Office) -> None:
    with office.session() as s:
        holders = sheets.household_holders(s, "c1-1-1-101")
    data, cards = print_holders(office, holders)
    [page] = pdf_text(data)
    assert page.count("幸福小区") == 2 and "c1" not in page.replace("c1-", "")
    assert page.count("1-1-101") == 2
    assert {c.name for c in cards} <= set(re.findall(r"\w+", page))
    # 16:00 in Shanghai is 08:00 UTC: local time, to the minute, no offset or microseconds.
    assert "有效期 2020-02-10 16:00 至 2020-08-08 16:00" in page
    assert "+00:00" not in page and "345678" not in page and "08:00" not in page
    assert sheets.sheet_filename(cards) == "1-1-101.pdf"
    assert sheets.sheet_filename(cards[:1]) == f"1-1-101 {cards[0].name}.pdf"


def test_eight_cards_fill_one_page_and_start_a_second(office: Office) -> None:
    data, cards = print_holders(office, all_holders(office))
    pages = pdf_text(data)
    assert [p.count("通行证 P") for p in pages] == [6, 2]
    assert len(cards) == 8
    assert "白 W 正常" in pages[0]  # the colour's word and letter, not only the colour


def test_building_sheet_holds_every_resident_of_the_building(office: Office) -> None:
    with office.session() as s:
        holders = sheets.building_holders(s, "c1", "1")
    data, _ = print_holders(office, holders)
    assert sum(p.count("通行证 P") for p in pdf_text(data)) == 8


def test_printing_again_reuses_the_current_passes(office: Office) -> None:
    holders = all_holders(office)
    _, first = print_holders(office, holders)
    _, second = print_holders(office, holders)
    assert [c.pass_id for c in first] == [c.pass_id for c in second]
    with office.session() as s:
        assert s.scalar(select(func.count()).select_from(Pass)) == 8


def keep_picture(image: Any, name: str) -> None:
    """The README's picture of a printed sheet, when asked (``KIOSK_README_SCREENSHOTS=1``)."""
    if os.environ.get("KIOSK_README_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        image.resize((image.width // 2, image.height // 2)).save(SHOTS / name)


def test_the_printed_qr_reads_back_as_the_signed_pass(office: Office) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    with office.session() as s:  # registered photos, as the office keeps them
        for n, holder in enumerate(s.scalars(select(Holder).limit(6))):
            holder.photo = jpeg((300, 400), (200 - 20 * n, 160, 120 + 20 * n))
        set_colour(s, "c1-1-1-102", RiskColour.RED, NOW + timedelta(days=14))
        set_colour(s, "c1-1-1-103", RiskColour.YELLOW, None)
    data, cards = print_holders(office, all_holders(office)[:6])
    document = pdfium.PdfDocument(data)
    try:
        image = document[0].render(scale=300 / 72).to_pil()  # a 300 dpi print
    finally:
        document.close()
    keep_picture(image, "office-sheet.png")
    texts = ZxingDecoder().decode(np.asarray(image.convert("L")))
    assert sorted(texts) == sorted(c.qr_text for c in cards)  # all six cards of the page
    verifier = Verifier(office.trust_list())
    for card in cards:
        verified = verifier.verify(card.qr_text, NOW)
        assert verified.credential is not None and verified.credential.claims is not None
        assert verified.credential.claims.pass_id == card.pass_id


def test_cli_prints_a_household_named_by_its_flat(
    office: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, out = str(tmp_path / "office" / "office.db"), tmp_path / "print"
    assert main(["--db", db, "print-passes", "--household", "c1-1-1-102", "--out", str(out)]) == 0
    assert "2 card(s) on 1 A4 page(s)" in capsys.readouterr().out
    [pdf] = out.iterdir()
    assert pdf.name == "1-1-102.pdf"
    assert pdf_text(pdf.read_bytes())[0].count("通行证 P") == 2
    assert main(["--db", db, "print-passes", "--holder", "999", "--out", str(out)]) == 2
    assert "no resident 999" in capsys.readouterr().err
