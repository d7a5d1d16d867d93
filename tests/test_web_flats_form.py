"""A clerk adding a flat by hand: a flat id the app can link to, and a refusal beside the field
that keeps what was typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from httpx import Response

from server.models import Household
from tests.webtools import CSRF, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def add(world: World, building: str, unit: str = "1", room: str = "101") -> Response:
    form = {"csrf": CSRF, "building": building, "unit": unit, "room": room}
    return world.client("clerk1").post("/office/c/c1/flats", data=form)


def field_error(html: str, name: str) -> str:
    """The words shown beside one field of the form ('' when none)."""
    block = html.split(f'<label for="f-{name}">', 1)[1].split("</div>", 1)[0]
    return block.split('role="alert">', 1)[1].split("<", 1)[0] if 'role="alert"' in block else ""


@pytest.mark.parametrize("building", ["5/6", "5 6", "x" * 9, "5?", "五"])
def test_a_flat_part_is_letters_and_digits_as_in_an_import(world: World, building: str) -> None:
    """Once accepted: "5/6" made a flat whose own page and colour link were 404."""
    answer = add(world, building)
    assert answer.status_code == 422
    html = answer.text
    assert "1 到 8 位字母或数字" in field_error(html, "building")
    assert field_error(html, "room") == ""
    assert f'value="{building}"' in html  # kept for correcting
    with world.office.session() as s:
        assert s.query(Household).filter_by(compound_id="c1").count() == 2


def test_a_dash_is_named_as_the_problem_not_an_empty_field(world: World) -> None:
    answer = add(world, "5", unit="1-2")
    assert answer.status_code == 422
    words = field_error(answer.text, "unit")
    assert "1 到 8 位字母或数字" in words and "必填" not in words


def test_an_empty_part_is_required(world: World) -> None:
    answer = add(world, "  ")
    assert answer.status_code == 422
    assert field_error(answer.text, "building") == "必填"


def test_a_flat_listed_already_is_refused_beside_the_room(world: World) -> None:
    answer = add(world, "1", "1", "101")  # the world has 1-1-101
    assert answer.status_code == 409
    assert "已经登记" in field_error(answer.text, "room")


def test_a_good_flat_opens_on_its_page(world: World) -> None:
    answer = add(world, "B2", "1", "0501")
    assert answer.status_code == 303
    target = answer.headers["location"]
    assert target.endswith("#flat-c1-B2-1-0501")
    assert world.client("clerk1").get("/office/h/c1-B2-1-0501").status_code == 200
