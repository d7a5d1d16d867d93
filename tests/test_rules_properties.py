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
from kiosk.passes import TrustList, Verifier
from kiosk.passes.issuer import IssuerKey, issue_pass
from kiosk.rules import check_credential, decide, over_interval
from tests.test_rules import POLICY, claims, verified

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


# --- an untrusted clock: validity over the interval of plausible times ------------------------

ISSUER = IssuerKey.generate("office-1")
VERIFIER = Verifier(TrustList((ISSUER.trusted_key(),)))
T = datetime(2020, 2, 10, 4, 0, tzinfo=UTC)
hours = st.integers(-24 * 400, 24 * 400).map(lambda h: timedelta(hours=h))


@given(hours, st.integers(1, 24 * 400), hours, st.integers(0, 24 * 400))
def test_untrusted_clock_never_admits_an_expired_pass_nor_refuses_a_valid_one(
    starts: timedelta, lasts_h: int, earliest: timedelta, width_h: int
) -> None:
    not_before, expires = T + starts, T + starts + timedelta(hours=lasts_h)
    low, high = T + earliest, T + earliest + timedelta(hours=width_h)
    pass_text = issue_pass(
        ISSUER,
        claims(
            issuer=ISSUER.issuer, not_before=not_before, issued_at=not_before, expires_at=expires
        ),
    )
    clock = ClockReading(high, 0.0, width_h == 0, earliest=low, latest=high)
    seen = over_interval(VERIFIER.verify(pass_text, low), VERIFIER.verify(pass_text, high), clock)
    decision = check_credential(
        seen,
        compound="demo",
        history=History(),
        household=HouseholdStatus(),
        policy=all_modes(Mode.OFF),
        clock=clock,
        direction=Direction.IN,
    )

    def valid_at(t: datetime) -> bool:
        return not_before <= t + VERIFIER.leeway and t < expires

    if decision.verdict is Verdict.ALLOW:
        assert valid_at(low) and valid_at(high)  # and so at every time between
    else:
        assert decision.verdict in (Verdict.DENY, Verdict.GUARD)
        if decision.verdict is Verdict.DENY:
            assert not valid_at(low) and not valid_at(high)
