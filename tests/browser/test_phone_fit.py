"""Every page of the demo office on a 360 px phone, as each role: nothing scrolls sideways (a
wide table scrolls inside its own box) and every tap target is at least 44 by 44 CSS pixels.

Links inside a sentence are exempt, as WCAG 2.5.5 exempts them; a checkbox or radio button is
measured with its label, which takes the tap too. Pages are found by following the links of
the pages before them, one page of each shape (/h/<flat>, /p/<id>).
"""

from __future__ import annotations

from typing import Any

import pytest

from server.web import demo
from tests.browser.conftest import PHONE, OfficeServer, login
from tests.browser.walker import report, walk

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


def inspect(page: Any) -> list[str]:
    wide = page.evaluate("document.documentElement.scrollWidth")
    found = [f"scrolls sideways: {wide} px"] if wide > PHONE["width"] else []
    return found + list(page.evaluate(SMALL_TARGETS))


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
    walked_office: OfficeServer, phone_page: Any, username: str | None, start: str
) -> None:
    if username is not None:
        login(phone_page, walked_office, username, demo.PASSWORD)
    pages, problems = walk(phone_page, walked_office, start, inspect)
    assert pages >= (2 if username is None else 4), f"only {pages} page(s) reached"
    assert problems == {}, report(problems)
