"""A careless clerk's or resident's second click: the same risk list confirmed twice, a confirm
or a registration racing one like it. The second answer is a page, never a 500."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import risklist, vehicles
from server.models import Change, RiskPlateRow, VehicleRow
from tests.webtools import CSRF, World, make_world

CITY = "车牌,地区,到访日期\n京A12345,甲区,2026-02-08\n粤BD12345,乙区,2026-02-09\n".encode()


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def confirm(world: World, data: bytes = CITY) -> str:
    form = {"csrf": CSRF, "payload": base64.b64encode(data).decode(), "filename": "city.csv"}
    done = world.client("clerk1").post("/office/c/c1/risk/confirm", data=form)
    assert done.status_code == 200, done.text
    return done.text


def listed(world: World) -> tuple[int, int]:
    """(rows on the list, risk rows in the kiosks' change log)."""
    with world.office.session() as s:
        rows = s.scalar(select(func.count()).select_from(RiskPlateRow))
        changes = s.scalar(select(func.count()).select_from(Change).where(Change.kind == "risk"))
    return int(rows or 0), int(changes or 0)


def test_confirming_the_same_file_twice_adds_and_sends_nothing_the_second_time(
    world: World,
) -> None:
    confirm(world)
    assert listed(world) == (2, 2)
    again = confirm(world)
    assert listed(world) == (2, 2)
    assert "新增 0 辆" in again


def test_a_confirm_racing_another_one_imports_the_file_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double-click: the other request commits the same plates between this one's reading
    of the list and its writing."""
    stored = risklist._stored
    reads = []

    def raced(session: Session, compound_id: str) -> dict[str, RiskPlateRow]:
        found = stored(session, compound_id)
        reads.append(compound_id)
        if len(reads) == 2:  # apply's own reading, after its plan's
            with world.office.session() as other:
                other.add_all(
                    RiskPlateRow(compound_id="c1", plate=p, area="甲区", source="other",
                                 visited_on=date(2026, 2, 8), imported_at=world.clock())
                    for p in ("京A12345", "粤BD12345")
                )  # fmt: skip
        return found

    monkeypatch.setattr(risklist, "_stored", raced)
    confirm(world)
    assert listed(world)[0] == 2


@pytest.mark.parametrize(
    ("who", "path", "form"),
    [
        ("13800000001", "/office/me/vehicles/invite", {"first": "2026-02-10", "entries": "1"}),
        ("clerk1", "/office/c/c1/vehicles/service", {"first": "2026-02-10"}),
        ("clerk1", "/office/c/c1/vehicles/car", {"car_plate": "京A12345", "flat": "1-1-102"}),
    ],
)
def test_a_registration_racing_one_like_it_is_refused_as_taken(
    world: World, monkeypatch: pytest.MonkeyPatch, who: str, path: str, form: dict[str, str]
) -> None:
    """The other request registers the plate between this one's look for it and its writing."""
    real = vehicles.secrets.token_hex  # called after the look, for the new row's id

    def raced(n: int) -> str:
        with world.office.session() as other:
            other.add(VehicleRow(id="VHRIVAL", compound_id="c1", plate="京A12345",
                                 kind="resident", created_at=world.clock()))  # fmt: skip
        monkeypatch.setattr(vehicles.secrets, "token_hex", real)
        return real(n)

    monkeypatch.setattr(vehicles.secrets, "token_hex", raced)
    page = world.client(who).post(path, data={"csrf": CSRF, "plate": "京A12345", **form})
    assert page.status_code == 422
    assert "京A12345已经登记" in page.text
    with world.office.session() as s:
        assert s.scalars(select(VehicleRow.id)).all() == ["VHRIVAL"]
