"""Long lists a page at a time: the flats list in natural order, 50 a page, with "51–100 of N",
links that keep the building filter, a bad page number answered with a 400 page in the viewer's
language (never a 500) and a page past the end shown as the last page; the approvals queue 20
cards a page, a decision coming back to its page; the gate log paged back by row id, one day
at a time if asked; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from server import office
from server.db import MIGRATIONS, make_engine, migrate
from server.flatorder import flat_order
from server.models import EventRow
from server.web.board import natural
from server.web.paging import PAGE_SIZE, BadPageNumber, page_number, pages
from server.web.registrations import Applicant, submit
from tests.office_data import add_event
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)
from tests.webtools import CSRF, PASSWORD, World, flat, jpeg, make_world

# Buildings 1..12 with units 1..2 and rooms 1..5: 120 flats, plus the world's 1-1-101 and 1-1-102.
BUILDINGS = [str(b) for b in range(1, 13)]


@pytest.fixture
def world(database_url: str) -> World:  # noqa: F811  (SQLite and PostgreSQL)
    made = make_world(database_url)
    with made.office.session() as s:
        for b in BUILDINGS:
            for unit in ("1", "2"):
                for room in range(1, 6):
                    flat(s, "c1", b, unit, f"{room}0{room}" if b != "1" else f"{room}")
    return made


def labels(html: str) -> list[str]:
    """The flats of a flats page, top to bottom."""
    table = html.split('<table id="flats">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/office/h/[^"/]+">([^<]+)</a>', table)


def natural_label(text: str) -> tuple[object, ...]:
    return tuple(natural(part) for part in text.split("-"))


def test_the_flats_list_pages_fifty_at_a_time_in_natural_order(world: World) -> None:
    client = world.client("clerk1")
    first = client.get("/office/c/c1/flats")
    assert first.status_code == 200
    shown = labels(first.text)
    assert len(shown) == PAGE_SIZE and "第 1–50 条，共 122 条" in first.text
    assert shown[:7] == ["1-1-1", "1-1-2", "1-1-3", "1-1-4", "1-1-5", "1-1-101", "1-1-102"]
    rest = [labels(client.get(f"/office/c/c1/flats?page_no={n}").text) for n in (2, 3)]
    assert [len(p) for p in rest] == [50, 22]
    every = shown + rest[0] + rest[1]
    assert len(set(every)) == 122 and every == sorted(every, key=natural_label)
    assert every.index("2-1-101") < every.index("10-1-101")  # "2" before "10"
    english = world.client("clerk1")
    english.cookies.set("office_lang", "en")
    assert "Showing 51–100 of 122" in english.get("/office/c/c1/flats?page_no=2").text


def test_page_links_keep_the_building_filter(world: World) -> None:
    with world.office.session() as s:
        for room in range(60):
            flat(s, "c1", "7", "3", str(room))
    html = world.client("clerk1").get("/office/c/c1/flats?building=7").text
    assert "第 1–50 条，共 70 条" in html
    assert 'href="?building=7&amp;page_no=2"' in html  # next and page 2
    second = world.client("clerk1").get("/office/c/c1/flats?building=7&page_no=2").text
    assert {label.split("-")[0] for label in labels(second)} == {"7"}
    assert len(labels(second)) == 20 and 'href="?building=7&amp;page_no=1"' in second


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.5", "２", "1e3", "9" * 40, " "])
def test_a_bad_page_number_is_a_400_saying_so(world: World, bad: str) -> None:
    client = world.client("clerk1")
    answer = client.get("/office/c/c1/flats", params={"page_no": bad})
    if bad.strip():
        assert answer.status_code == 400
        assert "页码应为从 1 开始的整数" in answer.text
    else:
        assert answer.status_code == 200  # empty: the first page
    client.cookies.set("office_lang", "en")
    if bad.strip():
        words = client.get("/office/c/c1/flats", params={"page_no": bad}).text
        assert "The page number must be a whole number from 1" in words


def test_a_page_past_the_end_shows_the_last_page(world: World) -> None:
    client = world.client("clerk1")
    for asked in ("4", "999999999", "9" * 18):
        answer = client.get(f"/office/c/c1/flats?page_no={asked}")
        assert answer.status_code == 200 and "第 101–122 条，共 122 条" in answer.text
    empty = client.get("/office/c/c1/flats?building=none&page_no=3")
    assert empty.status_code == 200 and "共 0 条" in empty.text


def test_a_flat_added_by_hand_opens_the_page_that_shows_it(world: World) -> None:
    client = world.client("clerk1")
    answer = client.post(
        "/office/c/c1/flats", data={"csrf": CSRF, "building": "9", "unit": "1", "room": "509"}
    )
    assert answer.status_code == 303
    target = answer.headers["location"]
    assert target.endswith("#flat-c1-9-1-509")
    shown = client.get(target.split("#")[0]).text
    assert "9-1-509" in labels(shown)


def test_flats_added_later_and_renamed_keep_their_place() -> None:
    """flat_order follows building/unit/room whenever they change (ORM insert and update)."""
    world = make_world("sqlite://")
    with world.office.session() as s:
        row = flat(s, "c1", "3", "1", "1")
        s.flush()
        assert row.flat_order == flat_order("3", "1", "1")
        row.room = "10"
        s.flush()
        assert row.flat_order == flat_order("3", "1", "10")


def test_the_migration_fills_flat_order_of_existing_flats(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "old.db")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        command.upgrade(config, "s0002")
        connection.execute(
            sa.text("INSERT INTO compounds (id, name, policy) VALUES ('c', 'c', '{}')")
        )
        for hid, room in (("h10", "10"), ("h2", "2")):
            connection.execute(
                sa.text(
                    "INSERT INTO households (id, compound_id, colour, building, unit, room, "
                    "colour_reason) VALUES (:id, 'c', 'white', '1', '1', :room, '')"
                ),
                {"id": hid, "room": room},
            )
    migrate(engine)
    with engine.connect() as connection:
        found = connection.execute(
            sa.text("SELECT id FROM households ORDER BY flat_order, id")
        ).scalars()
        assert list(found) == ["h2", "h10"]


PART = st.text(alphabet="0123456789AB号栋-０９ ", max_size=6)


@given(st.tuples(PART, PART, PART), st.tuples(PART, PART, PART))
def test_flat_order_sorts_as_the_board_does(
    a: tuple[str, str, str], b: tuple[str, str, str]
) -> None:
    def board_key(parts: tuple[str, str, str]) -> tuple[object, ...]:
        return tuple(natural(p) for p in parts)

    assert (flat_order(*a) < flat_order(*b)) == (board_key(a) < board_key(b))
    assert (flat_order(*a) == flat_order(*b)) == (board_key(a) == board_key(b))
    assert flat_order(*a).isdigit()  # collation-proof: SQLite and PostgreSQL agree


def test_page_numbers() -> None:
    assert page_number("") == 1 and page_number(" 7 ") == 7
    for bad in ("0", "-3", "x", "٣", "1" * 19):
        with pytest.raises(BadPageNumber):
            page_number(bad)
    shown = pages(50, 5000, {"building": "3", "q": ""})
    assert (shown.first, shown.last, shown.count, shown.offset) == (2451, 2500, 100, 2450)
    assert [link.number for link in shown.links()] == [1, None, 48, 49, 50, 51, 52, None, 100]
    assert shown.previous == "?building=3&page_no=49" and shown.next == "?building=3&page_no=51"
    assert [link.number for link in pages(2, 120).links()] == [1, 2, 3]
    last = pages(10**9, 120)
    assert (last.number, last.first, last.last, last.next) == (3, 101, 120, "")
    assert (pages(1, 0).first, pages(1, 0).last, pages(1, 0).count) == (0, 0, 1)


def queue_names(html: str) -> list[str]:
    return re.findall(r'<h2 class="reg-name">([^<]+)</h2>', html)


def waiting(world: World, count: int) -> None:
    """``count`` more registrations for c1's flats (c1 has one waiting already)."""
    photo = jpeg()
    with world.office.session() as s:
        for n in range(count):
            room = f"{n % 5 + 1}0{n % 5 + 1}"
            who = Applicant("3", "1", room, f"排队{n:02d}", f"1370000{n:04d}", PASSWORD, photo)
            submit(s, "c1", who, world.clock())


def test_the_approvals_queue_pages_twenty_at_a_time_oldest_first(world: World) -> None:
    waiting(world, 45)
    client = world.client("clerk1")
    first = client.get("/office/c/c1/approvals").text
    assert '<span class="muted">(46)</span>' in first and "第 1–20 条，共 46 条" in first
    assert queue_names(first)[:2] == ["新人1", "排队00"] and len(queue_names(first)) == 20
    last = client.get("/office/c/c1/approvals?page_no=3").text
    assert queue_names(last) == [f"排队{n:02d}" for n in range(39, 45)]
    assert client.get("/office/c/c1/approvals?page_no=x").status_code == 400


def test_deciding_on_a_queue_page_comes_back_to_that_page(world: World) -> None:
    waiting(world, 45)
    client = world.client("clerk1")
    second = client.get("/office/c/c1/approvals?page_no=2").text
    reg = re.findall(r'id="reg-(\d+)"', second)[0]
    answer = client.post(f"/office/reg/{reg}/approve", data={"csrf": CSRF, "page_no": "2"})
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/office/c/c1/approvals?page_no=2",
    )
    other = re.findall(r'id="reg-(\d+)"', second)[1]
    refused = client.post(f"/office/reg/{other}/approve", data={"csrf": CSRF, "page_no": "-2"})
    assert refused.status_code == 400  # and nothing was decided
    assert f'id="reg-{other}"' in client.get("/office/c/c1/approvals?page_no=2").text
    rejected = client.post(
        f"/office/reg/{other}/reject", data={"csrf": CSRF, "page_no": "1", "reason": "重复"}
    )
    assert rejected.headers["location"] == "/office/c/c1/approvals"


def log_ids(html: str) -> list[int]:
    table = html.split('id="gate-log"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'<tr data-id="(\d+)"', table)]


def link(html: str, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else ""


@pytest.fixture
def gate_log(world: World) -> list[int]:
    """120 events of c1 over two local days (60 on 2026-02-09, 60 on 02-10), 5 of c2; c1's ids."""
    start = world.clock() - timedelta(days=1, hours=1)  # 2026-02-09 09:00 in Shanghai
    for n in range(120):
        add_event(world.office, "c1", start + timedelta(minutes=10 * n + (600 if n >= 60 else 0)))
    for n in range(5):
        add_event(world.office, "c2", start + timedelta(minutes=n))
    with world.office.session() as s:
        ids = s.scalars(select(EventRow.id).where(EventRow.compound_id == "c1"))
        return sorted(ids, reverse=True)


def test_the_gate_log_pages_back_from_the_newest_by_row_id(
    world: World, gate_log: list[int]
) -> None:
    client = world.client("super1")  # gate supervisors read it too
    first = client.get("/office/c/c1/gates/log").text
    assert log_ids(first) == gate_log[:50]
    assert link(first, "prev") == "" and link(first, "first") == ""
    second = client.get("/office/c/c1/gates/log" + link(first, "next")).text
    assert log_ids(second) == gate_log[50:100]
    third = client.get("/office/c/c1/gates/log" + link(second, "next")).text
    assert log_ids(third) == gate_log[100:] and link(third, "next") == ""
    back = client.get("/office/c/c1/gates/log" + link(third, "prev")).text
    assert log_ids(back) == gate_log[50:100]
    assert (
        log_ids(client.get("/office/c/c1/gates/log" + link(back, "first")).text) == (gate_log[:50])
    )
    for beyond in (f"after={'9' * 18}", "before=1"):  # nothing there: a way back to the newest
        empty = client.get(f"/office/c/c1/gates/log?{beyond}").text
        assert log_ids(empty) == [] and link(empty, "first") == "?"


def test_the_gate_log_of_one_day_keeps_the_day_in_its_links(
    world: World, gate_log: list[int]
) -> None:
    client = world.client("clerk1")
    day = client.get("/office/c/c1/gates/log?day=2026-02-09").text
    assert log_ids(day) == gate_log[60:110]
    older = link(day, "next")
    assert older.startswith("?day=2026-02-09&before=")
    assert log_ids(client.get("/office/c/c1/gates/log" + older).text) == gate_log[110:]


@pytest.mark.parametrize(
    "query", ["before=-1", "before=x", "after=0", "after=1.5", "day=2026-2-9", "day=yesterday"]
)
def test_a_bad_gate_log_link_is_a_400_saying_so(
    world: World, gate_log: list[int], query: str
) -> None:
    answer = world.client("clerk1").get(f"/office/c/c1/gates/log?{query}")
    assert answer.status_code == 400
    assert "记录编号应为从 1 开始的整数" in answer.text or "日期应写作 年-月-日" in answer.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_gate_log_day_off_the_calendar_is_a_400(world: World, day: str) -> None:
    """Its local midnight falls outside Python's calendar in UTC: it was a 500."""
    answer = world.client("clerk1").get(f"/office/c/c1/gates/log?day={day}")
    assert answer.status_code == 400 and "2000-01-01 到 2999-12-31" in answer.text


def test_search_results_page_with_the_words_kept_in_the_links(world: World) -> None:
    with world.office.session() as s:
        home = flat(s, "c1", "20", "1", "101")
        s.flush()
        for n in range(53):
            office.add_resident(s, f"同名 {n:03d}", home.id, phone=f"1500000{n:04d}")
    client = world.client("clerk1")
    first = client.get("/office/c/c1/search", params={"q": "同名 0"}).text
    assert "第 1–50 条，共 53 条" in first
    assert 'href="?q=%E5%90%8C%E5%90%8D+0&amp;page_no=2"' in first
    second = client.get("/office/c/c1/search", params={"q": "同名 0", "page_no": "2"}).text
    assert "第 51–53 条，共 53 条" in second and second.count('class="person-name"') == 3
    bad = client.get("/office/c/c1/search", params={"q": "同名", "page_no": "0"})
    assert bad.status_code == 400 and "页码应为从 1 开始的整数" in bad.text


def test_a_search_page_past_the_end_shows_the_last_and_an_empty_search_counts_nothing(
    world: World,
) -> None:
    client = world.client("clerk1")
    for asked in ("7", "9" * 18):  # the largest page number taken: no offset overflows
        found = client.get("/office/c/c1/search", params={"q": "居民", "page_no": asked}).text
        assert "第 1–1 条，共 1 条" in found and found.count('class="person-name"') == 1
    queue = client.get("/office/c/c1/approvals", params={"page_no": "9" * 18})
    assert queue.status_code == 200 and "新人1" in queue.text
    empty = client.get("/office/c/c1/search", params={"q": " ", "page_no": "3"})
    assert empty.status_code == 200 and 'class="person-name"' not in empty.text


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # collations are PG's
def test_flat_order_sorts_alike_under_a_language_collation(world: World) -> None:
    """The key is digits only, so a PostgreSQL database made with a language's collation (not
    "C") lists the flats in the same order as SQLite's byte order."""
    with world.office.session() as s:
        assert s.bind is not None and s.bind.dialect.name == "postgresql"
        collations = s.scalars(
            sa.text("SELECT collname FROM pg_collation WHERE collname IN ('und-x-icu', 'en-x-icu')")
        ).all()
        if not collations:
            pytest.skip("this PostgreSQL has no ICU collations")
        ordered = [
            list(
                s.scalars(
                    sa.text(f'SELECT id FROM households ORDER BY flat_order COLLATE "{name}", id')
                )
            )
            for name in ("C", collations[0])
        ]
    assert ordered[0] == ordered[1] and len(ordered[0]) == 124
