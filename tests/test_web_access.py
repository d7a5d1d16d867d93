"""Every route of the office web app × every role × own / other compound: nothing leaks.

The table below says who may use each route, independently of the ``require(...)`` each route
declares; the walk logs in as each role and calls each route on compound c1's objects. A route
missing from the table fails the test, so a new page cannot skip this check. Other areas add
their rows in ``tests/webroutes_*.py`` (a ``ROUTES`` dict, optional ``params(world)``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute

from server.web.access import Viewer
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)
from tests.webtools import CSRF, PASSWORD, World, make_world

# Audiences: who may use a route (c1's objects are used; "own" means c1).
PUBLIC = "public"  # anyone, logged in or not
LOGGED_IN = "logged_in"  # any account
ADMIN = "admin"
CLERK = "clerk"  # admin, clerks of the compound
GATE = "gate"  # admin, clerks and gate supervisors of the compound
RESIDENT = "resident"  # residents (their own household, never named in the path)

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): LOGGED_IN,
    ("GET", "/lang/{lang}"): PUBLIC,
    ("GET", "/"): LOGGED_IN,
    ("GET", "/r/{compound_id}"): PUBLIC,
    ("POST", "/r/{compound_id}"): PUBLIC,
    ("GET", "/manifest.webmanifest"): PUBLIC,
    ("GET", "/sw.js"): PUBLIC,
    ("GET", "/v/{token}"): PUBLIC,
    ("GET", "/me"): RESIDENT,
    ("GET", "/me/invite"): RESIDENT,
    ("POST", "/me/invite"): RESIDENT,
    ("GET", "/me/passages"): RESIDENT,
    ("GET", "/compounds"): ADMIN,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("GET", "/c/{compound_id}/settings"): ADMIN,
    ("GET", "/admin/audit"): ADMIN,
    ("POST", "/c/{compound_id}/settings"): ADMIN,
    ("GET", "/c/{compound_id}/"): CLERK,
    ("GET", "/c/{compound_id}/flats"): CLERK,
    ("POST", "/c/{compound_id}/flats"): CLERK,
    ("GET", "/c/{compound_id}/search"): CLERK,
    ("GET", "/c/{compound_id}/board"): CLERK,
    ("GET", "/c/{compound_id}/approvals"): CLERK,
    ("GET", "/reg/{registration_id}/photo.jpg"): CLERK,
    ("POST", "/reg/{registration_id}/approve"): CLERK,
    ("POST", "/reg/{registration_id}/reject"): CLERK,
    ("GET", "/h/{household_id}"): CLERK,
    ("GET", "/h/{household_id}/colour"): CLERK,
    ("POST", "/h/{household_id}/colour"): CLERK,
    ("GET", "/p/{holder_id}"): CLERK,
    ("GET", "/p/{holder_id}/photo.jpg"): CLERK,
    ("POST", "/p/{holder_id}/edit"): CLERK,
    ("POST", "/p/{holder_id}/deactivate"): CLERK,
    ("POST", "/p/{holder_id}/issue"): CLERK,
    ("POST", "/pass/{pass_id}/revoke"): CLERK,
    ("POST", "/h/{household_id}/residents"): CLERK,
    ("POST", "/p/{holder_id}/photo"): CLERK,
    ("GET", "/qr/{pass_id}"): CLERK,
}
# Forms a route needs to do its job (others get only the CSRF token).
FORMS = {("POST", "/login"): {"username": "admin", "password": PASSWORD}}
# (user name or None, role, works for c1?)
PEOPLE = [
    (None, "anonymous", False),
    ("admin", "admin", True),
    ("clerk1", "clerk", True),
    ("clerk2", "clerk", False),
    ("super1", "supervisor", True),
    ("super2", "supervisor", False),
    ("13800000001", "resident", True),
    ("13800000002", "resident", False),
]


def may(audience: str, role: str, own: bool) -> bool:
    return {
        PUBLIC: True,
        LOGGED_IN: role != "anonymous",
        ADMIN: role == "admin",
        CLERK: role == "admin" or (role == "clerk" and own),
        GATE: role == "admin" or (role in ("clerk", "supervisor") and own),
        RESIDENT: role == "resident",
    }[audience]


def _other_tables() -> tuple[dict[tuple[str, str], str], list[Callable[[World], dict[str, str]]]]:
    routes, params = {}, []
    for path in sorted(Path(__file__).parent.glob("webroutes_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        routes.update(module.ROUTES)
        if hasattr(module, "params"):
            params.append(module.params)
    return routes, params


def _routes(app: Any) -> list[tuple[str, str]]:
    web = next(r.app for r in app.routes if getattr(r, "path", "") == "/office")
    found = [
        (method, route.path)
        for route in _flatten(web.routes)
        for method in sorted(route.methods - {"HEAD"})
    ]
    assert len(found) >= len(ROUTES), "the walk found fewer routes than the table lists"
    return found


def _flatten(routes: list[Any]) -> list[APIRoute]:
    """API routes, also inside included routers (FastAPI wraps each include)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found.extend(_flatten(route.original_router.routes))
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no test value for a parameter of {path}"
    return path


def path_values(world: World) -> dict[str, str]:
    """A value for every path parameter: compound c1's objects."""
    ids = world.ids["c1"]
    values = {
        "compound_id": ids.compound,
        "household_id": ids.household,
        "holder_id": str(ids.holder),
        "pass_id": ids.pass_id,
        "registration_id": str(ids.registration),
        "token": "no-such-invitation",
        "lang": "en",
    }
    for extra in _other_tables()[1]:
        values.update(extra(world))
    return values


def walk(world: World) -> list[str]:
    """Every (route, person) whose answer contradicts the table; empty when nothing leaks."""
    extra_routes, _params = _other_tables()
    table = {**ROUTES, **extra_routes}
    routes = _routes(world.app)
    unlisted = [r for r in routes if r not in table]
    assert not unlisted, f"routes missing from the access table: {unlisted}"
    values = path_values(world)
    wrong = []
    for method, template in routes:
        path = "/office" + _fill(template, values)
        for username, role, own in PEOPLE:
            client = world.client(username)
            form = {"csrf": CSRF, **FORMS.get((method, template), {})}
            answer = client.request(method, path, data=form if method == "POST" else None)
            allowed = may(table[(method, template)], role, own)
            problem = _judge(answer, allowed, method, username)
            if problem:
                wrong.append(f"{method} {template} as {username or 'anonymous'}: {problem}")
    return wrong


def _judge(answer: Any, allowed: bool, method: str, username: str | None) -> str:
    status = answer.status_code
    to_login = (
        method == "GET" and status == 303 and "/office/login" in answer.headers.get("location", "")
    )
    if status >= 500:
        return f"server error {status}"
    if allowed:
        if status in (401, 403) or to_login:
            return f"refused ({status}) but the table allows it"
        return ""
    if username is None:
        expected = to_login if method == "GET" else status == 401
        return "" if expected else f"answered {status} to an anonymous request"
    return "" if status == 403 else f"answered {status}; must be 403"


@pytest.fixture
def world(database_url: str) -> World:  # noqa: F811  (SQLite and PostgreSQL)
    return make_world(database_url)


def test_no_route_lets_a_role_see_or_change_what_it_must_not(world: World) -> None:
    assert walk(world) == []


def test_the_walk_catches_a_leak(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop the compound check: the table walk must go red."""
    monkeypatch.setattr(Viewer, "may", lambda self, compound_id: True)
    leaks = walk(world)
    assert any("as clerk2" in line for line in leaks)
    assert any("/p/{holder_id}/photo.jpg as clerk2" in line for line in leaks)


def test_a_post_without_the_csrf_token_is_refused(world: World) -> None:
    client = world.client("clerk1")
    ids = world.ids["c1"]
    for path, form in (
        (
            f"/office/h/{ids.household}/colour",
            {"colour": "red", "reason": "x", "start": "2026-02-10"},
        ),
        (f"/office/reg/{ids.registration}/approve", {}),
    ):
        assert client.post(path, data=form).status_code == 403
        assert client.post(path, data={**form, "csrf": "forged" * 8}).status_code == 403


ODD_VALUES = [
    "0",
    "-1",
    "99999999999999999999999",
    "x" * 300,
    "'; DROP TABLE users; --",
    "%00",
    "é中",
]


def test_malformed_input_never_gives_a_server_error(world: World) -> None:
    """Odd ids in every path, odd values in every form field and query: 4xx, never 5xx."""
    fields = [
        "colour",
        "reason",
        "start",
        "days",
        "name",
        "phone",
        "day",
        "entries",
        "building",
        "unit",
        "room",
        "password",
        "username",
        "role",
        "compound",
        "timezone",
        "visitor_entries",
        "q",
        "page_no",
        "who",
        "next",
    ]
    client = world.client("admin")
    failures = []
    for method, template in _routes(world.app):
        for value in ODD_VALUES:
            odd = quote(value, safe="")
            path = "/office" + re.sub(r"\{[a-z_]+\}", lambda _, odd=odd: odd, template)
            form = {"csrf": CSRF, **dict.fromkeys(fields, value)}
            if method == "POST":
                answer = client.post(path, data=form)
            else:
                answer = client.get(path, params=dict.fromkeys(fields, value))
            if answer.status_code >= 500:
                failures.append(f"{method} {path[:80]}: {answer.status_code}")
    assert not failures
