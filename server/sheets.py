"""Paper passes for the elderly: A4 sheets of six cards with cut marks (fpdf2), in Chinese.

Each card shows the compound's name, a band in the household's colour (with its word and
letter, so the colour-blind can read it too), the person's name, flat and photo, the validity
in the compound's local time, and the QR code. ``cards_for`` collects the cards of a household,
a building or a selection of residents: the current valid passes, a first one signed for a
resident who has none, never one for a resident who was deactivated or whose pass was revoked
(they are listed at the end of the sheet instead).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import segno
from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.exc import FontMissing
from kiosk.model import RiskColour
from server import office, textfit
from server.exc import NotFound
from server.models import Compound, Holder, Household, Pass
from server.pdf import find_cjk_font
from server.visitors import host_flat
from server.web.timefmt import local

A4 = (210.0, 297.0)
CARD_W, CARD_H = 90.0, 88.0
COLUMNS, ROWS = 2, 3
GUTTER_X, GUTTER_Y = 10.0, 8.0
MARK = 3.0  # length of a cut mark, outside the card's corner
PER_PAGE = COLUMNS * ROWS
BAND = {  # fill colour and text colour of the colour band
    RiskColour.RED: ((220, 38, 38), (255, 255, 255)),
    RiskColour.ORANGE: ((234, 88, 12), (255, 255, 255)),
    RiskColour.YELLOW: ((250, 204, 21), (0, 0, 0)),
    RiskColour.GREEN: ((22, 163, 74), (255, 255, 255)),
    RiskColour.WHITE: ((255, 255, 255), (0, 0, 0)),
}
BAND_WORDS = {
    RiskColour.RED: "红 R 居家隔离",
    RiskColour.ORANGE: "橙 O 居家隔离",
    RiskColour.YELLOW: "黄 Y 健康监测",
    RiskColour.GREEN: "绿 G 空置房屋",
    RiskColour.WHITE: "白 W 正常",
}


@dataclass(frozen=True, slots=True)
class SheetCard:
    """One printed card; times are already in the compound's local time."""

    compound_name: str
    flat: str
    name: str
    colour: RiskColour
    valid_from: str
    valid_until: str
    qr_text: str
    pass_id: str
    photo: bytes | None = None


# --- which cards ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A chosen resident who gets no card, and why (``inactive`` or ``revoked``)."""

    holder_id: int
    flat: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Printing:
    """What a print run holds: the cards, who was left out, and the passes it had to sign."""

    cards: list[SheetCard]
    left_out: list[LeftOut]
    issued: list[str]


def cards_for(
    session: Session, holders: Sequence[Holder], now: datetime, *, days: int = 180
) -> Printing:
    """A card per resident with a current pass, in flat order.

    A resident who never had a pass (just imported) or whose passes merely ran out gets one
    signed here; a deactivated resident, or one whose newest pass was revoked, is left out:
    a clerk decided that, and only an explicit "issue a new pass" on their page undoes it.
    """
    cards, left_out, issued = [], [], []
    for holder in sorted(holders, key=lambda h: (_flat_key(session, h), h.id)):
        household = session.get(Household, holder.household_id)
        assert household is not None  # a foreign key
        compound = session.get(Compound, household.compound_id)
        assert compound is not None
        reason = _refusal(session, holder, now)
        if reason:
            left_out.append(LeftOut(holder.id, host_flat(household), holder.name, reason))
            continue
        row = current_pass(session, holder.id, now)
        if row is None:
            row = _issue(session, holder.id, days, now)
            issued.append(row.pass_id)
        assert row.qr_text is not None
        cards.append(
            SheetCard(
                compound_name=compound.name,
                flat=host_flat(household),
                name=holder.name,
                colour=RiskColour(household.colour),
                valid_from=local(row.not_before, compound.timezone),
                valid_until=local(row.expires_at, compound.timezone),
                qr_text=row.qr_text,
                pass_id=row.pass_id,
                photo=holder.photo,
            )
        )
    return Printing(cards, left_out, issued)


def _refusal(session: Session, holder: Holder, now: datetime) -> str:
    """Why this resident gets no card ("" when they get one)."""
    if not holder.active:
        return "inactive"
    if current_pass(session, holder.id, now) is not None:
        return ""
    newest = session.scalars(
        select(Pass).where(Pass.holder_id == holder.id).order_by(Pass.issued_at.desc()).limit(1)
    ).first()
    return "revoked" if newest is not None and newest.revoked else ""


def current_pass(session: Session, holder_id: int, now: datetime) -> Pass | None:
    """The holder's newest pass that is valid now and whose QR text the office kept."""
    query = (
        select(Pass)
        .where(
            Pass.holder_id == holder_id,
            Pass.revoked.is_(False),
            Pass.expires_at > now,
            Pass.qr_text.is_not(None),
        )
        .order_by(Pass.issued_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def _issue(session: Session, holder_id: int, days: int, now: datetime) -> Pass:
    row, text = office.issue_resident_pass(session, holder_id, days=days, at=now)
    row.qr_text = text
    return row


def _flat_key(session: Session, holder: Holder) -> tuple[str, ...]:
    household = session.get(Household, holder.household_id)
    if household is None:
        return (holder.household_id,)
    parts = (household.building, household.unit, household.room)
    return (*(p.rjust(8, "0") for p in parts), household.id)


def household_holders(session: Session, household_id: str) -> list[Holder]:
    """Everyone of the household, the deactivated too: the sheet lists them as left out."""
    if session.get(Household, household_id) is None:
        raise NotFound(f"no household {household_id!r}")
    return list(session.scalars(select(Holder).where(Holder.household_id == household_id)))


def building_holders(session: Session, compound_id: str, building: str) -> list[Holder]:
    """Everyone of the building's households (none when it has nobody yet)."""
    query = (
        select(Holder)
        .join(Household, Household.id == Holder.household_id)
        .where(Household.compound_id == compound_id, Household.building == building)
    )
    return list(session.scalars(query))


def buildings_with_residents(session: Session, compound_id: str) -> list[str]:
    """The buildings that have someone to print, in natural order (2 before 10)."""
    query = (
        select(Household.building)
        .join(Holder, Holder.household_id == Household.id)
        .where(Household.compound_id == compound_id, Household.building != "", Holder.active)
        .distinct()
    )
    return sorted(session.scalars(query), key=lambda b: (len(b), b))


def selected_holders(session: Session, holder_ids: Iterable[int]) -> list[Holder]:
    found = []
    for holder_id in holder_ids:
        holder = session.get(Holder, holder_id)
        if holder is None:
            raise NotFound(f"no resident {holder_id}")
        found.append(holder)
    return found


def sheet_filename(cards: Sequence[SheetCard], scope: str = "") -> str:
    """Named by flat and name: "3-2-501 张伟.pdf", "3-2-501.pdf", or the scope given."""
    if len(cards) == 1:
        stem = f"{cards[0].flat} {cards[0].name}"
    elif cards and len({c.flat for c in cards}) == 1:
        stem = cards[0].flat
    else:
        stem = scope or f"passes {len(cards)}"
    return "".join(c for c in stem if c not in '/\\:*?"<>|\0').strip() + ".pdf"


# --- drawing --------------------------------------------------------------------------------------


def sheet_pdf(cards: Sequence[SheetCard], left_out: Sequence[LeftOut] = ()) -> bytes:
    """A4 pages with up to six cards each, cut marks at every card corner; below the last
    card, the chosen residents who got none and why."""
    if not cards:
        raise NotFound("nobody to print: no resident with a current pass was chosen")
    font = find_cjk_font()
    if font is None:
        raise FontMissing("no CJK font to print Chinese passes; install fonts-wqy-microhei")
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("cjk", fname=str(font))
    pdf.set_title("通行证 passes")
    for index, card in enumerate(cards):
        if index % PER_PAGE == 0:
            pdf.add_page()
        row, column = divmod(index % PER_PAGE, COLUMNS)
        x = LEFT + column * (CARD_W + GUTTER_X)
        y = TOP + row * (CARD_H + GUTTER_Y)
        _card(pdf, card, x, y)
        _cut_marks(pdf, x, y)
    if left_out:
        rows_used = (len(cards) - 1) % PER_PAGE // COLUMNS + 1
        _left_out(pdf, left_out, TOP + rows_used * (CARD_H + GUTTER_Y))
    return bytes(pdf.output())


LEFT = (A4[0] - COLUMNS * CARD_W - (COLUMNS - 1) * GUTTER_X) / 2
TOP = (A4[1] - ROWS * CARD_H - (ROWS - 1) * GUTTER_Y) / 2
LEFT_OUT_WORDS = {
    "inactive": "已注销（迁出），如已迁回请先在其页面恢复",
    "revoked": "通行证已吊销，如需新证请在其页面“签发新通行证”",
}


def _left_out(pdf: FPDF, people: Sequence[LeftOut], y: float) -> None:
    """The list of who was not printed, on this page's free rows or on pages of its own."""
    line = 6.0
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=11)
    lines = [f"未打印 {len(people)} 人："] + [
        f"{p.flat} {p.name}：{LEFT_OUT_WORDS[p.reason]}" for p in people
    ]
    for text in lines:
        if y + line > A4[1] - TOP:
            pdf.add_page()
            y = TOP
        textfit.draw(pdf, text, LEFT, y, (A4[0] - 2 * LEFT, line), (11, 6))
        y += line


NAME_BOX = (42.0, 9.0)  # mm, left of the QR code and above the flat


def _card(pdf: FPDF, card: SheetCard, x: float, y: float) -> None:
    fill, ink = BAND[card.colour]
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, CARD_W, CARD_H)
    pdf.set_fill_color(*fill)
    pdf.rect(x, y, CARD_W, 10, style="DF")
    pdf.set_text_color(*ink)
    pdf.set_font("cjk", size=11)
    textfit.draw(pdf, card.compound_name, x + 3, y + 1.5, (CARD_W - 38, 7), (11, 6))
    pdf.set_font("cjk", size=11)
    pdf.set_xy(x + CARD_W - 34, y + 1.5)
    pdf.cell(31, 7, BAND_WORDS[card.colour], align="R")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=18)
    textfit.draw(pdf, card.name, x + 3, y + 12, NAME_BOX, (18, 6))
    textfit.draw(pdf, card.flat, x + 3, y + 21, (NAME_BOX[0], 7), (13, 6))
    _photo(pdf, card.photo, x + 3, y + 30)
    pdf.image(_qr_png(card.qr_text), x=x + CARD_W - 44, y=y + 12, w=41, h=41)
    pdf.set_font("cjk", size=9)
    pdf.set_xy(x + 3, y + CARD_H - 15)
    pdf.cell(CARD_W - 6, 5, f"有效期 {card.valid_from} 至 {card.valid_until}")
    pdf.set_xy(x + 3, y + CARD_H - 9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(CARD_W - 6, 5, f"通行证 {card.pass_id} · 凭此证与本人照片进出")
    pdf.set_text_color(0, 0, 0)


def _photo(pdf: FPDF, photo: bytes | None, x: float, y: float) -> None:
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(x, y, 30, 40)
    if photo is None:
        pdf.set_font("cjk", size=8)
        pdf.set_xy(x, y + 17)
        pdf.cell(30, 5, "无照片", align="C")
        return
    pdf.image(io.BytesIO(photo), x=x, y=y, w=30, h=40, keep_aspect_ratio=True)


def _qr_png(text: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="png", scale=8, border=2)
    out.seek(0)
    return out


def _cut_marks(pdf: FPDF, x: float, y: float) -> None:
    """Short lines in the margin that continue each card edge, as print shops mark them."""
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.15)
    for cx, sx in ((x, -1), (x + CARD_W, 1)):
        for cy, sy in ((y, -1), (y + CARD_H, 1)):
            pdf.line(cx + sx * 1, cy, cx + sx * (1 + MARK), cy)
            pdf.line(cx, cy + sy * 1, cx, cy + sy * (1 + MARK))
