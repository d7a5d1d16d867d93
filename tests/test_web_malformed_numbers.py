"""Numbers the office cannot use: digits that are not 0-9 (``str.isdigit()`` says yes to "²"
and "①", ``int()`` then fails) and ids larger than the database's integers.

Each of these was a 500 (a traceback in the office log) before; every one must be a 4xx.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from server.web.board import natural
from tests.webtools import CSRF, World, make_world

NOT_ASCII_DIGITS = ["²", "①", "²³"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(Path(tmp_path_factory.mktemp("office")))


@pytest.mark.parametrize("digits", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(
    "path", ["/office/p/{}", "/office/p/{}/photo.jpg", "/office/reg/{}/photo.jpg"]
)
def test_an_id_in_the_path_is_not_found(world: World, path: str, digits: str) -> None:
    answer = world.client("clerk1").get(path.format(digits))
    assert answer.status_code == 404


@pytest.mark.parametrize("digits", NOT_ASCII_DIGITS)
def test_an_id_in_a_post_path_is_not_found(world: World, digits: str) -> None:
    answer = world.client("clerk1").post(f"/office/p/{digits}/edit", data={"csrf": CSRF})
    assert answer.status_code in (403, 404)


@pytest.mark.parametrize("field", ["visitor_entries", "retention_days"])
def test_settings_refuse_them_beside_the_field(world: World, field: str) -> None:
    form = {"csrf": CSRF, "name": "小区1", "timezone": "Asia/Shanghai", "visitor_entries": "3"}
    answer = world.client("admin").post("/office/c/c1/settings", data={**form, field: "²"})
    assert answer.status_code == 422


def test_a_visitor_invitation_refuses_them(world: World) -> None:
    day = (world.clock() + timedelta(days=1)).date().isoformat()
    form = {"csrf": CSRF, "name": "刘洋", "phone": "", "day": day, "entries": "²"}
    answer = world.client("13800000001").post("/office/me/invite", data=form)
    assert answer.status_code == 422


def test_natural_order_takes_them_as_letters() -> None:
    assert natural("²") == ("²",) and natural("B2") == ("B", 2, "")


@pytest.mark.parametrize("holder", ["99999999999999999999999", "-1", "0"])
def test_a_sheet_of_a_holder_id_beyond_the_database_is_refused(world: World, holder: str) -> None:
    """SQLite took 10**22 as an OverflowError, a 500."""
    form = {"csrf": CSRF, "holder": holder}
    answer = world.client("clerk1").post("/office/c/c1/sheets", data=form)
    assert answer.status_code in (400, 404) and "holder" in answer.text
