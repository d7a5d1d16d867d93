"""``kiosk demo --lane vehicle``: the car gate's day on the simulated gate camera, the barrier and
the loop, with and without the local office. The plate reader here reads the simulated scene's
plate (the OCR reading the same scenes is tests/test_vehicle_camera.py's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kiosk.app import App, build
from kiosk.commands.demo import CAR_GATE, car_day, demo_config
from kiosk.demo_cars import make_cars, run_car_day
from kiosk.demo_scenario import Player, SimTime
from kiosk.demo_world import make_world
from kiosk.model import EventKind, Reason
from tests.vehicle_support import Read

# Today, to the minute, as `kiosk demo` plays it: the office stamps its replies with real time.
START = datetime.now(UTC).replace(second=0, microsecond=0)


class SceneReader:
    """Reads the plate of the car the simulated gate camera shows."""

    def __init__(self) -> None:
        self.app: App | None = None

    def read(self, frame: npt.NDArray[np.uint8]) -> Sequence[Read]:
        assert self.app is not None
        plate = self.app.hardware.camera.plate  # type: ignore[attr-defined]
        return [Read(plate)] if plate else []


def car_gate(tmp_path: Path) -> tuple[App, Player]:
    time = SimTime(START)
    reader = SceneReader()
    config = demo_config(tmp_path, more=CAR_GATE | {"camera.width": 640, "camera.height": 480})
    app = build(config, sim=True, clock=time.clock, timers=time.timers, plate_reader=reader)
    reader.app = app
    make_world(START, compound=config.device.compound).install(app.office)
    return app, Player(app, time)


def test_the_car_day_plays_every_story(tmp_path: Path) -> None:
    app, player = car_gate(tmp_path)
    with app:
        cars = make_cars(START)
        cars.install(app.office)
        steps = run_car_day(app, cars, player, lambda step: None)
        assert [s.view.reason for s in steps] == [
            Reason.OK,
            Reason.OK,
            Reason.VEHICLE_RISK_AREA,
            Reason.VEHICLE_UNKNOWN,
            Reason.VEHICLE_REGISTERED,
            Reason.OK,
            Reason.OK,
            Reason.QUARANTINE,
        ]
        assert [a.reason for a in steps[6].view.alarms] == [Reason.VEHICLE_TAILGATING]
        plates = {e.data.get("plate") for e in app.log.recent(100) if e.kind is EventKind.DECISION}
        assert {cars.plate("resident"), cars.plate("risk"), "粤C51888"} <= plates


def test_the_car_day_downloads_its_cars_from_the_office_and_uploads_every_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("server.demo_office", reason="the office server extra is not installed")
    from server.demo_office import demo_office

    app, player = car_gate(tmp_path)
    with app, demo_office(tmp_path / "office") as link:
        link.register(make_world(START, compound=app.config.device.compound))
        link.connect(app)
        car_day(app, link, player, lambda step: None, START)
        assert app.office.vehicle(make_cars(START).plate("visitor")) is not None
        assert app.log.count_unsynced() == 0 and link.events_received() == app.log.count()
    assert "4 cars and the city's risk list downloaded" in capsys.readouterr().out
