"""From a confirmed plate to a decision: the office's registry and risk list, the vehicle's
history in the log and the compound's passages, the car gate's rules. Reads; writes nothing
and moves no hardware (the vehicle lane's counterpart of kiosk.admission)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Protocol

from kiosk.admission import on_complete_data
from kiosk.config import Policy
from kiosk.model import (
    ClockReading,
    Decision,
    Direction,
    History,
    HouseholdStatus,
    Reason,
    Verdict,
)
from kiosk.plates.formats import lookalikes
from kiosk.session import Session
from kiosk.store import EventLog
from kiosk.vehicles.decide import VehicleBook, decide_vehicle
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind
from kiosk.view import RegisterVisitor

__all__ = ["VehicleAdmission", "VehicleOffice"]

REGISTERED_FOR = timedelta(hours=24)  # a vehicle the guard registered may come in for a day


class VehicleOffice(VehicleBook, Protocol):
    """The office cache as the car gate reads it (kiosk.office.OfficeData)."""

    def household(self, household_id: str) -> HouseholdStatus: ...

    def complete(self) -> bool: ...


class VehicleAdmission:
    """The car gate's rules applied to the vehicle in front of the barrier.

    ``needs_download``: as for people (kiosk.admission), a kiosk that syncs lifts the barrier
    on its own only once its office data are complete; until then the guard decides."""

    def __init__(
        self,
        compound: str,
        *,
        events: EventLog,
        office: VehicleOffice,
        policy: Callable[[], Policy],
        needs_download: bool = False,
    ) -> None:
        self._compound, self._events, self._office = compound, events, office
        self._policy, self._needs_download = policy, needs_download

    def session(self, plate: str, now: ClockReading) -> Session:
        """The vehicle at the barrier: its registration, its household and its history."""
        vehicle = self._office.vehicle(plate)
        household_id = vehicle.household_id if vehicle else None
        household = self._office.household(household_id) if household_id else HouseholdStatus()
        history = History()
        if vehicle is not None:
            window = timedelta(days=self._policy().exit_quota_days)
            history = self._events.history(
                vehicle.vehicle_id, household_id, self._compound, now.wall, window
            )
        return Session(plate, None, None, household, history, plate=plate, vehicle=vehicle)

    def decide(self, session: Session, now: ClockReading, direction: Direction) -> Decision:
        """The barrier's decision for ``session``'s vehicle. A car let in whose plate is one
        look-alike character from another registered car that would not be let in goes to the
        guard: the reader may have taken that car for this one."""
        decision = self._decide(session, now, direction)
        if decision.verdict is not Verdict.ALLOW or session.plate is None:
            return decision
        for other in sorted(lookalikes(session.plate)):
            if self._office.vehicle(other) is None:
                continue
            theirs = self._decide(self.session(other, now), now, direction)
            if theirs.verdict is not Verdict.ALLOW:
                detail = (
                    f"read as {session.plate}; {other}, one look-alike character away, is "
                    f"registered too and would not be let in ({theirs.reason})"
                )
                return Decision(Verdict.GUARD, Reason.VEHICLE_LOOKALIKE, decision.alerts, detail)
        return decision

    def _decide(self, session: Session, now: ClockReading, direction: Direction) -> Decision:
        assert session.plate is not None
        risk = self._office.risk_report(session.plate)
        decision = decide_vehicle(
            session.plate,
            session.vehicle,
            risk,
            lookalike=None if risk is not None else self._lookalike_risk(session.plate),
            compound=self._compound,
            history=session.history,
            household=session.household,
            policy=self._policy(),
            clock=now,
            direction=direction,
        )
        return self._known(decision)

    def register(
        self,
        unknown: Session,
        visitor: RegisterVisitor,
        vehicle_id: str,
        now: ClockReading,
        direction: Direction,
    ) -> tuple[Session, Decision]:
        """An unknown plate the guard registered as ``visitor``'s vehicle: a visitor vehicle of
        one entry for today, under ``vehicle_id``, decided by the visitor rules (the
        destination's quarantine, curfew); the risk list's alert was the guard's to weigh."""
        assert unknown.plate is not None
        vehicle = Vehicle(
            vehicle_id,
            unknown.plate,
            VehicleKind.VISITOR,
            household_id=visitor.household_id,
            valid_from=now.span[0],
            valid_until=now.span[1] + REGISTERED_FOR,
            max_entries=1,
            note=visitor.reason,
        )
        household = self._office.household(visitor.household_id)
        session = Session(
            unknown.plate, None, None, household, History(), visitor=visitor,
            plate=unknown.plate, vehicle=vehicle,
        )  # fmt: skip
        decision = decide_vehicle(
            unknown.plate,
            vehicle,
            None,
            compound=self._compound,
            history=session.history,
            household=household,
            policy=self._policy(),
            clock=now,
            direction=direction,
        )
        if decision.verdict is Verdict.ALLOW:
            decision = replace(decision, reason=Reason.VEHICLE_REGISTERED)
        return session, decision

    def _lookalike_risk(self, plate: str) -> RiskReport | None:
        """The risk list's latest report of a plate one look-alike character from ``plate``."""
        reports = [self._office.risk_report(other) for other in lookalikes(plate)]
        found = [r for r in reports if r is not None]
        return max(found, key=lambda r: (r.visited_on, r.plate), default=None)

    def _known(self, decision: Decision) -> Decision:
        return on_complete_data(
            decision, self._needs_download, self._office.complete, "vehicles and risk list"
        )
