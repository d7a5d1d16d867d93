"""Helpers for the office web app's tests: a small world of two compounds and logged-in clients.

c1 and c2 each have a flat with a resident (with a pass and a photo), a pending registration
and a resident account; users: admin, clerk1 (c1), clerk2 (c2), super1 (c1 gate supervisor).
Sessions are made in the database (no argon2 per request), so a table of hundreds of requests
stays quick.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from PIL import Image

from server import office
from server.app import create_app
from server.importer import Flat, household_id
from server.local import Office
from server.models import Pass
from server.web import auth, csrf
from server.web.access import SESSION_COOKIE
from server.web.auth import UserRole
from server.web.csrf import COOKIE as CSRF_COOKIE
from server.web.registrations import Applicant, approve, submit
from server.web.tables import User

PASSWORD = "correct horse"
CSRF = "t" * 43  # the pre-session cookie; as a form's "csrf" value: this browser's own token


class Clock:
    """The injected clock (UTC) the app and the tests share."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def jpeg(
    size: tuple[int, int] = (600, 800), colour: tuple[int, int, int] = (180, 120, 90)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


@dataclass
class CompoundIds:
    compound: str
    household: str
    holder: int
    pass_id: str
    registration: int
    resident_user: str


@dataclass
class World:
    office: Office
    clock: Clock
    app: Any
    ids: dict[str, CompoundIds] = field(default_factory=dict)

    def client(self, username: str | None = None) -> TestClient:
        """A browser: logged in as ``username`` (None: anonymous), with a CSRF cookie."""
        client = Browser(self.app, follow_redirects=False)
        client.cookies.set(CSRF_COOKIE, CSRF)
        if username is not None:
            with self.office.session() as s:
                user = s.query(User).filter_by(username=username).one()
                token = auth.start_session(s, user, self.clock()).token
            client.cookies.set(SESSION_COOKIE, token)
        return client


class Browser(TestClient):
    """A test client whose forms sent with ``"csrf": CSRF`` carry the token its pages would
    (signed with its session cookie, else its pre-session cookie), as a real page's forms do."""

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
        form = kwargs.get("data")
        if isinstance(form, dict) and form.get(csrf.FIELD) == CSRF:
            kwargs["data"] = {**form, csrf.FIELD: csrf.sign(csrf.secret_of(self.cookies))}
        return super().request(method, url, *args, **kwargs)


def flat(
    session: Any, compound_id: str, building: str, unit: str, room: str, colour: str = "white"
) -> Any:
    from kiosk.model import RiskColour

    row = office.add_household(
        session,
        household_id(compound_id, Flat(building, unit, room)),
        compound_id,
        RiskColour(colour),
    )
    row.building, row.unit, row.room = building, unit, room
    return row


def cheap_hashing() -> None:
    """argon2 with its smallest cost: the same code path, milliseconds instead of a second."""
    auth.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def make_world(folder: Path | str, now: datetime | None = None) -> World:
    """The two-compound world in ``folder`` (SQLite) or at a database URL."""
    cheap_hashing()
    clock = Clock(now or datetime(2026, 2, 10, 2, 0, tzinfo=UTC))
    o = Office.open(folder)
    world = World(o, clock, create_app(o.sessions, clock=clock))
    with o.session() as s:
        auth.add_user(s, "admin", PASSWORD, UserRole.ADMIN, now=clock())
        for n, cid in ((1, "c1"), (2, "c2")):
            office.add_compound(s, cid, f"小区{n}")
            home = flat(s, cid, "1", "1", "101")
            flat(s, cid, "1", "1", "102")
            auth.add_user(s, f"clerk{n}", PASSWORD, UserRole.CLERK, now=clock(), compounds=(cid,))
            auth.add_user(
                s, f"super{n}", PASSWORD, UserRole.SUPERVISOR, now=clock(), compounds=(cid,)
            )
            resident = submit(
                s,
                cid,
                Applicant("1", "1", "101", f"居民{n}", f"1380000000{n}", PASSWORD, jpeg()),
                clock(),
            )
            holder = approve(s, resident, "admin", clock())
            pass_id = s.query(Pass).filter_by(holder_id=holder.id).one().pass_id
            pending = submit(
                s,
                cid,
                Applicant("1", "1", "102", f"新人{n}", f"1390000000{n}", PASSWORD, jpeg()),
                clock(),
            )
            world.ids[cid] = CompoundIds(
                cid, home.id, holder.id, pass_id, pending.id, f"1380000000{n}"
            )
    return world


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def confirm_fields(html: str) -> dict[str, str]:
    """The hidden fields of a file check's confirm form (the file, its name, the sheet, what
    the check showed), as the browser sends them back; with this browser's CSRF token."""
    form = html.split('type="submit" class="primary"', 1)[0].rsplit("<form", 1)[1]
    found = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)
    return {**{name: unescape(value) for name, value in found}, "csrf": CSRF}
