"""The car gate's rules as scenario tables named after behaviours (kiosk.vehicles.decide)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from kiosk.config import load_config
from kiosk.model import (
    ClockReading,
    Direction,
    History,
    HouseholdStatus,
    Mode,
    Reason,
    RiskColour,
    Verdict,
)
from kiosk.vehicles.decide import decide_vehicle
from kiosk.vehicles.model import RiskReport, Vehicle, VehicleKind

NOON = datetime(2020, 2, 10, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
POLICY = load_config(None).policy
IN, OUT = Direction.IN, Direction.OUT
RED = HouseholdStatus(RiskColour.RED, NOON + timedelta(days=7))
GREEN = HouseholdStatus(RiskColour.GREEN)
WHITE = HouseholdStatus()
NO_HISTORY = History()

RESIDENT = Vehicle("v-1", "京A12345", VehicleKind.RESIDENT, household_id="3-2-501")
VISITOR = Vehicle(
    "v-2",
    "京B23456",
    VehicleKind.VISITOR,
    household_id="3-2-501",
    valid_from=NOON - timedelta(hours=1),
    valid_until=NOON + timedelta(hours=3),
    max_entries=2,
)
SERVICE = Vehicle(
    "v-3",
    "京C34567",
    VehicleKind.SERVICE,
    valid_from=NOON - timedelta(hours=1),
    valid_until=NOON + timedelta(hours=1),
    note="快递",
)


def risk(days_ago: int) -> RiskReport:
    return RiskReport("京A12345", "武汉", (NOON - timedelta(days=days_ago)).date(), "city.csv")


def clock(
    at: datetime = NOON, *, earliest: datetime | None = None, trusted: bool = True
) -> ClockReading:
    return ClockReading(wall=at, monotonic=0.0, trusted=trusted, earliest=earliest)


def decide(
    vehicle: Vehicle | None,
    *,
    report: RiskReport | None = None,
    lookalike: RiskReport | None = None,
    household: HouseholdStatus = WHITE,
    history: History = NO_HISTORY,
    direction: Direction = IN,
    at: ClockReading | None = None,
    **policy: Any,
) -> tuple[Verdict, Reason, tuple[Reason, ...]]:
    decision = decide_vehicle(
        vehicle.plate if vehicle else "京Z99999",
        vehicle,
        report,
        lookalike=lookalike,
        compound="demo",
        history=history,
        household=household,
        policy=dataclasses.replace(POLICY, **policy),
        clock=at or clock(),
        direction=direction,
    )
    return decision.verdict, decision.reason, decision.alerts


ALLOW, DENY, GUARD = Verdict.ALLOW, Verdict.DENY, Verdict.GUARD

CASES: dict[str, tuple[dict[str, Any], tuple[Verdict, Reason, tuple[Reason, ...]]]] = {
    "resident_car_comes_home": ({"vehicle": RESIDENT}, (ALLOW, Reason.OK, ())),
    "resident_car_leaves": ({"vehicle": RESIDENT, "direction": OUT}, (ALLOW, Reason.OK, ())),
    "quarantined_household_car_does_not_leave": (
        {"vehicle": RESIDENT, "household": RED, "direction": OUT},
        (DENY, Reason.QUARANTINE, ()),
    ),
    "quarantined_household_car_may_come_home": (
        {"vehicle": RESIDENT, "household": RED},
        (ALLOW, Reason.OK, ()),
    ),
    "quarantine_over_car_leaves": (
        {
            "vehicle": RESIDENT,
            "household": RED,
            "direction": OUT,
            "at": clock(NOON + timedelta(days=8)),
        },
        (ALLOW, Reason.OK, ()),
    ),
    "empty_flat_car_raises_an_alert": (
        {"vehicle": RESIDENT, "household": GREEN},
        (ALLOW, Reason.OK, (Reason.EMPTY_FLAT,)),
    ),
    "car_in_twice_is_anti_passback": (
        {"vehicle": RESIDENT, "history": History(last_direction=IN)},
        (DENY, Reason.ANTI_PASSBACK, ()),
    ),
    "visitor_car_in_its_window": ({"vehicle": VISITOR}, (ALLOW, Reason.OK, ())),
    "visitor_car_before_its_window": (
        {"vehicle": VISITOR, "at": clock(NOON - timedelta(hours=2))},
        (DENY, Reason.VEHICLE_WINDOW, ()),
    ),
    "visitor_car_after_its_window": (
        {"vehicle": VISITOR, "at": clock(NOON + timedelta(hours=4))},
        (DENY, Reason.VEHICLE_WINDOW, ()),
    ),
    "visitor_car_leaves_after_its_window": (
        {"vehicle": VISITOR, "direction": OUT, "at": clock(NOON + timedelta(hours=4))},
        (ALLOW, Reason.OK, ()),
    ),
    "visitor_car_window_the_clock_cannot_tell_goes_to_the_guard": (
        {
            "vehicle": VISITOR,
            "at": clock(NOON + timedelta(hours=4), earliest=NOON, trusted=False),
        },
        (GUARD, Reason.CLOCK_UNTRUSTED, ()),
    ),
    "visitor_car_entries_used_up": (
        {"vehicle": VISITOR, "history": History(last_direction=OUT, admitted_uses=2)},
        (DENY, Reason.VISITOR_LIMIT, ()),
    ),
    "visitor_car_second_entry_allowed": (
        {"vehicle": VISITOR, "history": History(last_direction=OUT, admitted_uses=1)},
        (ALLOW, Reason.OK, ()),
    ),
    "visitor_car_to_quarantined_household_refused": (
        {"vehicle": VISITOR, "household": RED},
        (DENY, Reason.QUARANTINE, ()),
    ),
    "service_vehicle_in_its_window": ({"vehicle": SERVICE}, (ALLOW, Reason.OK, ())),
    "service_vehicle_after_its_window": (
        {"vehicle": SERVICE, "at": clock(NOON + timedelta(hours=2))},
        (DENY, Reason.VEHICLE_WINDOW, ()),
    ),
    "risk_list_car_goes_to_the_guard": (
        {"vehicle": RESIDENT, "report": risk(3)},
        (GUARD, Reason.VEHICLE_RISK_AREA, ()),
    ),
    "risk_list_car_refused_when_policy_refuses": (
        {"vehicle": RESIDENT, "report": risk(3), "vehicle_risk": "refuse"},
        (DENY, Reason.VEHICLE_RISK_AREA, ()),
    ),
    "risk_list_report_older_than_the_window_is_ignored": (
        {"vehicle": RESIDENT, "report": risk(15)},
        (ALLOW, Reason.OK, ()),
    ),
    "risk_list_report_on_the_last_day_of_the_window_counts": (
        {"vehicle": RESIDENT, "report": risk(14)},
        (GUARD, Reason.VEHICLE_RISK_AREA, ()),
    ),
    "risk_window_counted_at_the_earliest_plausible_time": (
        {
            "vehicle": RESIDENT,
            "report": risk(20),
            "at": clock(NOON, earliest=NOON - timedelta(days=10), trusted=False),
            "untrusted_clock": Mode.OFF,
        },
        (GUARD, Reason.VEHICLE_RISK_AREA, ()),
    ),
    "risk_list_does_not_keep_a_car_inside": (
        {"vehicle": RESIDENT, "report": risk(3), "direction": OUT, "vehicle_risk": "refuse"},
        (ALLOW, Reason.OK, ()),
    ),
    "risk_list_off": (
        {"vehicle": RESIDENT, "report": risk(3), "vehicle_risk": "off"},
        (ALLOW, Reason.OK, ()),
    ),
    "risk_list_refusal_beats_a_refusal_of_the_rules": (
        {
            "vehicle": RESIDENT,
            "report": risk(3),
            "vehicle_risk": "refuse",
            "history": History(last_direction=IN),
        },
        (DENY, Reason.VEHICLE_RISK_AREA, ()),
    ),
    "unknown_plate_goes_to_the_guard": ({"vehicle": None}, (GUARD, Reason.VEHICLE_UNKNOWN, ())),
    "unknown_risk_list_plate_goes_to_the_guard_flagged": (
        {"vehicle": None, "report": risk(3)},
        (GUARD, Reason.VEHICLE_RISK_AREA, (Reason.VEHICLE_UNKNOWN,)),
    ),
    "unknown_risk_list_plate_refused_when_policy_refuses": (
        {"vehicle": None, "report": risk(3), "vehicle_risk": "refuse"},
        (DENY, Reason.VEHICLE_RISK_AREA, ()),
    ),
    # A risk-list car read the same wrong way twice as a resident's plate: not let in.
    "resident_plate_lookalike_of_risk_plate_goes_to_guard": (
        {"vehicle": RESIDENT, "lookalike": risk(3)},
        (GUARD, Reason.VEHICLE_RISK_AREA, ()),
    ),
    # ... nor refused: the car may be the resident's own.
    "lookalike_is_guard_even_when_policy_refuses": (
        {"vehicle": RESIDENT, "lookalike": risk(3), "vehicle_risk": "refuse"},
        (GUARD, Reason.VEHICLE_RISK_AREA, ()),
    ),
    "lookalike_of_an_old_report_is_let_in": (
        {"vehicle": RESIDENT, "lookalike": risk(30)},
        (ALLOW, Reason.OK, ()),
    ),
    "lookalike_leaving_is_not_stopped": (
        {"vehicle": RESIDENT, "lookalike": risk(3), "direction": OUT},
        (ALLOW, Reason.OK, ()),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_vehicle_decision(case: str) -> None:
    inputs, expected = CASES[case]
    assert decide(**inputs) == expected


def test_risk_detail_names_the_area_the_date_and_the_list() -> None:
    decision = decide_vehicle(
        "京A12345",
        RESIDENT,
        risk(3),
        compound="demo",
        history=History(),
        household=WHITE,
        policy=POLICY,
        clock=clock(),
        direction=IN,
    )
    assert decision.detail == f"reported in 武汉 on {date(2020, 2, 7).isoformat()} (city.csv)"


def test_lookalike_detail_names_the_plate_read_and_the_listed_one() -> None:
    listed = dataclasses.replace(risk(3), plate="京A1234S")
    decision = decide_vehicle(
        "京A12345",
        RESIDENT,
        None,
        lookalike=listed,
        compound="demo",
        history=History(),
        household=WHITE,
        policy=POLICY,
        clock=clock(),
        direction=IN,
    )
    assert decision.detail.startswith("read as 京A12345, one look-alike character from 京A1234S")
