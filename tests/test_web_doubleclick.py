"""A careless clerk's or resident's second click: the same risk list confirmed twice, a confirm
or a registration racing one like it. The second answer is a page, never a 500."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import risklist, vehicles
from server.models import Change, RiskPlateRow, VehicleRow
from tests.webtools import CSRF, World, confirm_fields, make_world

CITY = "车牌,地区,到访日期\n京A12345,甲区,2026-02-08\n粤BD12345,乙区,2026-02-09\n".encode()


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def checked(world: World, data: bytes = CITY) -> dict[str, str]:
    """The confirm form of the clerk's check of ``data``."""
    files = {"file": ("city.csv", data, "text/csv")}
    page = world.client("clerk1").post("/office/c/c1/risk", data={"csrf": CSRF}, files=files)
    assert page.status_code == 200, page.text
    return confirm_fields(page.text)


def confirm(world: World, form: dict[str, str]) -> Response:
    return world.client("clerk1").post("/office/c/c1/risk/confirm", data=form)


def listed(world: World) -> tuple[int, int]:
    """(rows on the list, risk rows in the kiosks' change log)."""
    with world.office.session() as s:
        rows = s.scalar(select(func.count()).select_from(RiskPlateRow))
        changes = s.scalar(select(func.count()).select_from(Change).where(Change.kind == "risk"))
    return int(rows or 0), int(changes or 0)


def test_a_second_confirm_of_one_check_writes_nothing_and_shows_the_check_again(
    world: World,
) -> None:
    form = checked(world)
    assert confirm(world, form).status_code == 200
    assert listed(world) == (2, 2)
    again = confirm(world, form)
    assert again.status_code == 409 and 'id="risk-changed"' in again.text
    assert "新增 0 辆" in again.text and 'id="risk-confirm"' in again.text
    assert listed(world) == (2, 2)


def test_a_check_the_list_changed_under_is_not_imported_until_checked_again(
    world: World,
) -> None:
    form = checked(world)  # 京A12345 is new to the list here ...
    later = "车牌,地区,到访日期\n京A12345,丙区,2026-02-09\n".encode()
    assert confirm(world, checked(world, later)).status_code == 200  # ... and not any more
    stale = confirm(world, form)
    assert stale.status_code == 409 and "新增 1 辆" in stale.text  # only 粤BD12345 now
    assert listed(world)[0] == 1
    assert confirm(world, confirm_fields(stale.text)).status_code == 200
    assert listed(world)[0] == 2


def test_a_check_made_yesterday_is_checked_again(world: World) -> None:
    form = checked(world)
    world.clock.moment += timedelta(days=1)
    assert confirm(world, form).status_code == 409
    assert listed(world) == (0, 0)


def test_a_confirm_racing_another_one_imports_the_file_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double-click: the other request commits the same plates between this one's reading
    of the list and its writing."""
    form = checked(world)
    record = risklist._record  # apply's first call comes after its first new row, before flush

    def raced(session: Session, row: RiskPlateRow, *, removed: bool) -> None:
        monkeypatch.setattr(risklist, "_record", record)
        with world.office.session() as other:
            other.add_all(
                RiskPlateRow(compound_id="c1", plate=p, area="甲区", source="other",
                             visited_on=date(2026, 2, 8), imported_at=world.clock())
                for p in ("京A12345", "粤BD12345")
            )  # fmt: skip
        record(session, row, removed=removed)

    monkeypatch.setattr(risklist, "_record", raced)
    assert confirm(world, form).status_code == 409  # the list it checked changed: not written
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
