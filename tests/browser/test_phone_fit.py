"""Every page of the demo office on a 360 px phone, as each role: nothing scrolls sideways (a
wide table scrolls inside its own box) and every tap target is at least 44 by 44 CSS pixels.

Links inside a sentence are exempt, as WCAG 2.5.5 exempts them; a checkbox or radio button is
measured with its label, which takes the tap too. Pages are found by following the links of
the pages before them, one page of each shape (/h/<flat>, /p/<id>).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from server import office
from server.web import auth, demo
from server.web.auth import UserRole
from tests.browser.conftest import PHONE, OfficeServer, login
from tests.office_data import add_event
from tests.webtools import cheap_hashing

TAP = 44
SMALL_TARGETS = """() => {
  const small = [];
  const seen = new Set();
  for (const el of document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary")) {
    if (el.closest("p") && el.tagName === "A") continue;  // a link in a sentence
    const target = (el.type === "checkbox" || el.type === "radio") && el.closest("label")
      ? el.closest("label") : el;
    if (seen.has(target)) continue;
    seen.add(target);
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown (a closed <details>)
    if (box.width < 44 || box.height < 44) {
      const words = (target.innerText || target.value || target.name || target.tagName).trim();
      const size = `${box.width.toFixed(1)}x${box.height.toFixed(1)}`;
      small.push(`${target.tagName} "${words.slice(0, 30)}" ${size}`);
    }
  }
  return small;
}"""


def shape(path: str) -> str:
    return re.sub(r"/(h|p|pass|qr|reg|v|admin/users)/[^/?]+", r"/\1/*", urlsplit(path).path)


@pytest.fixture
def demo_office(office_server: OfficeServer) -> OfficeServer:
    cheap_hashing()
    now = datetime.now(UTC)
    office_server.office.add_compound("c1")
    with office_server.office.session() as s:
        demo.seed(s, "c1", now)
        auth.add_user(s, "gatesup", demo.PASSWORD, UserRole.SUPERVISOR, now=now, compounds=("c1",))
        office.add_compound(s, "c2", "第二小区")
    for minutes in range(30):
        add_event(office_server.office, "c1", now - timedelta(minutes=7 * minutes))
    add_event(office_server.office, "c1", now, kind="alarm", reason="sensor_fault")
    return office_server


def walk(
    page: Any, server: OfficeServer, start: str, limit: int = 40
) -> tuple[int, dict[str, list[str]]]:
    """Each page of a new shape reachable from ``start``: how many, and what is wrong."""
    todo, shapes, problems = [server.at(start)], set(), {}
    while todo and len(shapes) < limit:
        url = todo.pop(0)
        if shape(url) in shapes or re.search(r"/logout|/lang/|\.(xlsx|csv|pdf|svg|jpg)\b", url):
            continue
        shapes.add(shape(url))
        answer = page.goto(url)
        if answer is None or "text/html" not in answer.headers.get("content-type", ""):
            continue
        wide = page.evaluate("document.documentElement.scrollWidth")
        found = [f"scrolls sideways: {wide} px"] if wide > PHONE["width"] else []
        found += page.evaluate(SMALL_TARGETS)
        if found:
            problems[urlsplit(url).path] = found
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        todo += [link for link in links if link.startswith(server.at("/office/"))]
    return len(shapes), problems


@pytest.mark.parametrize(
    ("username", "start"),
    [
        ("admin", "/office/c/c1/"),
        ("gatesup", "/office/c/c1/gates"),
        ("13800138001", "/office/me"),
        (None, "/office/r/c1"),
    ],
    ids=["admin", "supervisor", "resident", "anonymous"],
)
def test_no_page_scrolls_sideways_and_every_tap_target_is_44_px(
    demo_office: OfficeServer, phone_page: Any, username: str | None, start: str
) -> None:
    if username is not None:
        login(phone_page, demo_office, username, demo.PASSWORD)
    pages, problems = walk(phone_page, demo_office, start)
    assert pages >= (2 if username is None else 4), f"only {pages} page(s) reached"
    assert problems == {}, "\n".join(f"{p}: {'; '.join(v)}" for p, v in problems.items())
