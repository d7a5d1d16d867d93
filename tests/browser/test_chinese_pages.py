"""Every word on a Chinese page is Chinese and every time local: a browser walks the demo office
in zh-CN as each role and reads what a person sees (the page's text, its buttons and fields).

Names and codes stay as they are: user names, pass and kiosk ids, flats, file formats, links,
time zone names, what a page marks as <code>, and the "English" link that switches the language
(written in the language it switches to). Times are the compound's local time to the minute:
no ISO "T", no offset, no "UTC". The gates page holds open alarms whose details are a kiosk's
own English words and UTC times, and the audit log what the walk itself did.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from server.web import demo
from tests.browser.conftest import OfficeServer, login
from tests.browser.walker import report, walk

CODES = re.compile(
    r"https?://\S+"  # links, such as the sign-up poster's
    r"|\b[A-Z][a-z]+/[A-Z][A-Za-z_]+\b"  # time zone names (Asia/Shanghai)
    r"|\bP[0-9A-F]{8,}\b"  # pass ids
    r"|\b(?:k\d+|gate-\d+)\b"  # kiosk ids
    r"|\b(?:admin|clerk|gatesup)\b"  # the demo's user names
    r"|\bEnglish\b"  # the language switch, in its own language
    r"|\b(?:xlsx|CSV|csv|PDF|QR|UTF-8|GBK|BOM|Excel)\b"  # formats known by these names
)
LATIN = re.compile(r"[A-Za-z]{2,}")
UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|[+-]\d{2}:\d{2}\b|\bUTC\b|\\u[0-9a-f]{4}")
SEEN_TEXT = """() => [
  Array.from(document.querySelectorAll("code, kbd"))  // commands and codes, as marked
    .reduce((text, c) => text.replace(c.innerText, " "), document.body.innerText),
  ...Array.from(document.querySelectorAll("input[placeholder], [title], img[alt]"))
     .map(e => e.placeholder || e.title || e.alt),
  ...Array.from(document.querySelectorAll("input[type=submit][value]")).map(e => e.value)
].join("\\n")"""


def inspect(page: Any) -> list[str]:
    text = CODES.sub(" ", page.evaluate(SEEN_TEXT))
    times = {m.group(0) for m in UTC_TIME.finditer(text)}
    words = {m.group(0) for m in LATIN.finditer(UTC_TIME.sub(" ", text))}
    return [f"time {t!r}" for t in sorted(times)] + [f"word {w!r}" for w in sorted(words)]


@pytest.mark.parametrize(
    ("username", "start"),
    [
        ("admin", "/office/c/c1/"),
        ("13800138001", "/office/me"),
        (None, "/office/r/c1"),
    ],
    ids=["admin", "resident", "anonymous"],
)
def test_every_word_is_chinese_and_every_time_local(
    walked_office: OfficeServer, page: Any, username: str | None, start: str
) -> None:
    if username is not None:
        login(page, walked_office, username, demo.PASSWORD)
        page.goto(walked_office.at("/office/admin/audit"))  # the log-in and views are in it
    pages, problems = walk(page, walked_office, start, inspect)
    assert pages >= 2 and problems == {}, report(problems)
