"""A refusal in the page's language: FastAPI's developer messages ("Input should be a valid
integer ...") and the office's own English explanations never reach a Chinese page."""

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


def test_the_offices_own_english_is_for_english_pages(world: World) -> None:
    """A 404 the office explains in English ("no resident 2 in this compound") says what to do
    in Chinese on a Chinese page; the English page keeps the specific words."""
    other = str(world.ids["c2"].holder)
    client = world.client("clerk1")
    chinese = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "holder": other})
    assert chinese.status_code == 404 and "请从首页重新进入" in message(chinese.text)
    assert "resident" not in chinese.text
    client.cookies.set("office_lang", "en")
    english = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "holder": other})
    assert f"no resident {other} in this compound" in message(english.text)
