"""End-to-end check: a valid pass held up to the camera opens the gate, which closes again.

    python -m hw_tests.end_to_end [--sim] [--timeout S] [--yes]

The pass goes through the kiosk itself (``kiosk.app.build`` and its state machine): camera,
decoder, verifier, rules, thermometer, event log and relay, with a scratch event log so the
check leaves the device's log alone. On a device, hold up a pass signed by a key in [trust]
files and step up to the thermometer. In --sim a test issuer signs a pass and the simulated
person shows it on simulated time; ``--fault untrusted`` shows one from an unknown issuer,
which must leave the gate shut.

At a car gate (``[lane] kind = "vehicle"``) a car takes the pass's place: its plate
(``--plate``, on a device the car you will drive up; in --sim a simulated car's) is registered
for this check only, as a service vehicle in the scratch kiosk's office data, which syncs with
no office. The car drives up, the barrier lifts, the car drives over the loop, and the barrier
comes down once the loop is clear.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hw_tests.harness import CheckFailed, Options, Person, Skipped, wait_until
from hw_tests.rig import Rig
from kiosk.app import App, build
from kiosk.config import Config
from kiosk.demo_scenario import SimTime
from kiosk.passes.issuer import IssuerKey, issue_pass
from kiosk.passes.testing import sample_claims
from kiosk.plates.formats import normalize
from kiosk.simcontrols import SimControls
from kiosk.vehicles.model import Vehicle, VehicleKind
from kiosk.view import KioskView

FOREHEAD_C = 36.4  # the simulated person's skin temperature
TEST_PLATE = "京A12345"  # the simulated car's
TEST_VEHICLE_ID = "selftest-car"


def test_pass(config: Config, options: Options) -> tuple[str, IssuerKey]:
    """A pass valid now for this compound, and the issuer the kiosk trusts (--sim)."""
    now = datetime.now(UTC)
    key = IssuerKey.generate("Self-test office")
    signer = IssuerKey.generate("Unknown office") if options.fault == "untrusted" else key
    claims = sample_claims(
        signer.issuer,
        compounds=(config.device.compound,),
        issued_at=now,
        not_before=now - timedelta(minutes=5),
        expires_at=now + timedelta(hours=1),
    )
    return issue_pass(signer, claims), key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plate",
        default=None,
        help="car gate: the plate of the car you will drive up (registered for this check only)",
    )


@contextmanager
def kiosk(config: Config, sim: bool) -> Iterator[tuple[App, Callable[[], KioskView]]]:
    """The kiosk on a scratch data folder, and a function that runs one camera frame's tick."""
    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as scratch:
        device = dataclasses.replace(config.device, data_dir=Path(scratch))
        scratch_config = dataclasses.replace(config, device=device)
        frame_s = 1.0 / config.camera.fps
        if sim:
            clock = SimTime(datetime.now(UTC))
            app = build(scratch_config, sim=True, clock=clock.clock, timers=clock.timers)

            def tick() -> KioskView:
                clock.advance(frame_s)
                return app.kiosk.tick()
        else:
            app = build(scratch_config, sim=False)

            def tick() -> KioskView:
                time.sleep(frame_s)
                return app.kiosk.tick()

        with app:
            yield app, tick


def check(rig: Rig, person: Person, options: Options) -> str:
    """A valid pass through the whole kiosk opens the gate; it locks again by itself."""
    if rig.config.lane.kind == "vehicle":
        return car_passes(rig, person, options)
    with kiosk(rig.config, options.sim) as (app, tick):
        text = ""
        if options.sim:
            text, key = test_pass(rig.config, options)
            app.office.set_trust_json(json.dumps(key.trust_list().to_json()))

        def show_pass() -> None:
            assert app.sim is not None
            app.sim.set_forehead(FOREHEAD_C)
            app.sim.present_pass(text)

        person.ask_to("hold up a valid pass for this compound, then step up to the thermometer",
                      show_pass)
        views: list[KioskView] = []

        def opened() -> bool:
            views.append(tick())
            return views[-1].gate_open

        try:
            wait_until(opened, options.timeout_s, "no valid pass was read", poll_s=0.0)
        except CheckFailed as failure:
            refusals = {str(v.reason) for v in views if v.reason.value != "ok"}
            said = ", ".join(sorted(refusals)) or "nothing"
            raise CheckFailed(f"{failure}; the kiosk said: {said}") from None
        if not person.confirm("did the gate unlock?"):
            raise CheckFailed("a valid pass was read but the gate did not open")
        closes_again(app, tick, options.sim, "the gate did not lock again by itself")
        decisions = [e for e in app.log.recent(10) if e.kind.value == "decision"]
        celsius = views[-1].temperature_c or 0.0
        return (f"valid pass read, {celsius:.1f} °C, {len(decisions)} decision logged, "
                "gate opened and locked again")


def closes_again(app: App, tick: Callable[[], KioskView], sim: bool, failure: str) -> None:
    """Wait for the gate to close by itself within open_s + 2 s (simulated time in --sim)."""
    limit = app.config.gpio.open_s + 2.0
    if sim:
        if not any(not tick().gate_open for _ in range(round(limit * app.config.camera.fps))):
            raise CheckFailed(failure)
    else:
        wait_until(lambda: not tick().gate_open, limit, failure)


def car_passes(rig: Rig, person: Person, options: Options) -> str:
    """A registered car at the barrier lifts it; over the loop and gone, the barrier comes down."""
    given = options.plate or (TEST_PLATE if options.sim else None)
    if given is None:
        raise Skipped("at a car gate give --plate, the plate of the car you will drive up (it "
                      "is registered for this check only)")
    plate = normalize(given)
    if plate is None:
        raise CheckFailed(f"--plate {given!r} is not a mainland plate (e.g. 京A12345)")
    alone = dataclasses.replace(rig.config.sync, server_url="")  # no office: only this car
    with kiosk(dataclasses.replace(rig.config, sync=alone), options.sim) as (app, tick):
        now = app.clock.effective_now()
        app.office.put_vehicle(Vehicle(TEST_VEHICLE_ID, plate, VehicleKind.SERVICE,
                                       valid_from=now - timedelta(minutes=5),
                                       valid_until=now + timedelta(hours=1), note="self-test"))

        def sim() -> SimControls:
            assert app.sim is not None
            return app.sim

        person.ask_to(f"drive the car {plate} up to the barrier",
                      lambda: sim().present_plate(plate))
        views: list[KioskView] = []

        def opened() -> bool:
            views.append(tick())
            return views[-1].gate_open

        try:
            wait_until(opened, options.timeout_s, f"the barrier did not lift for {plate}",
                       poll_s=0.0)
        except CheckFailed as failure:
            refusals = {str(v.reason) for v in views if v.reason.value != "ok"}
            read = {v.plate for v in views if v.plate} or {"no plate"}
            raise CheckFailed(f"{failure}; read {', '.join(sorted(read))}; the kiosk said: "
                              f"{', '.join(sorted(refusals)) or 'nothing'}") from None
        if not person.confirm("did the barrier lift?"):
            raise CheckFailed(f"{plate} was let in but the barrier did not lift")

        def drive_over_the_loop() -> None:
            sim().set_door(True)
            for _ in range(round(2 * app.config.camera.fps)):
                tick()
            sim().set_door(False)
            sim().present_plate(None)

        person.ask_to("drive over the loop behind the barrier", drive_over_the_loop)
        closes_again(app, tick, options.sim,
                     "the barrier did not come down after the car had passed")
        passed = [e for e in app.log.recent(10) if e.kind.value == "decision"]
        return (f"{plate} read, {len(passed)} decision logged, barrier lifted and came down "
                "after the car")


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("end_to_end", check, extend=add_arguments))
