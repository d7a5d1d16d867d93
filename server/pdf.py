"""A printable pass: A6 card with the holder's name, photo, household and QR code (fpdf2).

Chinese names need a CJK font; fpdf2 reads the WenQuanYi Micro Hei collection (.ttc) directly.
Without it the card is still made when the name is plain Latin text; otherwise a clear error
says which package to install.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

from kiosk.atomic import write_atomic
from kiosk.exc import FontMissing
from kiosk.passes import write_qr_png
from server.exc import ServerConfigError

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


@dataclass(frozen=True, slots=True)
class PassCard:
    text: str  # the QR text, "KP1:..."
    name: str
    pass_id: str
    household_id: str
    compound_id: str
    expires: str  # already formatted for people
    photo: bytes | None = None


def find_cjk_font(candidates: tuple[Path, ...] = CJK_FONTS) -> Path | None:
    return next((p for p in candidates if p.is_file()), None)


def _font(pdf: FPDF, card: PassCard, fonts: tuple[Path, ...]) -> str:
    found = find_cjk_font(fonts)
    if found is not None:
        pdf.add_font("cjk", fname=str(found))
        return "cjk"
    if all(ord(c) < 256 for c in card.name):
        return "helvetica"
    raise FontMissing(
        f"no CJK font to print {card.name!r}; install fonts-wqy-microhei "
        f"(looked for {', '.join(map(str, fonts))})"
    )


def write_pass_pdf(card: PassCard, path: Path, *, fonts: tuple[Path, ...] = CJK_FONTS) -> None:
    """Write the card as a one-page PDF (A6 portrait), atomically."""
    write_atomic(Path(path), render_pass_pdf(card, fonts=fonts))


def render_pass_pdf(card: PassCard, *, fonts: tuple[Path, ...] = CJK_FONTS) -> bytes:
    """The card as PDF bytes; ServerConfigError when the holder's photo cannot be drawn."""
    pdf = FPDF(unit="mm", format=(105, 148))  # A6
    pdf.set_auto_page_break(False)
    pdf.add_page()
    family = _font(pdf, card, fonts)
    pdf.set_font(family, size=16)
    pdf.cell(0, 9, card.name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, size=9)
    pdf.cell(
        0, 5, f"{card.compound_id} / {card.household_id}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    if card.photo is not None:
        try:
            pdf.image(io.BytesIO(card.photo), x=37, y=26, w=31, h=40, keep_aspect_ratio=True)
        except (OSError, ValueError, SyntaxError) as error:
            raise ServerConfigError(
                f"the photo of {card.name!r} cannot be drawn ({error}); add it again"
            ) from None
    with tempfile.TemporaryDirectory() as folder:
        qr = Path(folder) / "qr.png"
        write_qr_png(card.text, qr, scale=6, border=2)
        pdf.image(str(qr), x=22, y=70, w=61, h=61)
    pdf.set_xy(10, 133)
    pdf.cell(0, 5, f"{card.pass_id}  ·  valid until {card.expires}", align="C")
    return bytes(pdf.output())
