"""A clerk in Chromium pages through the flats of a 5,000-household compound: picks a building,
goes to its second page and to its last, and every page keeps the building chosen."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from server.web.auth import UserRole, add_user
from tests.browser.conftest import OfficeServer, keep_screenshot, login
from tests.webtools import cheap_hashing, flat

PASSWORD = "correct horse"
BUILDINGS, UNITS, ROOMS = 20, 5, 50  # 5,000 flats; 250 a building, five pages of 50


def big_compound(server: OfficeServer) -> None:
    cheap_hashing()
    server.office.add_compound("big", "大院")
    with server.office.session() as s:
        for b in range(1, BUILDINGS + 1):
            for u in range(1, UNITS + 1):
                for r in range(1, ROOMS + 1):
                    flat(s, "big", str(b), str(u), f"{(r - 1) // 10 + 1}{(r - 1) % 10 + 1:02d}")
        add_user(s, "clerk", PASSWORD, UserRole.CLERK, now=datetime.now(UTC), compounds=("big",))


def shown(page: Any) -> list[str]:
    return page.locator("#flats tbody td:first-child a").all_inner_texts()  # type: ignore[no-any-return]


def test_a_clerk_walks_to_page_two_of_a_building_and_to_its_end(
    office_server: OfficeServer, page: Any
) -> None:
    big_compound(office_server)
    login(page, office_server, "clerk", PASSWORD)
    page.goto(office_server.at("/office/c/big/flats"))
    assert page.locator(".page-summary").first.inner_text() == "第 1–50 条，共 5,000 条"
    assert shown(page)[:2] == ["1-1-101", "1-1-102"]

    page.select_option("#f-building-filter", "10")  # submits itself
    page.wait_for_url("**/flats?building=10")
    assert page.locator(".page-summary").first.inner_text() == "第 1–50 条，共 250 条"
    first = shown(page)
    assert len(first) == 50 and first[0] == "10-1-101" and first[-1] == "10-1-510"

    page.locator("a[rel=next]").first.click()
    page.wait_for_url("**/flats?building=10&page_no=2")
    second = shown(page)
    assert page.locator(".page-summary").first.inner_text() == "第 51–100 条，共 250 条"
    assert second[0] == "10-2-101" and not set(second) & set(first)
    assert page.locator(".pager strong[aria-current=page]").first.inner_text() == "2"
    keep_screenshot(page, "office-flats-page-2.png")

    page.locator(".pager a", has_text="5").first.click()
    page.wait_for_url("**/flats?building=10&page_no=5")
    assert shown(page)[-1] == "10-5-510"
    assert page.locator("a[rel=next]").count() == 0
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url("**/flats?building=10&page_no=4")
    assert {label.split("-")[0] for label in shown(page)} == {"10"}
