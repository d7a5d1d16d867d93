"""Properties of the rules over arbitrary households, histories and times."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import Policy
from kiosk.model import (
    ClockReading,
    Decision,
    Direction,
    History,
    HouseholdStatus,
    Mode,
    ReadingStatus,
    Reason,
    RiskColour,
    Role,
    TemperatureReading,
    Verdict,
)
from kiosk.rules import check_credential, decide
from tests.test_rules import POLICY, verified

MODES = [f.name for f in dataclasses.fields(Policy) if f.type in ("Mode", Mode)]
times = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2021, 1, 1), timezones=st.just(UTC)
)
households = st.builds(HouseholdStatus, st.sampled_from(RiskColour), st.none() | times)
histories = st.builds(
    History,
    st.none() | st.sampled_from(Direction),
    st.integers(0, 20),
    st.lists(times, max_size=5).map(tuple),
)


def all_modes(mode: Mode) -> Policy:
    return dataclasses.replace(POLICY, **dict.fromkeys(MODES, mode))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Situation:
    role: Role
    household: HouseholdStatus
    history: History
    at: datetime
    trusted: bool
    direction: Direction


situations = st.builds(
    Situation,
    st.sampled_from(Role),
    households,
    histories,
    times,
    st.booleans(),
    st.sampled_from(Direction),
)


def run(mode: Mode, s: Situation) -> Decision:
    return check_credential(
        verified(s.role, visitor_uses=3),
        compound="demo",
        history=s.history,
        household=s.household,
        policy=all_modes(mode),
        clock=ClockReading(s.at, 0.0, s.trusted),
        direction=s.direction,
    )


def test_every_mode_field_is_covered() -> None:
    assert len(MODES) == 9


@given(situations)
def test_rules_switched_off_never_refuse_a_valid_pass(s: Situation) -> None:
    assert run(Mode.OFF, s) == Decision(Verdict.ALLOW, Reason.OK)


@given(situations)
def test_soft_rules_never_refuse_only_alert(s: Situation) -> None:
    assert run(Mode.SOFT, s).verdict is Verdict.ALLOW


@given(situations)
def test_hard_rules_refuse_exactly_what_soft_rules_alert(s: Situation) -> None:
    hard, soft = run(Mode.HARD, s), run(Mode.SOFT, s)
    assert hard.alerts == ()
    assert (hard.verdict is Verdict.DENY) == bool(soft.alerts)
    if soft.alerts:
        assert hard.reason in soft.alerts


@given(st.floats(30, 45), st.integers(1, 3))
def test_no_fever_reading_at_or_above_threshold_opens_the_gate(
    celsius: float, attempt: int
) -> None:
    reading = TemperatureReading(ReadingStatus.OK, celsius)  # type: ignore[arg-type]
    decision = decide(
        verified(),
        reading,
        attempt,
        compound="demo",
        history=History(),
        household=HouseholdStatus(),
        policy=POLICY,
        clock=ClockReading(datetime(2020, 2, 10, tzinfo=UTC) + timedelta(hours=4), 0.0, True),
        direction=Direction.IN,
    )
    assert decision.opens_gate == (celsius < POLICY.fever_threshold_c)
