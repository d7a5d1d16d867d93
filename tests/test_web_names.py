"""A person's name is printed on passes and sheets and shown to the guard: it may not carry
control characters (a line break, a bell, a right-to-left override that reverses what follows)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.models import Holder
from tests.webtools import CSRF, World, jpeg, make_world

HIDDEN = ["张\x01三", "张\n三", "\u202e三张", "张\u2066三"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(Path(tmp_path_factory.mktemp("office")))


def names(world: World) -> set[str]:
    with world.office.session() as s:
        return {h.name for h in s.query(Holder)}


@pytest.mark.parametrize("name", HIDDEN)
def test_a_clerk_cannot_add_a_resident_named_with_control_characters(
    world: World, name: str
) -> None:
    form = {"csrf": CSRF, "name": name, "phone": ""}
    answer = world.client("clerk1").post("/office/h/c1-1-1-101/residents", data=form)
    assert answer.status_code == 422 and "控制字符" in answer.text
    assert name not in names(world)


@pytest.mark.parametrize("name", HIDDEN)
def test_a_clerk_cannot_rename_a_resident_so(world: World, name: str) -> None:
    holder = world.ids["c1"].holder
    form = {"csrf": CSRF, "name": name, "phone": ""}
    answer = world.client("clerk1").post(f"/office/p/{holder}/edit", data=form)
    assert answer.status_code == 422 and name not in names(world)


@pytest.mark.parametrize("name", HIDDEN)
def test_a_sign_up_with_such_a_name_is_refused_beside_the_field(world: World, name: str) -> None:
    form = {"csrf": CSRF, "building": "1", "unit": "1", "room": "102", "name": name}
    form |= {"phone": "13712345678", "password": "a long password"}
    files = {"photo": ("me.jpg", jpeg(), "image/jpeg")}
    answer = world.client().post("/office/r/c1", data=form, files=files)
    assert answer.status_code == 422 and "控制字符" in answer.text


def test_ordinary_names_still_pass(world: World) -> None:
    for name in ("欧阳 娜娜", "Liu Yang", "José"):
        form = {"csrf": CSRF, "name": name, "phone": ""}
        answer = world.client("clerk1").post("/office/h/c1-1-1-101/residents", data=form)
        assert answer.status_code == 303, name


def test_a_form_refused_on_a_page_of_its_own_names_the_field(world: World) -> None:
    """It said only '必填' (required), not which field."""
    form = {"csrf": CSRF, "name": "", "phone": "123"}
    answer = world.client("clerk1").post("/office/h/c1-1-1-101/residents", data=form)
    assert answer.status_code == 422
    assert "姓名：必填" in answer.text and "手机号：请填写正确的手机号码" in answer.text
