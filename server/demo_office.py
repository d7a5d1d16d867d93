"""A local office for ``kiosk demo``: a real server on loopback and the kiosk's real sync agent.

The office signs the demo community's passes, knows its households, enrolls the simulated
kiosk, and receives its events over HTTP after every step of the scripted day, so a newcomer
sees them arrive at the office.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from kiosk.alarms import office_refusal
from kiosk.app import App
from kiosk.clock import boot_id
from kiosk.demo_cars import CarWorld
from kiosk.demo_world import ISSUER, DemoWorld
from kiosk.passes import IssuerKey
from kiosk.vehicles.model import VehicleKind
from server import risklist
from server.exc import AlreadyExists
from server.local import Office, start_local_server
from server.models import Compound, EventRow, Household
from server.vehicles import Window, add_resident_car, invite_car
from server.web.demo import ADMIN, CLERK, PASSWORD, DemoLogins, seed
from server.web.timefmt import today
from sync.agent import AgentSettings, CycleResult, SyncAgent
from sync.client import Client
from sync.rejected import RejectedEvents


@dataclass
class DemoOffice:
    """The office side of the demo: its database, its URL and the kiosk's sync agent."""

    office: Office
    url: str
    agent: SyncAgent | None = None
    logins: DemoLogins | None = None  # the office web app's demo accounts, once registered

    @property
    def web_url(self) -> str:
        return f"{self.url}/office/"

    def signing_key(self) -> IssuerKey:
        return self.office.signing_key()

    def register(self, world: DemoWorld) -> None:
        """Tell the office about the demo community: compound and household colours.

        An office kept from an earlier run (``--data-dir``) already knows them: it is updated.
        """
        try:
            self.office.add_compound(world.compound, "Demo compound")
            kept = False
        except AlreadyExists:
            kept = True  # an office kept from an earlier session (kiosk sim --data-dir)
        for household_id, (colour, until) in world.households.items():
            with suppress(AlreadyExists):
                self.office.add_household(household_id, world.compound, colour)
            if until is not None:
                self.office.set_colour(household_id, colour, until)
        with self.office.session() as s:  # flats in all five colours, people, waiting sign-ups
            for number, household_id in enumerate(world.households):
                row = s.get(Household, household_id)
                assert row is not None
                row.building, row.unit, row.room = "4", "1", f"{101 + number}"  # the stories' flats
            if kept:
                self.logins = DemoLogins(CLERK, ADMIN, PASSWORD, world.compound)
            else:
                self.logins = seed(s, world.compound, world.now)

    def register_cars(self, cars: CarWorld) -> None:
        """Register the car day's cars as the clerk and the residents would, and import the
        city's risk list from a CSV file through the importer's preview and apply."""
        with self.office.session() as s:
            compound = next(iter(s.scalars(select(Compound))))
            now = datetime.now(UTC)
            day = today(now, compound.timezone)
            for vehicle in cars.vehicles.values():
                assert vehicle.household_id is not None
                if vehicle.kind is VehicleKind.VISITOR:
                    entries = vehicle.max_entries or 1
                    window = Window(day, day)
                    invite_car(s, vehicle.household_id, vehicle.plate, window, entries=entries,
                               now=now)  # fmt: skip
                else:
                    add_resident_car(s, vehicle.household_id, vehicle.plate, now=now)
            lines = ["车牌,地区,到访日期"] + [
                f"{r.plate},{r.area},{r.visited_on.isoformat()}" for r in cars.risks
            ]
            data = "\n".join(lines).encode("utf-8")
            found = risklist.preview(data, "city-risk-list.csv", compound, now)
            risklist.apply(s, compound, found, source="city-risk-list.csv", now=now)

    def connect(self, app: App) -> None:
        """Enroll the kiosk and give it a sync agent talking HTTP to this office."""
        device = app.config.device
        token = self.office.enroll_kiosk(device.id, device.compound)
        client = Client(self.url, token, app.config.sync.timeout_s)
        rejected = RejectedEvents(device.data_dir / "rejected.db")
        self.agent = SyncAgent(
            client,
            app.log,
            app.office,
            app.clock,
            rejected,
            boot_id=boot_id(),
            settings=AgentSettings(
                interval_s=app.config.sync.interval_s,
                batch_size=app.config.sync.batch_size,
                max_backoff_s=app.config.sync.max_backoff_s,
            ),
            report=app.kiosk.set_link_status,
            alarm=office_refusal(app.kiosk.alarms),
        )
        app.network.subscribe(self.agent.set_network)

    def start_agent(self) -> None:
        """Sync in the agent's own thread, as on a kiosk (the simulator uses this)."""
        assert self.agent is not None, "connect() first"
        self.agent.start()

    def stop_agent(self) -> None:
        if self.agent is not None:
            self.agent.stop()

    def sync(self) -> CycleResult:
        """One sync cycle, as the agent's thread would run it: upload, then download."""
        assert self.agent is not None, "connect() first"
        return self.agent.run_once()

    def events_received(self) -> int:
        with self.office.session() as s:
            return int(s.scalar(select(func.count()).select_from(EventRow)) or 0)


@contextmanager
def demo_office(folder: Path) -> Iterator[DemoOffice]:
    """An office database in ``folder`` served on 127.0.0.1 until the block ends."""
    office = Office.open(folder, issuer=ISSUER)
    url, stop = start_local_server(folder)
    try:
        yield DemoOffice(office, url)
    finally:
        stop()
