"""The gate log in the order things happened at the gate, not the order they reached the office:
a kiosk that was offline uploads an hour of events late, and they go where they belong, on the
live gates page, in its live updates and on every page of the whole log."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.office_data import add_event
from tests.webtools import World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    made = make_world(tmp_path / "office")
    start = made.clock() - timedelta(hours=3)
    for n in range(60):  # one event a minute, uploaded as they happened
        add_event(made.office, "c1", start + timedelta(minutes=n))
    for n in range(0, 60, 7):  # a second kiosk back online: its events of the same hour, late
        add_event(made.office, "c1", start + timedelta(minutes=n, seconds=30), device_id="k2")
    return made


def times(html: str) -> list[int]:
    return [int(at) for at in re.findall(r'data-at="(\d+)"', html)]


def newest_first(found: list[int]) -> bool:
    return found == sorted(found, reverse=True)


def test_the_live_gates_page_and_its_updates_are_in_event_time_order(world: World) -> None:
    client = world.client("clerk1")
    page = times(client.get("/office/c/c1/gates").text)
    assert len(page) == 50 and newest_first(page)
    live = client.get("/office/c/c1/gates/live", params={"after": 0}).json()
    assert newest_first([int(r["at"]) for r in live["rows"]])
    after = re.search(r'data-after="(\d+)"', client.get("/office/c/c1/gates").text)
    assert after is not None
    add_event(world.office, "c1", world.clock() - timedelta(hours=2, minutes=59), device_id="k3")
    update = client.get("/office/c/c1/gates/live", params={"after": after.group(1)}).json()
    assert [r["kiosk"] for r in update["rows"]] == ["k3"]  # an old event, new to the office


def test_every_page_of_the_gate_log_is_in_event_time_order(world: World) -> None:
    client = world.client("clerk1")
    seen: list[int] = []
    path = ""
    while True:
        html = client.get("/office/c/c1/gates/log" + path).text
        seen += times(html)
        older = re.search(r'<a href="([^"]+)" rel="next">', html)
        if older is None:
            break
        path = older.group(1).replace("&amp;", "&")
    assert len(seen) == 69 and newest_first(seen)
    back = re.search(r'<a href="([^"]+)" rel="prev">', html)
    assert back is not None
    newer = back.group(1).replace("&amp;", "&")
    previous = times(client.get("/office/c/c1/gates/log" + newer).text)
    assert previous == seen[:50]
