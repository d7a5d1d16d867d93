"""The account life cycle: admins disable, enable and reset staff accounts and change a clerk's
compounds; clerks deactivate a resident (and undo it); a quarantined household invites nobody."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.model import RiskColour
from server import office
from server.models import Holder, Kiosk, Pass
from server.sync_service import delta
from server.web.tables import Invitation, User, WebSession
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)
from tests.webtools import CSRF, PASSWORD, World, make_world


@pytest.fixture
def world(database_url: str) -> World:  # noqa: F811  (SQLite and PostgreSQL)
    return make_world(database_url)


def _user_id(world: World, username: str) -> int:
    with world.office.session() as s:
        return s.scalars(select(User.id).where(User.username == username)).one()


def _login(world: World, username: str, password: str) -> int:
    form = {"csrf": CSRF, "username": username, "password": password}
    return world.client().post("/office/login", data=form).status_code


def _admin_posts(world: World, path: str, form: dict[str, str] | None = None) -> Any:
    return world.client("admin").post("/office" + path, data={"csrf": CSRF, **(form or {})})


def test_a_disabled_clerk_is_logged_out_at_once_and_can_be_enabled_again(world: World) -> None:
    clerk = world.client("clerk1")
    assert clerk.get("/office/c/c1/board").status_code == 200
    uid = _user_id(world, "clerk1")
    assert _admin_posts(world, f"/admin/users/{uid}/disable").status_code == 303
    assert clerk.get("/office/c/c1/board").headers["location"].startswith("/office/login")
    with world.office.session() as s:
        assert s.scalars(select(WebSession).where(WebSession.user_id == uid)).all() == []
    assert _login(world, "clerk1", PASSWORD) == 401
    assert _admin_posts(world, f"/admin/users/{uid}/disable").status_code == 409
    assert _admin_posts(world, f"/admin/users/{uid}/enable").status_code == 303
    assert _login(world, "clerk1", PASSWORD) == 303


def test_an_admin_cannot_disable_their_own_account(world: World) -> None:
    answer = _admin_posts(world, f"/admin/users/{_user_id(world, 'admin')}/disable")
    assert answer.status_code == 409 and "不能停用自己" in answer.text


def test_a_reset_password_must_be_changed_before_anything_else(world: World) -> None:
    old = world.client("clerk1")
    answer = _admin_posts(world, f"/admin/users/{_user_id(world, 'clerk1')}/reset")
    found = re.search(r'id="temporary-password">([^<]+)<', answer.text)
    assert answer.status_code == 200 and found
    temporary = found.group(1)
    assert old.get("/office/c/c1/board").status_code == 303  # the old session ended
    assert _login(world, "clerk1", PASSWORD) == 401
    clerk = world.client()
    form = {"csrf": CSRF, "username": "clerk1", "password": temporary}
    assert clerk.post("/office/login", data=form).status_code == 303
    assert clerk.get("/office/c/c1/board").headers["location"] == "/office/account/password"
    reg = world.ids["c1"].registration
    assert clerk.post(f"/office/reg/{reg}/approve", data={"csrf": CSRF}).status_code == 403
    change = {"csrf": CSRF, "current": temporary, "password": "12345678", "repeat": "12345678"}
    weak = clerk.post("/office/account/password", data=change)
    assert weak.status_code == 422 and "最常被猜到" in weak.text
    good = {**change, "password": "river stone lamp", "repeat": "river stone lamp"}
    assert clerk.post("/office/account/password", data=good).status_code == 303
    assert clerk.get("/office/c/c1/board").status_code == 200


def test_a_clerks_compounds_change_at_once(world: World) -> None:
    clerk = world.client("clerk1")
    uid = _user_id(world, "clerk1")
    moved = _admin_posts(world, f"/admin/users/{uid}/compounds", {"compound": "c2"})
    assert moved.status_code == 303
    assert clerk.get("/office/c/c1/board").status_code == 403
    assert clerk.get("/office/c/c2/board").status_code == 200
    none = _admin_posts(world, f"/admin/users/{uid}/compounds")
    assert none.status_code == 422 and 'class="error"' in none.text


def _invite(world: World, resident: str) -> Any:
    form = {"csrf": CSRF, "name": "刘洋", "phone": "", "day": "2026-02-11", "entries": "1"}
    return world.client(resident).post("/office/me/invite", data=form)


def _visitor_passes(world: World) -> list[Pass]:
    with world.office.session() as s:
        return list(s.scalars(select(Pass).join(Invitation, Invitation.pass_id == Pass.pass_id)))


def test_deactivating_a_resident_asks_why_and_revokes_everything_they_hold(world: World) -> None:
    ids = world.ids["c1"]
    resident = world.client(ids.resident_user)
    assert _invite(world, ids.resident_user).status_code == 303
    [visitor] = _visitor_passes(world)
    clerk = world.client("clerk1")
    path = f"/office/p/{ids.holder}/deactivate"
    unasked = clerk.post(path, data={"csrf": CSRF})
    assert unasked.status_code == 422
    assert unasked.text.count('class="error"') == 2  # beside the reason and the confirmation
    form = {"csrf": CSRF, "reason": "搬走了", "confirm": "yes"}
    assert clerk.post(path, data=form).status_code == 303
    assert resident.get("/office/me").headers["location"].startswith("/office/login")
    assert _login(world, ids.resident_user, PASSWORD) == 401
    with world.office.session() as s:
        kiosk = Kiosk(
            device_id="k1", compound_id="c1", token_hash="x" * 64, enrolled_at=world.clock()
        )
        s.add(kiosk)
        s.flush()
        revoked = delta(s, kiosk, 0, world.clock()).revoked
        holder = s.get(Holder, ids.holder)
        assert holder is not None and holder.inactive_reason == "搬走了"
    assert revoked == {ids.pass_id: True, visitor.pass_id: True}  # the kiosks' next download


def test_a_deactivation_can_be_undone(world: World) -> None:
    ids = world.ids["c1"]
    _invite(world, ids.resident_user)
    clerk = world.client("clerk1")
    form = {"csrf": CSRF, "reason": "登记错了人", "confirm": "yes"}
    clerk.post(f"/office/p/{ids.holder}/deactivate", data=form)
    assert clerk.post(f"/office/p/{ids.holder}/reactivate", data={"csrf": CSRF}).status_code == 303
    assert _login(world, ids.resident_user, PASSWORD) == 303
    with world.office.session() as s:
        own = s.get(Pass, ids.pass_id)
        assert own is not None and not own.revoked
    assert all(p.revoked for p in _visitor_passes(world))  # a visit is invited again
    again = clerk.post(f"/office/p/{ids.holder}/reactivate", data={"csrf": CSRF})
    assert again.status_code == 409


def test_a_quarantined_household_cannot_invite_and_is_told_why(world: World) -> None:
    ids = world.ids["c1"]
    with world.office.session() as s:
        until = world.clock() + timedelta(days=14)
        office.set_colour(s, ids.household, RiskColour.RED, until)
    page = world.client(ids.resident_user).get("/office/me/invite")
    assert page.status_code == 200 and "隔离" in page.text and 'name="entries"' not in page.text
    refused = _invite(world, ids.resident_user)
    assert refused.status_code == 403 and "隔离" in refused.text
    assert _visitor_passes(world) == []
