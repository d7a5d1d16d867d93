"""The five-colour board: every flat in its colour and letter, counts, filters, colour changes
that reach the kiosks' download, and a quarantine that turns white on its last day's end."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from server import sync_service
from server.models import Household
from server.web import board, timefmt
from tests.webtools import CSRF, World, flat, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    made = make_world(tmp_path / "office")
    with made.office.session() as s:
        for colour, room in (
            ("red", "201"),
            ("orange", "202"),
            ("yellow", "203"),
            ("green", "301"),
        ):
            flat(s, "c1", "2", "1", room, colour)
    return made


def flats_on(html: str) -> dict[str, tuple[str, str]]:
    """household id -> (colour, letter) of each flat drawn on the board."""
    found = re.finditer(
        r'<a class="flat colour-(\w+)" id="flat-([^"]+)".*?<span class="letter">([^<]+)</span>',
        html,
        re.S,
    )
    return {m.group(2): (m.group(1), m.group(3)) for m in found}


def counts_on(html: str) -> dict[str, int]:
    return {m.group(1): int(m.group(2)) for m in re.finditer(r'data-count="(\w+)">(\d+)<', html)}


def test_every_flat_is_drawn_in_its_colour_with_a_letter(world: World) -> None:
    html = world.client("clerk1").get("/office/c/c1/board").text
    shown = flats_on(html)
    assert len(shown) == 6  # c1's flats only
    assert shown["c1-2-1-201"] == ("red", "红") and shown["c1-2-1-301"] == ("green", "绿")
    assert counts_on(html) == {"red": 1, "orange": 1, "yellow": 1, "green": 1, "white": 2}
    english = world.client("clerk1")
    english.cookies.set("office_lang", "en")
    assert flats_on(english.get("/office/c/c1/board").text)["c1-2-1-201"] == ("red", "R")


def test_filters_by_colour_and_building(world: World) -> None:
    client = world.client("clerk1")
    assert set(flats_on(client.get("/office/c/c1/board?colour=red").text)) == {"c1-2-1-201"}
    assert len(flats_on(client.get("/office/c/c1/board?building=2").text)) == 4


def change(world: World, household: str, **form: str) -> int:
    answer = world.client("clerk1").post(
        f"/office/h/{household}/colour", data={"csrf": CSRF, **form}
    )
    return answer.status_code


def test_a_colour_change_reaches_the_kiosks_download(world: World) -> None:
    with world.office.session() as s:
        before = sync_service.delta(s, _kiosk(world, s), 0, world.clock()).cursor
    start = timefmt.today(world.clock(), "Asia/Shanghai")
    assert (
        change(world, "c1-1-1-101", colour="red", reason="武汉返回", start=start.isoformat()) == 303
    )
    with world.office.session() as s:
        found = sync_service.delta(s, _kiosk(world, s), before, world.clock())
    last = found.households[-1]
    assert (last.household_id, last.colour.value) == ("c1-1-1-101", "red")
    # 14 days from the start: local midnight at the start of day 15
    assert last.quarantine_until == timefmt.start_of_day(
        start + timedelta(days=14), "Asia/Shanghai"
    )


def _kiosk(world: World, s):  # type: ignore[no-untyped-def]
    from server.models import Kiosk

    kiosk = s.get(Kiosk, "k1")
    if kiosk is None:
        world.office.enroll_kiosk("k1", "c1")
        kiosk = s.get(Kiosk, "k1")
    return kiosk


def test_quarantine_shows_days_left_and_turns_white_on_the_day(world: World) -> None:
    zone = "Asia/Shanghai"
    start = timefmt.today(world.clock(), zone)
    assert (
        change(
            world,
            "c1-1-1-101",
            colour="orange",
            reason="湖北返回",
            start=start.isoformat(),
            days="14",
        )
        == 303
    )
    client = world.client("clerk1")
    html = client.get("/office/c/c1/board").text
    assert flats_on(html)["c1-1-1-101"] == ("orange", "橙") and "剩 14 天" in html
    world.clock.moment = timefmt.start_of_day(start + timedelta(days=14), zone) - timedelta(
        seconds=1
    )
    client = world.client("clerk1")  # a new day, a new login
    assert flats_on(client.get("/office/c/c1/board").text)["c1-1-1-101"][0] == "orange"
    world.clock.moment += timedelta(seconds=1)
    assert flats_on(client.get("/office/c/c1/board").text)["c1-1-1-101"] == ("white", "白")


def test_the_board_and_the_kiosk_agree_when_a_quarantine_ends(world: World) -> None:
    """The board turns white exactly when kiosk.rules stops refusing the exit."""
    from kiosk.rules import _quarantine  # the kiosk's own rule, as it runs offline

    with world.office.session() as s:
        row = s.get(Household, "c1-2-1-201")
        assert row is not None
        row.quarantine_until = world.clock() + timedelta(hours=5)
    for hours in (4, 5, 6):
        moment = world.clock() + timedelta(hours=hours)
        with world.office.session() as s:
            row = s.get(Household, "c1-2-1-201")
            shown = board.shown_colour(row, moment)
        refused = _refuses_exit(_quarantine, row, moment)
        assert (shown == "white") == (not refused), hours


def _refuses_exit(rule, row: Household, moment) -> bool:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from kiosk.model import ClockReading, Direction, RiskColour

    household = SimpleNamespace(
        colour=RiskColour(row.colour), quarantine_until=row.quarantine_until
    )
    context = SimpleNamespace(
        direction=Direction.OUT,
        household=household,
        clock=ClockReading(moment, 0.0, True),  # the kiosk's clock, trusted
        policy=SimpleNamespace(quarantine="deny"),
    )
    return rule(context) is not None


@pytest.mark.parametrize(
    ("form", "field_words"),
    [
        ({"colour": "purple", "reason": "x", "start": "2026-02-10"}, "请选择一种颜色"),
        ({"colour": "red", "reason": " ", "start": "2026-02-10"}, "请填写原因"),
        ({"colour": "red", "reason": "x", "start": "10/02/2026"}, "开始日期格式"),
        ({"colour": "red", "reason": "x", "start": "2026-02-10", "days": "99"}, "隔离天数"),
        # once read as "no days given", so a typo became the default 14 days
        ({"colour": "red", "reason": "x", "start": "2026-02-10", "days": "-3"}, "隔离天数"),
        ({"colour": "red", "reason": "x", "start": "2026-02-10", "days": "abc"}, "隔离天数"),
        # once a 500: the quarantine's end overflowed the calendar
        ({"colour": "red", "reason": "x", "start": "9999-12-31"}, "开始日期应在"),
        ({"colour": "white", "reason": "x", "start": "1900-01-01"}, "开始日期应在"),
    ],
)
def test_a_bad_colour_change_is_refused_beside_the_field(
    world: World, form: dict[str, str], field_words: str
) -> None:
    answer = world.client("clerk1").post("/office/h/c1-1-1-101/colour", data={"csrf": CSRF, **form})
    assert answer.status_code == 422 and field_words in answer.text
    with world.office.session() as s:
        row = s.get(Household, "c1-1-1-101")
        assert row is not None and row.colour == "white"
