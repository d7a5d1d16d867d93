"""Accounts, logins and sessions of the office web app."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from server.cli import main as server_cli
from server.web import auth, passwords
from server.web.auth import FREE_FAILURES
from server.web.csrf import COOKIE as CSRF_COOKIE
from server.web.tables import AuditEntry, User
from tests.webtools import CSRF, PASSWORD, Browser, World, jpeg, make_world


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


def _login_from(world: World, address: str, username: str, password: str) -> int:
    client = Browser(world.app, follow_redirects=False, client=(address, 40000))
    client.cookies.set(CSRF_COOKIE, CSRF)
    form = {"csrf": CSRF, "username": username, "password": password}
    return client.post("/office/login", data=form).status_code


def test_failed_logins_make_the_next_try_wait_longer_and_longer(world: World) -> None:
    for _ in range(FREE_FAILURES):
        assert _login(world, "clerk1", "guess") == 401
    assert _login(world, "clerk1", PASSWORD) == 429  # even the right password waits 1 s
    world.clock.moment += timedelta(seconds=1)
    assert _login(world, "clerk1", "guess") == 401
    world.clock.moment += timedelta(seconds=1)
    assert _login(world, "clerk1", PASSWORD) == 429  # now 2 s
    world.clock.moment += timedelta(seconds=1)
    assert _login(world, "clerk1", PASSWORD) == 303


def test_guessing_from_elsewhere_never_locks_the_owner_out(world: World) -> None:
    """Anyone could lock any clerk out for 15 minutes with five wrong passwords."""
    for n in range(40):
        _login_from(world, f"203.0.113.{n % 4}", "clerk1", "guess")
    assert _login_from(world, "198.51.100.7", "clerk1", PASSWORD) == 303


def test_rate_limit_is_per_user_name(world: World) -> None:
    for _ in range(FREE_FAILURES + 2):
        _login(world, "clerk1", "guess")
    assert _login(world, "clerk2", PASSWORD) == 303


def test_an_unknown_or_disabled_user_costs_the_same_argon2_work(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One verify per log-in whoever asks, so the answer's time does not tell who has an
    account (an unknown user answered in 6 ms, a real one in 400 ms)."""
    checked: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(auth, "HASHER", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    with world.office.session() as s:
        s.scalars(select(User).where(User.username == "super2")).one().active = False
    for name in ("clerk1", "nobody", "super2"):
        checked.clear()
        assert _login(world, name, "wrong password") == 401
        assert checked == ["wrong password"], name


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("12345678", "pw.common"),
        ("woaini1314", "pw.common"),
        ("abcdefgh", "pw.common"),
        ("13800138000", "pw.phone"),
        ("+86 138-0013-8000", "pw.phone"),
        ("xiaoming2026", "pw.username"),
        ("short", "reg.err.password"),
    ],
)
def test_the_password_policy_refuses_the_first_guesses(password: str, why: str) -> None:
    assert passwords.problem(password, "xiaoming") == why
    assert passwords.problem("river stone lamp", "xiaoming") == ""


def test_an_admin_cannot_give_a_clerk_a_common_password(world: World) -> None:
    form = {"csrf": CSRF, "username": "zhao", "password": "12345678", "role": "clerk"}
    answer = world.client("admin").post("/office/admin/users", data={**form, "compound": "c1"})
    assert answer.status_code == 422 and "最常被猜到" in answer.text


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


def test_sign_up_refuses_a_common_password_beside_the_field(world: World) -> None:
    form = {"csrf": CSRF, "building": "1", "unit": "1", "room": "102", "name": "王芳"}
    form |= {"phone": "13712345678", "password": "88888888"}
    files = {"photo": ("p.jpg", jpeg(), "image/jpeg")}
    answer = world.client().post("/office/r/c1", data=form, files=files)
    assert answer.status_code == 422 and "最常被猜到" in answer.text


def test_reset_password_from_the_command_line(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    url = str(world.office.sessions.kw["bind"].url)
    assert server_cli(["--db", url, "reset-password", "admin"]) == 0
    temporary = capsys.readouterr().out.strip()
    assert _login(world, "admin", PASSWORD) == 401 and _login(world, "admin", temporary) == 303
    assert server_cli(["--db", url, "reset-password", "nobody"]) == 2
