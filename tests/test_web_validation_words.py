"""A malformed request is refused in the page's language: FastAPI's developer messages
("Input should be a valid integer ...") never reach a clerk's page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.webtools import CSRF, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def message(html: str) -> str:
    found = re.search(r'<p class="notice error">(.*?)</p>', html, re.S)
    assert found, "no refusal on the page"
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("form", "zh", "en"),
    [
        ({"holder": "abc"}, "“holder”应为整数", "holder must be a whole number"),
        ({"building": "x" * 50}, "“楼号”太长，最多 40 个字", "is too long: 40 characters at most"),
    ],
)
def test_a_malformed_form_is_refused_in_words(
    world: World, form: dict[str, str], zh: str, en: str
) -> None:
    client = world.client("clerk1")
    chinese = client.post("/office/c/c1/sheets", data={"csrf": CSRF, **form})
    assert chinese.status_code == 400 and message(chinese.text) == zh
    client.cookies.set("office_lang", "en")
    english = client.post("/office/c/c1/sheets", data={"csrf": CSRF, **form})
    assert en in message(english.text) and "Input should" not in english.text


def test_a_malformed_link_is_refused_in_words(world: World) -> None:
    answer = world.client("admin").get("/office/admin/audit", params={"page_no": "x"})
    assert answer.status_code == 400 and message(answer.text) == "“page_no”应为整数"
