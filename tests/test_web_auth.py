"""Accounts, logins and sessions of the office web app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from server.cli import main as server_cli
from server.web.auth import FAILURE_WINDOW, MAX_FAILURES_PER_USER
from server.web.tables import AuditEntry, User
from tests.webtools import CSRF, PASSWORD, Browser, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def _login(world: World, username: str, password: str) -> int:
    client = world.client()
    answer = client.post(
        "/office/login", data={"csrf": CSRF, "username": username, "password": password}
    )
    return answer.status_code


def test_passwords_are_stored_as_argon2_hashes(world: World) -> None:
    with world.office.session() as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "clerk1"))
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_sets_an_httponly_samesite_session_cookie(world: World) -> None:
    client = world.client()
    answer = client.post(
        "/office/login", data={"csrf": CSRF, "username": "clerk1", "password": PASSWORD}
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "office_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_login_page_sets_a_strict_httponly_csrf_cookie(world: World) -> None:
    from fastapi.testclient import TestClient

    answer = TestClient(world.app).get("/office/login")
    cookie = answer.headers["set-cookie"].lower()
    assert "office_csrf=" in cookie and "httponly" in cookie and "samesite=strict" in cookie


def test_wrong_password_is_refused(world: World) -> None:
    assert _login(world, "clerk1", "wrong password") == 401
    assert _login(world, "nobody", PASSWORD) == 401


def test_logins_are_rate_limited_then_allowed_again(world: World) -> None:
    for _ in range(MAX_FAILURES_PER_USER):
        assert _login(world, "clerk1", "guess") == 401
    assert _login(world, "clerk1", PASSWORD) == 429  # even the right password must wait
    world.clock.moment += FAILURE_WINDOW + timedelta(seconds=1)
    assert _login(world, "clerk1", PASSWORD) == 303


def test_rate_limit_is_per_user_name(world: World) -> None:
    for _ in range(MAX_FAILURES_PER_USER):
        _login(world, "clerk1", "guess")
    assert _login(world, "clerk2", PASSWORD) == 303


def test_deactivated_account_loses_its_session(world: World) -> None:
    client = world.client("clerk1")
    assert client.get("/office/c/c1/board").status_code == 200
    with world.office.session() as s:
        s.scalars(select(User).where(User.username == "clerk1")).one().active = False
    assert client.get("/office/c/c1/board").status_code == 303  # to the login page


def test_sessions_expire(world: World) -> None:
    client = world.client("clerk1")
    world.clock.moment += timedelta(hours=13)
    assert client.get("/office/c/c1/board").headers["location"].startswith("/office/login")


def test_logout_ends_the_session(world: World) -> None:
    client = world.client("clerk1")
    assert client.post("/office/logout", data={"csrf": CSRF}).status_code == 303
    assert client.get("/office/c/c1/board").status_code == 303


def test_login_never_redirects_to_another_site(world: World) -> None:
    client = world.client()
    answer = client.post(
        "/office/login",
        data={"csrf": CSRF, "username": "clerk1", "password": PASSWORD, "next": "//evil.example/"},
    )
    assert answer.headers["location"] == "/office/"


def test_first_admin_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "o")
    assert server_cli(["--db", db, "add-user", "boss", "--password", "long enough"]) == 0
    assert server_cli(["--db", db, "add-user", "boss", "--password", "long enough"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (
        server_cli(["--db", db, "add-user", "c", "--role", "clerk", "--password", "long enough"])
        == 2
    )
    assert "--compound" in capsys.readouterr().err
    assert server_cli(["--db", db, "add-user", "short", "--password", "short"]) == 2


def test_changes_are_audited(world: World) -> None:
    client = world.client("clerk1")
    household = world.ids["c1"].household
    answer = client.post(
        f"/office/h/{household}/colour",
        data={"csrf": CSRF, "colour": "red", "reason": "back from Wuhan", "start": "2026-02-10"},
    )
    assert answer.status_code == 303
    with world.office.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "colour")).one()
    assert entry.username == "clerk1" and entry.target == f"household {household}"
    assert entry.detail["before"] == "white" and entry.detail["after"] == "red"


def test_every_view_of_a_phone_or_photo_is_audited(world: World) -> None:
    client = world.client("clerk1")
    holder = world.ids["c1"].holder
    registration = world.ids["c1"].registration
    assert client.get(f"/office/p/{holder}").status_code == 200
    assert client.get(f"/office/p/{holder}/photo.jpg").status_code == 200
    assert client.get(f"/office/reg/{registration}/photo.jpg").status_code == 200
    with world.office.session() as s:
        seen = [(e.username, e.action, e.target) for e in s.scalars(select(AuditEntry))]
    assert ("clerk1", "view_phone", f"holder {holder}") in seen
    assert ("clerk1", "view_photo", f"holder {holder}") in seen
    assert ("clerk1", "view_photo", f"registration {registration}") in seen


def test_lists_show_masked_phones_only(world: World) -> None:
    client = world.client("clerk1")
    household = world.ids["c1"].household
    for path in (f"/office/h/{household}", "/office/c/c1/search?q=居民", "/office/c/c1/approvals"):
        html = client.get(path).text
        assert "13800000001" not in html and "13900000001" not in html, path
    assert "138****0001" in client.get(f"/office/h/{household}").text


def test_cookies_are_secure_over_https(world: World) -> None:
    client = Browser(world.app, base_url="https://office.example", follow_redirects=False)
    client.cookies.set("office_csrf", CSRF)
    login = client.get("/office/login")
    answer = client.post(
        "/office/login", data={"csrf": CSRF, "username": "clerk1", "password": PASSWORD}
    )
    assert "secure" in answer.headers["set-cookie"].lower()
    assert login.status_code == 200
