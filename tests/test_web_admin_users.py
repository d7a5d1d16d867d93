"""An admin adding an office account: each refusal beside its own field, in the page's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.web.tables import User
from tests.webtools import CSRF, World, make_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(Path(tmp_path_factory.mktemp("office")))


def field_error(html: str, name: str) -> str:
    """The words beside one field ('' when none)."""
    block = html.split(f'<label for="f-{name}">', 1)[1].split("</div>", 1)[0]
    return block.split('role="alert">', 1)[1].split("<", 1)[0] if 'role="alert"' in block else ""


def add(world: World, **form: str) -> tuple[int, str]:
    base = {"csrf": CSRF, "username": "li", "password": "long enough", "role": "clerk"}
    answer = world.client("admin").post("/office/admin/users", data={**base, **form})
    return answer.status_code, answer.text


def usernames(world: World) -> set[str]:
    with world.office.session() as s:
        return {u.username for u in s.query(User)}


def test_a_clerk_without_a_compound_is_refused_beside_the_compound(world: World) -> None:
    """It said 'a clerk needs --compound (one or more)' beside the user name: the CLI's words."""
    status, html = add(world, compound="")
    assert status == 422
    assert field_error(html, "compound") == "请选择负责的小区"
    assert field_error(html, "username") == "" and "--compound" not in html


def test_a_short_password_is_refused_beside_the_password(world: World) -> None:
    status, html = add(world, compound="c1", password="short")
    assert status == 422 and field_error(html, "password") == "密码至少 8 位"
    assert field_error(html, "username") == ""


@pytest.mark.parametrize("username", ["a\x01b", "li si", "li\u202e"])
def test_a_user_name_has_no_spaces_or_control_characters(world: World, username: str) -> None:
    status, html = add(world, compound="c1", username=username)
    assert status == 422 and "空格" in field_error(html, "username")
    assert username not in usernames(world)


def test_a_good_clerk_is_added(world: World) -> None:
    assert add(world, compound="c1", username="wang")[0] == 303
    assert "wang" in usernames(world)
