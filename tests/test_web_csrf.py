"""CSRF tokens are signed with the browser's session: every form refuses a missing, empty,
malformed or planted token with 403, log-in and sign-up included."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.web import csrf
from tests.test_web_access import _fill, _routes, path_values
from tests.webtools import CSRF, PASSWORD, World, csrf_of, make_world

BAD_TOKENS = {
    "missing": None,
    "empty": "",
    "non-ASCII": "é中" * 20,
    "the cookie's own value": CSRF,  # the old double-submit check accepted this pair
}


@pytest.fixture
def world(tmp_path) -> World:
    return make_world(tmp_path)


def _post_paths(world: World) -> list[str]:
    values = path_values(world)
    return ["/office" + _fill(t, values) for method, t in _routes(world.app) if method == "POST"]


def _plain(world: World) -> TestClient:
    """A browser sending exactly the form it is given (no token filled in)."""
    return TestClient(world.app, follow_redirects=False)


@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_every_form_refuses_a_bad_token(world: World, kind: str) -> None:
    sent = BAD_TOKENS[kind]
    for who in (None, "admin"):
        client = world.client(who)
        plain = _plain(world)
        plain.cookies = client.cookies
        form = {"username": "admin", "password": PASSWORD}
        if sent is not None:
            form["csrf"] = sent
        refused = [p for p in _post_paths(world) if plain.post(p, data=form).status_code != 403]
        assert refused == [], f"{kind} token accepted as {who or 'anonymous'}"


def test_login_and_sign_up_without_the_cookie_refuse_an_empty_token(world: World) -> None:
    """A cross-site form never carries the SameSite=Strict cookie: '' must not match ''."""
    client = _plain(world)
    form = {"csrf": "", "username": "admin", "password": PASSWORD}
    assert client.post("/office/login", data=form).status_code == 403
    assert client.post("/office/r/c1", data={"csrf": ""}).status_code == 403


def test_a_planted_cookie_and_field_pair_is_refused(world: World) -> None:
    """An attacker who sets the pre-session cookie still cannot make the token for it."""
    client = _plain(world)
    planted = "a" * 43
    client.cookies.set(csrf.COOKIE, planted)
    form = {"csrf": planted, "username": "admin", "password": PASSWORD}
    assert client.post("/office/login", data=form).status_code == 403


def test_the_token_of_the_page_is_accepted(world: World) -> None:
    client = _plain(world)
    token = csrf_of(client.get("/office/login").text)
    form = {"csrf": token, "username": "admin", "password": PASSWORD}
    assert client.post("/office/login", data=form).status_code == 303


def test_a_token_from_another_session_is_refused(world: World) -> None:
    mine, theirs = world.client("clerk1"), world.client("clerk1")
    token = csrf_of(theirs.get("/office/c/c1/approvals").text)
    assert token != csrf_of(mine.get("/office/c/c1/approvals").text)
    plain = _plain(world)
    plain.cookies = mine.cookies
    reg = world.ids["c1"].registration
    answer = plain.post(f"/office/reg/{reg}/approve", data={"csrf": token})
    assert answer.status_code == 403
