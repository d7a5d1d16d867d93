"""Demo data for the office web app: a compound of three buildings in all five colours, a few
residents with photos, registrations waiting (one a likely duplicate) and two logins.

``kiosk demo`` and ``kiosk sim`` call ``seed`` on their local office; the numbers are fixed so
the README's screenshots and the printed logins stay the same from run to run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import office
from server.importer import Flat, household_id
from server.models import Compound, Household
from server.web import timefmt
from server.web.auth import UserRole, add_user
from server.web.board import change_colour
from server.web.registrations import Applicant, approve, submit
from server.web.tables import User

CLERK, ADMIN, PASSWORD = "clerk", "admin", "demo-pass-2020"
BUILDINGS, UNITS, FLOORS, PER_FLOOR = 3, 2, 4, 2
# (building, unit, room) -> colour, reason, days of quarantine already served
COLOURED = {
    ("1", "1", "301"): ("red", "武汉返回", 4),
    ("2", "2", "102"): ("red", "武汉返回", 11),
    ("1", "2", "201"): ("orange", "湖北其他地区返回", 2),
    ("3", "1", "402"): ("orange", "湖北其他地区返回", 9),
    ("2", "1", "202"): ("yellow", "外省返回，观察", 0),
    ("3", "2", "101"): ("yellow", "外省返回，观察", 0),
    ("1", "1", "402"): ("green", "空置房屋", 0),
    ("2", "2", "401"): ("green", "空置房屋", 0),
    ("3", "1", "201"): ("green", "空置房屋", 0),
}
RESIDENTS = [
    ("1", "1", "101", "王小华", "13800138001"),
    ("1", "1", "301", "李建国", "13800138002"),
    ("2", "1", "102", "张伟", "13800138003"),
    ("3", "2", "302", "赵敏", "13800138004"),
]
WAITING = [("2", "1", "201", "陈静", "13900139001"), ("1", "1", "101", "王小华", "13900139002")]


@dataclass(frozen=True, slots=True)
class DemoLogins:
    clerk: str
    admin: str
    password: str
    compound: str


def face(number: int) -> bytes:
    """A plain drawn portrait: enough for a clerk to see a photo is there."""
    tones = [(224, 190, 160), (205, 160, 125), (235, 200, 175), (190, 145, 110)]
    image = Image.new("RGB", (300, 400), (208, 222, 236))
    draw = ImageDraw.Draw(image)
    draw.ellipse((80, 70, 220, 230), fill=tones[number % len(tones)])
    draw.rounded_rectangle((50, 250, 250, 420), radius=60, fill=(60, 90, 140))
    draw.ellipse((120, 130, 135, 145), fill=(40, 40, 40))
    draw.ellipse((165, 130, 180, 145), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def flats() -> list[Flat]:
    return [
        Flat(str(b), str(u), f"{floor}{n:02d}")
        for b in range(1, BUILDINGS + 1)
        for u in range(1, UNITS + 1)
        for floor in range(1, FLOORS + 1)
        for n in range(1, PER_FLOOR + 1)
    ]


def seed(session: Session, compound_id: str, now: datetime) -> DemoLogins:
    """Fill ``compound_id`` (which must exist) with the demo's flats, people and logins, once."""
    compound = session.get(Compound, compound_id)
    assert compound is not None, "add the compound first"
    logins = DemoLogins(CLERK, ADMIN, PASSWORD, compound_id)
    if session.scalar(select(User.id).where(User.username == CLERK)) is not None:
        return logins  # an office kept from an earlier run: seeded already
    compound.name = "幸福里小区（演示）"
    zone = compound.timezone
    for flat in flats():
        row = office.add_household(session, household_id(compound_id, flat), compound_id)
        row.building, row.unit, row.room = flat.building, flat.unit, flat.room
    session.flush()
    today = timefmt.today(now, zone)
    for (b, u, r), (colour, reason, served) in COLOURED.items():
        row = _flat(session, compound_id, b, u, r)
        change_colour(session, row, colour, reason, today - timedelta(days=served), zone)
    for number, (b, u, r, name, phone) in enumerate(RESIDENTS):
        who = Applicant(b, u, r, name, phone, PASSWORD, face(number))
        approve(session, submit(session, compound_id, who, now), ADMIN, now)
    for number, (b, u, r, name, phone) in enumerate(WAITING):
        submit(
            session, compound_id, Applicant(b, u, r, name, phone, PASSWORD, face(number + 5)), now
        )
    if session.scalar(select(User.id).where(User.username == ADMIN)) is None:
        add_user(session, ADMIN, PASSWORD, UserRole.ADMIN, now=now, display_name="办公室管理员")
    add_user(
        session,
        CLERK,
        PASSWORD,
        UserRole.CLERK,
        now=now,
        compounds=(compound_id,),
        display_name="社区工作人员",
    )
    return logins


def _flat(session: Session, compound_id: str, building: str, unit: str, room: str) -> Household:
    row = session.get(Household, household_id(compound_id, Flat(building, unit, room)))
    assert row is not None
    return row
