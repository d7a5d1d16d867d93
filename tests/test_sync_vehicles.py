"""The vehicle registry and the risk list travel from the real office to the kiosk's cache.

Registrations are made with the office's own functions (server.vehicles, server.risklist),
the kiosk downloads with the real sync agent over loopback HTTP, and the vehicle lane's
lookups (``OfficeData.vehicle`` and ``risk_report``) answer from what arrived.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.office import MIGRATIONS, OfficeData
from kiosk.sqlitedb import Database
from kiosk.vehicles.model import RiskReport, VehicleKind
from server import risklist, vehicles
from server.local import Office
from server.models import Compound
from sync.agent import apply_delta
from sync.protocol import Delta
from tests.pg import LoopbackOffice, database_url, postgres  # noqa: F401 (fixtures)
from tests.test_sync_compound import office, time  # noqa: F401 (fixtures)
from tests.test_sync_downloads import page
from tests.test_sync_faults import T0, FakeTime, Kiosk, make_kiosk

TODAY = date(2020, 2, 10)  # T0 in Asia/Shanghai


@pytest.fixture
def kiosk(tmp_path: Path, office: LoopbackOffice, time: FakeTime) -> Kiosk:  # noqa: F811
    return make_kiosk(tmp_path, office, office.url, time=time)


def sync(kiosk: Kiosk) -> None:
    assert kiosk.agent.run_once().ok


def import_risks(world: Office, text: str) -> risklist.Plan:
    with world.session() as s:
        compound = s.get(Compound, "c1")
        assert compound is not None
        found = risklist.preview(text.encode(), "city.csv", compound, T0)
        return risklist.apply(s, compound, found, source="city.csv 2020-02-10", now=T0)


def test_registered_vehicles_reach_the_kiosk(office: LoopbackOffice, kiosk: Kiosk) -> None:  # noqa: F811
    window = vehicles.Window(TODAY, TODAY + timedelta(days=2))
    with office.office.session() as s:
        car = vehicles.add_resident_car(s, "h1", "京a 12345", now=T0).id
        guest = vehicles.invite_car(s, "h1", "粤B·D12345", window, entries=2, now=T0).id
        van = vehicles.add_service_vehicle(s, "c1", "沪C1234学", window, note="搬家", now=T0).id
    sync(kiosk)
    own = kiosk.office.vehicle("京A12345")
    assert own is not None and (own.vehicle_id, own.kind, own.household_id) == (
        car,
        VehicleKind.RESIDENT,
        "h1",
    )
    visitor = kiosk.office.vehicle("粤BD12345")
    assert visitor is not None and visitor.vehicle_id == guest and visitor.max_entries == 2
    assert visitor.valid_from == datetime(2020, 2, 9, 16, 0, tzinfo=UTC)  # local midnight
    assert visitor.valid_until == datetime(2020, 2, 12, 16, 0, tzinfo=UTC)
    service = kiosk.office.vehicle("沪C1234学")
    assert service is not None and (service.vehicle_id, service.note) == (van, "搬家")
    assert kiosk.office.vehicle("京B99999") is None


def test_removed_vehicle_is_forgotten(office: LoopbackOffice, kiosk: Kiosk) -> None:  # noqa: F811
    with office.office.session() as s:
        car = vehicles.add_resident_car(s, "h1", "京A12345", now=T0).id
    sync(kiosk)
    with office.office.session() as s:
        vehicles.remove_vehicle(s, car)
    sync(kiosk)
    assert kiosk.office.vehicle("京A12345") is None


def test_risk_list_reaches_the_kiosk_and_old_visits_leave_it(
    office: LoopbackOffice,  # noqa: F811
    kiosk: Kiosk,
) -> None:
    plan = import_risks(office.office, "车牌,地区,到访日期\n京A12345,某市某区,2020-02-05\n")
    assert (plan.new, plan.updated, plan.expired) == (1, 0, 0)
    sync(kiosk)
    assert kiosk.office.risk_report("京A12345") == RiskReport(
        "京A12345", "某市某区", date(2020, 2, 5), "city.csv 2020-02-10"
    )
    # Three weeks on, the next list no longer has it and the office removes the stale visit.
    with office.office.session() as s:
        compound = s.get(Compound, "c1")
        assert compound is not None
        later = T0 + timedelta(days=21)
        found = risklist.preview(b"plate,area,date\n", "next.csv", compound, later)
        assert risklist.apply(s, compound, found, source="next.csv", now=later).expired == 1
    sync(kiosk)
    assert kiosk.office.risk_report("京A12345") is None


GOOD_CAR = {"vehicle_id": "VH1", "plate": "京A12345", "kind": "resident", "household_id": "h1"}


def test_unusable_vehicle_items_are_set_aside_and_the_rest_applied(tmp_path: Path) -> None:
    delta = Delta.from_json(
        page(
            0,
            1,
            more=False,
            vehicles=[
                GOOD_CAR,
                {**GOOD_CAR, "vehicle_id": "VH2", "kind": "tractor"},
                {**GOOD_CAR, "vehicle_id": "VH3", "plate": "京A 12"},
                {**GOOD_CAR, "vehicle_id": "VH4", "max_entries": True},
                {**GOOD_CAR, "vehicle_id": "VH5", "plate": "京A1234O"},  # no read is ...O
            ],
            risk_plates=[
                {"plate": "粤B12345", "area": "x", "visited_on": "2020-02-01", "source": "f"},
                {"plate": "粤B54321", "area": "x", "visited_on": "2020-02-31", "source": "f"},
                {"plate": "粤B54321", "area": 3, "visited_on": "2020-02-01"},
                {"plate": "粤B1234O", "area": "x", "visited_on": "2020-02-01", "source": "f"},
            ],
        )
    )
    assert [a.where for a in delta.set_aside] == [
        "delta.vehicles[1]",
        "delta.vehicles[2]",
        "delta.vehicles[3]",
        "delta.vehicles[4]",
        "delta.risk_plates[1]",
        "delta.risk_plates[2]",
        "delta.risk_plates[3]",
    ]
    cache = OfficeData(tmp_path / "office.db")
    apply_delta(cache, delta)
    assert cache.vehicle("京A12345") is not None
    assert cache.risk_report("粤B12345") is not None
    assert cache.counts()["vehicles"] == 1 and cache.counts()["risk_plates"] == 1


def test_an_older_office_sends_no_vehicle_fields() -> None:
    delta = Delta.from_json(page(0, 1, more=False))
    assert delta.vehicles == () and delta.risk_plates == () and delta.empty


def test_an_upgraded_cache_downloads_everything_again(tmp_path: Path) -> None:
    """An office sent vehicles before the kiosk could keep them: the cursor starts again."""
    path = tmp_path / "office.db"
    old = Database(path, MIGRATIONS[:2])
    with old.transaction() as conn:
        conn.execute("INSERT INTO settings VALUES ('sync_cursor', '40')")
        conn.execute("INSERT INTO settings VALUES ('download_complete', '40')")
    old.close()
    cache = OfficeData(path)
    assert cache.cursor() is None and cache.complete()
