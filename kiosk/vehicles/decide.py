"""The car gate's rules: a confirmed plate and what the office knows of it → a ``Decision``.

Pure, like kiosk.rules, whose rules it reuses: a registered vehicle is judged as a pass of its
kind would be (a resident car by its household's colour, a visitor car by its entries, a
service vehicle as delivery), with the same policy and the same history (its ``vehicle_id``
is the pass id in the log and the compound's passages). On top of that:

- Risk list: a plate the city reported in a high-risk area within ``vehicle_risk_days`` of
  now, entering, goes to the guard or is refused (``vehicle_risk``). The days are counted at
  the earliest plausible time (a clock running ahead shortens no window). Leaving is never
  stopped by it: the car takes nothing into the compound on its way out.
- A look-alike of a risk-list plate: a plate read as one the list does not hold, but one
  look-alike character (8/B, 0/D ...) away from one it does, may be that car read wrong the
  same way twice; it goes to the guard (never refused: it may be the innocent plate it reads
  as), whatever the registry says of the plate read.
- Window: a vehicle registered for a time window (visitor, service, or a resident car with an
  end date) enters only inside it; checked at both ends of the clock's plausible interval,
  and a clock that cannot tell sends the car to the guard. Nobody is kept inside by a window.
- A visitor car to a red/orange household: the quarantine mode, as for a visitor registered
  by hand (kiosk.rules.visitor_decision).
- An unknown plate: the guard (who can register it as a visitor vehicle); one the risk list
  holds goes to the guard as a risk-list car (flagged unknown), so the guard's alarm says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from kiosk.config import Policy
from kiosk.model import (
    ClockReading,
    Decision,
    Direction,
    History,
    HouseholdStatus,
    PassClaims,
    Reason,
    Role,
    Verdict,
)
from kiosk.rules import QUARANTINE_COLOURS, VEHICLE_RULES, Context, Finding, judge
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind

__all__ = ["VehicleBook", "decide_vehicle", "role_of"]

ROLES = {
    VehicleKind.RESIDENT: Role.RESIDENT,
    VehicleKind.VISITOR: Role.VISITOR,
    VehicleKind.SERVICE: Role.DELIVERY,
}
FAR_PAST = datetime(2000, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)


class VehicleBook(Protocol):
    """What the car gate asks of the office's cached data (kiosk.office.OfficeData)."""

    def vehicle(self, plate: str) -> Vehicle | None: ...

    def risk_report(self, plate: str) -> RiskReport | None: ...


def role_of(vehicle: Vehicle) -> Role:
    """The role whose rules a vehicle of this kind follows."""
    return ROLES[vehicle.kind]


def decide_vehicle(
    plate: str,
    vehicle: Vehicle | None,
    risk: RiskReport | None,
    *,
    lookalike: RiskReport | None = None,
    compound: str,
    history: History,
    household: HouseholdStatus,
    policy: Policy,
    clock: ClockReading,
    direction: Direction,
) -> Decision:
    """The car gate's decision on ``plate`` (already confirmed and in normal form).

    ``risk`` is the risk list's report of ``plate``; ``lookalike`` its report of a plate one
    look-alike character away (kiosk.plates.formats.lookalikes), when it holds none of ``plate``."""
    risky = _risk(risk, policy, clock, direction) or _lookalike(
        plate, lookalike, policy, clock, direction
    )
    if risky is not None and risky.verdict is Verdict.DENY:
        return risky
    if vehicle is None and risky is not None:
        # The guard may register it: the alarm and the driver's screen say what weighs most.
        return Decision(Verdict.GUARD, risky.reason, (Reason.VEHICLE_UNKNOWN,), risky.detail)
    if vehicle is None:
        return Decision(Verdict.GUARD, Reason.VEHICLE_UNKNOWN, detail=f"plate {plate}")
    window = _window(vehicle, clock, direction)
    if window is not None:
        return window
    context = _context(vehicle, compound, history, household, policy, clock, direction)
    visiting = _visiting_quarantine(vehicle, household, policy, direction)
    decision = judge(context, VEHICLE_RULES, visiting)
    if risky is not None and decision.verdict is Verdict.ALLOW:
        return Decision(Verdict.GUARD, risky.reason, decision.alerts, risky.detail)
    return decision


def _risk(
    risk: RiskReport | None, policy: Policy, clock: ClockReading, direction: Direction
) -> Decision | None:
    if risk is None or direction is not Direction.IN or policy.vehicle_risk == "off":
        return None
    earliest, _ = clock.span
    since = earliest.date() - timedelta(days=policy.vehicle_risk_days)
    if risk.visited_on < since:
        return None
    detail = f"reported in {risk.area} on {risk.visited_on.isoformat()} ({risk.source})"
    verdict = Verdict.DENY if policy.vehicle_risk == "refuse" else Verdict.GUARD
    return Decision(verdict, Reason.VEHICLE_RISK_AREA, detail=detail)


def _lookalike(
    plate: str,
    risk: RiskReport | None,
    policy: Policy,
    clock: ClockReading,
    direction: Direction,
) -> Decision | None:
    found = _risk(risk, policy, clock, direction)
    if found is None or risk is None:
        return None
    detail = f"read as {plate}, one look-alike character from {risk.plate}: {found.detail}"
    return Decision(Verdict.GUARD, Reason.VEHICLE_RISK_AREA, detail=detail)


def _window(vehicle: Vehicle, clock: ClockReading, direction: Direction) -> Decision | None:
    if direction is not Direction.IN:
        return None
    start = vehicle.valid_from or FAR_PAST
    end = vehicle.valid_until or FAR_FUTURE
    inside = [start <= t < end for t in clock.span]
    if all(inside):
        return None
    shown = f"registered {_shown(vehicle.valid_from)} to {_shown(vehicle.valid_until)}"
    if any(inside):
        return Decision(Verdict.GUARD, Reason.CLOCK_UNTRUSTED, detail=f"{shown}; clock unsure")
    return Decision(Verdict.DENY, Reason.VEHICLE_WINDOW, detail=shown)


def _shown(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _context(
    vehicle: Vehicle,
    compound: str,
    history: History,
    household: HouseholdStatus,
    policy: Policy,
    clock: ClockReading,
    direction: Direction,
) -> Context:
    """The vehicle as the claims of a pass of its kind, for kiosk.rules' rules."""
    claims = PassClaims(
        issuer="office",
        pass_id=vehicle.vehicle_id,
        issued_at=vehicle.valid_from or FAR_PAST,
        not_before=vehicle.valid_from or FAR_PAST,
        expires_at=vehicle.valid_until or FAR_FUTURE,
        compounds=(compound,),
        household_id=vehicle.household_id or "",
        role=role_of(vehicle),
        holder_name=vehicle.plate,
        visitor_uses=vehicle.max_entries if vehicle.kind is VehicleKind.VISITOR else None,
    )
    return Context(claims, compound, history, household, policy, clock, direction, None)


def _visiting_quarantine(
    vehicle: Vehicle, household: HouseholdStatus, policy: Policy, direction: Direction
) -> Finding | None:
    if vehicle.kind is VehicleKind.RESIDENT or direction is not Direction.IN:
        return None
    if household.colour not in QUARANTINE_COLOURS:
        return None
    detail = f"visiting household {vehicle.household_id} in quarantine"
    return Finding(Reason.QUARANTINE, policy.quarantine, detail)
