"""The fast paths of the board and the search show what the slow ones did: every value the
board's HTML is built from in Python is escaped, and a search finds a resident by name, by the
digits of the phone number, by flat and by pass id, one page at a time."""

from __future__ import annotations

import gc
import socket
from pathlib import Path

import pytest

from server import office
from server.local import ServerThread, settle_heap
from server.web import directory
from server.web.board import FlatCells, FlatView
from tests.webtools import World, flat, make_world

HOSTILE = '"><script>alert(1)</script>'


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def words(key: str, **values: object) -> str:
    return f"{key}{values}<b>"


def test_a_board_cell_escapes_id_label_room_reason_and_words() -> None:
    cell = FlatCells(words).cell(FlatView(HOSTILE, HOSTILE, HOSTILE, "red", 3, HOSTILE))
    assert "<script>" not in cell and '"><script' not in cell and "<b>" not in cell
    assert cell.count("&lt;script&gt;") == 5  # id, link, title's label and reason, room
    assert '<span class="days">board.days_left{&#x27;n&#x27;: 3}&lt;b&gt;</span>' in cell


def test_a_board_cell_of_an_unknown_colour_is_escaped_too() -> None:
    cell = FlatCells(words).cell(FlatView("h1", "1-1-1", "1", HOSTILE, None, ""))
    assert "<script>" not in cell and 'class="flat colour-&quot;&gt;' in cell


def test_search_by_name_phone_digits_flat_and_pass(world: World) -> None:
    with world.office.session() as s:
        home = flat(s, "c1", "7", "2", "1203")
        s.flush()
        office.add_resident(s, "王小明", home.id, phone="13912345678")
        s.flush()

        def names(text: str) -> list[str]:
            return [f.holder.name for f in directory.search(s, "c1", text)[0]]

        assert names("小明") == ["王小明"]
        assert names("1391234") == ["王小明"]
        assert names("139 1234") == ["王小明"]
        assert names("7-2-1203") == ["王小明"]
        assert names("5678") == ["王小明"]  # the last four digits, as clerks ask for them
        assert names("999") == [] and names("1391235") == [] and names("678") == []
        found = directory.search(s, "c1", "小明")[0][0]
        assert (found.flat.building, found.flat.unit, found.flat.room) == ("7", "2", "1203")
        assert names("13912345678") and directory.search(s, "c2", "小明") == ([], False)


def test_search_pages_fifty_at_a_time(world: World) -> None:
    with world.office.session() as s:
        home = flat(s, "c1", "8", "1", "101")
        s.flush()
        for n in range(directory.PAGE + 3):
            office.add_resident(s, f"同名{n:03d}", home.id, phone=f"1500000{n:04d}")
        s.flush()
        first, more = directory.search(s, "c1", "同名")
        second, after = directory.search(s, "c1", "同名", page=2)
    assert len(first) == directory.PAGE and more
    assert len(second) == 3 and not after
    assert {f.holder.id for f in first}.isdisjoint(f.holder.id for f in second)


def test_the_local_server_socket_is_tcp_so_replies_are_not_held_back() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose proto is TCP; without it each reply
    waited for the client's delayed ACK (about 40 ms a request)."""
    server = ServerThread(object())
    try:
        assert server._socket.proto == socket.IPPROTO_TCP
    finally:
        server._socket.close()


def test_a_kept_cell_is_used_only_while_the_flat_shows_the_same() -> None:
    cache: dict[FlatView, str] = {}
    before = FlatView("h1", "1-1-101", "101", "red", 5, "fever")
    FlatCells(words, cache)([before])
    after = FlatCells(words, cache)([FlatView("h1", "1-1-101", "101", "red", 4, "fever")])
    assert "&#x27;n&#x27;: 4}" in after and before in cache and len(cache) == 2


def test_serving_freezes_the_startup_heap_out_of_full_collections() -> None:
    """A full collection walked every object of the process: a 100 ms pause every few board
    requests. What exists when serving starts is frozen; later objects are collected as usual."""
    settle_heap()
    try:
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
