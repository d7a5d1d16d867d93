"""Gate rules as scenario tables named after behaviours."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kiosk.config import Policy, load_config
from kiosk.model import (
    Celsius,
    ClockReading,
    Credential,
    CredentialKind,
    Decision,
    Direction,
    History,
    HouseholdStatus,
    Mode,
    PassClaims,
    ReadingStatus,
    Reason,
    RiskColour,
    Role,
    TemperatureReading,
    Verdict,
    Verification,
)
from kiosk.rules import check_credential, decide, in_curfew, over_interval

# 2020-02-10 12:00 in Shanghai.
NOON = datetime(2020, 2, 10, 4, 0, tzinfo=UTC)
NIGHT = datetime(2020, 2, 10, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
POLICY = load_config(None).policy


def claims(role: Role = Role.RESIDENT, **changes: Any) -> PassClaims:
    base = PassClaims(
        issuer="office-1",
        pass_id="P-1",
        issued_at=NOON - timedelta(days=1),
        not_before=NOON - timedelta(days=1),
        expires_at=NOON + timedelta(days=30),
        compounds=("demo",),
        household_id="H-301",
        role=role,
        holder_name="王小华",
    )
    return dataclasses.replace(base, **changes)


def verified(role: Role = Role.RESIDENT, **changes: Any) -> Verification:
    credential = Credential(CredentialKind.PASS, b"k1", claims=claims(role, **changes))
    return Verification(Reason.OK, credential)


HCERT_OK = Verification(Reason.OK, Credential(CredentialKind.HCERT, b"dsc", hcert={"v": []}))
NORMAL = TemperatureReading(ReadingStatus.OK, Celsius(36.6), samples=5)
HIGH = TemperatureReading(ReadingStatus.OK, Celsius(37.8), samples=5)


def policy(**changes: Any) -> Policy:
    return dataclasses.replace(POLICY, **changes)


def check(
    v: Verification | None = None,
    *,
    direction: Direction = Direction.IN,
    history: History | None = None,
    household: HouseholdStatus | None = None,
    rules: Policy = POLICY,
    at: datetime = NOON,
    trusted: bool = True,
    earliest: datetime | None = None,
    hcert: Verification | None = None,
) -> Decision:
    return check_credential(
        v or verified(),
        compound="demo",
        history=history or History(),
        household=household or HouseholdStatus(),
        policy=rules,
        clock=ClockReading(at, 100.0, trusted, earliest=earliest, latest=earliest and at),
        direction=direction,
        hcert=hcert,
    )


def measured(reading: TemperatureReading, attempt: int = 1, **kwargs: Any) -> Decision:
    return decide(
        verified(),
        reading,
        attempt,
        compound="demo",
        history=History(),
        household=HouseholdStatus(),
        policy=kwargs.get("rules", POLICY),
        clock=ClockReading(NOON, 100.0, True),
        direction=Direction.IN,
    )


def quarantined(days_left: float | None) -> HouseholdStatus:
    until = None if days_left is None else NOON + timedelta(days=days_left)
    return HouseholdStatus(RiskColour.RED, until)


# --- the credential itself -----------------------------------------------------------------------


@pytest.mark.parametrize("reason", [Reason.EXPIRED, Reason.REVOKED, Reason.BAD_SIGNATURE])
def test_invalid_pass_is_refused_with_its_reason(reason: Reason) -> None:
    decision = check(Verification(reason, detail="why"))
    assert decision == Decision(Verdict.DENY, reason, detail="why")


@pytest.mark.parametrize(
    ("at_earliest", "at_latest", "verdict", "reason"),
    [
        (Reason.OK, Reason.OK, Verdict.ALLOW, Reason.OK),  # valid at every plausible time
        (Reason.EXPIRED, Reason.EXPIRED, Verdict.DENY, Reason.EXPIRED),  # expired at every one
        (Reason.NOT_YET_VALID, Reason.NOT_YET_VALID, Verdict.DENY, Reason.NOT_YET_VALID),
        (Reason.OK, Reason.EXPIRED, Verdict.GUARD, Reason.CLOCK_UNTRUSTED),  # the clock decides
        (Reason.NOT_YET_VALID, Reason.OK, Verdict.GUARD, Reason.CLOCK_UNTRUSTED),
    ],
)
def test_untrusted_clock_neither_admits_an_expired_pass_nor_refuses_a_valid_one(
    at_earliest: Reason, at_latest: Reason, verdict: Verdict, reason: Reason
) -> None:
    clock = ClockReading(NOON + timedelta(days=365), 1.0, False, NOON, NOON + timedelta(days=365))
    credential = verified().credential
    combined = over_interval(
        Verification(at_earliest, credential), Verification(at_latest, credential), clock
    )
    decision = check(combined, trusted=False, rules=policy(untrusted_clock=Mode.OFF))
    assert (decision.verdict, decision.reason) == (verdict, reason)
    if verdict is Verdict.GUARD:
        assert "at 2020-02-10 04:00Z but" in decision.detail and "2021-02-09" in decision.detail


@pytest.mark.parametrize(
    ("certificate", "verdict", "reason"),
    [
        (HCERT_OK, Verdict.ALLOW, Reason.OK),
        (Verification(Reason.EXPIRED), Verdict.DENY, Reason.HCERT_REQUIRED),
        (
            Verification(Reason.CLOCK_UNTRUSTED, detail="ok at A but expired at B"),
            Verdict.GUARD,
            Reason.CLOCK_UNTRUSTED,
        ),  # the clock cannot tell: the guard checks, nobody is refused
    ],
)
def test_visitor_health_certificate_the_clock_cannot_judge_goes_to_the_guard(
    certificate: Verification, verdict: Verdict, reason: Reason
) -> None:
    decision = check(
        verified(Role.VISITOR),
        hcert=certificate,
        rules=policy(visitor_hcert=Mode.HARD, untrusted_clock=Mode.OFF),
        trusted=False,
    )
    assert (decision.verdict, decision.reason) == (verdict, reason)


def test_pass_for_another_compound_is_refused() -> None:
    decision = check(verified(compounds=("other",)))
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.WRONG_COMPOUND)


def test_health_certificate_alone_is_not_an_entry_pass() -> None:
    assert check(HCERT_OK).verdict is Verdict.DENY


def test_plain_resident_proceeds_to_measure_without_alerts() -> None:
    assert check() == Decision(Verdict.ALLOW, Reason.OK)


# --- quarantine ---------------------------------------------------------------------------------


def test_quarantined_household_cannot_leave_before_end() -> None:
    decision = check(direction=Direction.OUT, household=quarantined(3))
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.QUARANTINE)


def test_quarantined_household_may_come_home() -> None:
    assert check(direction=Direction.IN, household=quarantined(3)).verdict is Verdict.ALLOW


def test_quarantine_without_end_lasts_until_cleared() -> None:
    assert check(direction=Direction.OUT, household=quarantined(None)).reason is Reason.QUARANTINE


def test_quarantine_ends_offline_on_kiosk_clock() -> None:
    household = quarantined(3)
    after = NOON + timedelta(days=3, seconds=1)
    assert check(direction=Direction.OUT, household=household, at=after) == Decision(
        Verdict.ALLOW, Reason.OK
    )


@pytest.mark.parametrize(
    ("last_trusted_day", "clock_day", "trusted", "verdict", "reason"),
    [
        (20, 20, True, Verdict.ALLOW, Reason.OK),  # 14 days over on trusted time
        (0, 20, False, Verdict.DENY, Reason.QUARANTINE),  # a clock 20 days ahead ends nothing
        (13, 20, False, Verdict.DENY, Reason.QUARANTINE),  # trusted time is still before the end
        (15, 20, False, Verdict.ALLOW, Reason.OK),  # over even at the earliest plausible time
    ],
)
def test_quarantine_ends_only_on_trusted_time(
    last_trusted_day: int, clock_day: int, trusted: bool, verdict: Verdict, reason: Reason
) -> None:
    household = quarantined(14)
    earliest = None if trusted else NOON + timedelta(days=last_trusted_day)
    at = NOON + timedelta(days=clock_day)
    decision = check(
        direction=Direction.OUT, household=household, at=at, trusted=trusted, earliest=earliest
    )
    assert (decision.verdict, decision.reason) == (verdict, reason)


@pytest.mark.parametrize(
    ("mode", "verdict", "alerts"),
    [
        (Mode.HARD, Verdict.DENY, ()),
        (Mode.SOFT, Verdict.ALLOW, (Reason.QUARANTINE,)),
        (Mode.OFF, Verdict.ALLOW, ()),
    ],
)
def test_quarantine_modes(mode: Mode, verdict: Verdict, alerts: tuple[Reason, ...]) -> None:
    household = HouseholdStatus(RiskColour.ORANGE, NOON + timedelta(days=1))
    decision = check(direction=Direction.OUT, household=household, rules=policy(quarantine=mode))
    assert (decision.verdict, decision.alerts) == (verdict, alerts)


# --- household colours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "field", "mode", "verdict", "reason", "alerts"),
    [
        (RiskColour.GREEN, "empty_flat", Mode.SOFT, Verdict.ALLOW, Reason.OK, (Reason.EMPTY_FLAT,)),
        (RiskColour.GREEN, "empty_flat", Mode.HARD, Verdict.DENY, Reason.EMPTY_FLAT, ()),
        (RiskColour.GREEN, "empty_flat", Mode.OFF, Verdict.ALLOW, Reason.OK, ()),
        (RiskColour.YELLOW, "monitored", Mode.SOFT, Verdict.ALLOW, Reason.OK, (Reason.MONITORED,)),
        (RiskColour.YELLOW, "monitored", Mode.HARD, Verdict.DENY, Reason.MONITORED, ()),
        (RiskColour.YELLOW, "monitored", Mode.OFF, Verdict.ALLOW, Reason.OK, ()),
        (RiskColour.WHITE, "monitored", Mode.HARD, Verdict.ALLOW, Reason.OK, ()),
    ],
)
def test_household_colour_modes(
    colour: RiskColour,
    field: str,
    mode: Mode,
    verdict: Verdict,
    reason: Reason,
    alerts: tuple[Reason, ...],
) -> None:
    decision = check(household=HouseholdStatus(colour), rules=policy(**{field: mode}))
    assert (decision.verdict, decision.reason, decision.alerts) == (verdict, reason, alerts)


def test_soft_empty_flat_allows_with_alert() -> None:
    decision = check(household=HouseholdStatus(RiskColour.GREEN))
    assert decision.opens_gate and decision.alerts == (Reason.EMPTY_FLAT,)


def test_monitored_household_is_allowed_and_recorded() -> None:
    assert check(household=HouseholdStatus(RiskColour.YELLOW)).alerts == (Reason.MONITORED,)


# --- anti-passback --------------------------------------------------------------------------------


def test_reentry_after_exit_allowed() -> None:
    assert check(history=History(last_direction=Direction.OUT)).verdict is Verdict.ALLOW


def test_first_use_allowed() -> None:
    assert check(history=History(last_direction=None)).verdict is Verdict.ALLOW


def test_second_entry_without_exit_refused() -> None:
    decision = check(history=History(last_direction=Direction.IN))
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.ANTI_PASSBACK)


@pytest.mark.parametrize(
    ("last", "direction", "verdict"),
    [
        (Direction.IN, Direction.IN, Verdict.ALLOW),  # may have left by the button: let back in
        (Direction.OUT, Direction.OUT, Verdict.DENY),  # the button is no way out twice
    ],
)
def test_reentry_after_unidentified_exit_allowed(
    last: Direction, direction: Direction, verdict: Verdict
) -> None:
    history = History(last_direction=last, unidentified_exit_since=True)
    assert check(direction=direction, history=history).verdict is verdict


@pytest.mark.parametrize(
    ("mode", "verdict", "alerts"),
    [
        (Mode.SOFT, Verdict.ALLOW, (Reason.ANTI_PASSBACK,)),
        (Mode.OFF, Verdict.ALLOW, ()),
    ],
)
def test_anti_passback_soft_and_off(
    mode: Mode, verdict: Verdict, alerts: tuple[Reason, ...]
) -> None:
    history = History(last_direction=Direction.OUT)
    decision = check(direction=Direction.OUT, history=history, rules=policy(anti_passback=mode))
    assert (decision.verdict, decision.alerts) == (verdict, alerts)


# --- visitors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uses", "allowed", "mode", "verdict", "alerts"),
    [
        (2, 3, Mode.HARD, Verdict.ALLOW, ()),
        (3, 3, Mode.HARD, Verdict.DENY, ()),
        (3, 3, Mode.SOFT, Verdict.ALLOW, (Reason.VISITOR_LIMIT,)),
        (9, 3, Mode.OFF, Verdict.ALLOW, ()),
        (99, None, Mode.HARD, Verdict.ALLOW, ()),
    ],
)
def test_visitor_use_limit_on_entry(
    uses: int, allowed: int | None, mode: Mode, verdict: Verdict, alerts: tuple[Reason, ...]
) -> None:
    decision = check(
        verified(Role.VISITOR, visitor_uses=allowed),
        history=History(admitted_uses=uses),
        rules=policy(visitor_limit=mode),
    )
    assert (decision.verdict, decision.alerts) == (verdict, alerts)
    if verdict is Verdict.DENY:
        assert decision.reason is Reason.VISITOR_LIMIT


def test_visitor_over_the_limit_may_still_leave() -> None:
    v = verified(Role.VISITOR, visitor_uses=3)
    decision = check(v, direction=Direction.OUT, history=History(admitted_uses=3))
    assert decision.opens_gate


def test_naive_office_times_are_read_as_utc() -> None:
    household = HouseholdStatus(RiskColour.RED, datetime(2020, 2, 13, 4, 0))
    assert check(direction=Direction.OUT, household=household).reason is Reason.QUARANTINE
    later = NOON + timedelta(days=4)
    assert check(direction=Direction.OUT, household=household, at=later).opens_gate
    history = History(household_exits=(datetime(2020, 2, 10, 3, 0),))
    decision = check(direction=Direction.OUT, history=history, rules=policy(exit_quota=Mode.HARD))
    assert decision.reason is Reason.EXIT_QUOTA


HCERT_BAD = Verification(Reason.EXPIRED, detail="certificate expired")


@pytest.mark.parametrize(
    ("role", "direction", "hcert", "mode", "verdict", "alerts"),
    [
        (Role.VISITOR, Direction.IN, None, Mode.HARD, Verdict.DENY, ()),
        (Role.VISITOR, Direction.IN, HCERT_BAD, Mode.HARD, Verdict.DENY, ()),
        (Role.VISITOR, Direction.IN, HCERT_OK, Mode.HARD, Verdict.ALLOW, ()),
        (Role.VISITOR, Direction.IN, None, Mode.SOFT, Verdict.ALLOW, (Reason.HCERT_REQUIRED,)),
        (Role.VISITOR, Direction.IN, None, Mode.OFF, Verdict.ALLOW, ()),
        (Role.VISITOR, Direction.OUT, None, Mode.HARD, Verdict.ALLOW, ()),
        (Role.RESIDENT, Direction.IN, None, Mode.HARD, Verdict.ALLOW, ()),
    ],
)
def test_visitor_health_certificate(
    role: Role,
    direction: Direction,
    hcert: Verification | None,
    mode: Mode,
    verdict: Verdict,
    alerts: tuple[Reason, ...],
) -> None:
    decision = check(
        verified(role), direction=direction, hcert=hcert, rules=policy(visitor_hcert=mode)
    )
    assert (decision.verdict, decision.alerts) == (verdict, alerts)
    if verdict is Verdict.DENY:
        assert decision.reason is Reason.HCERT_REQUIRED


# --- curfew ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "direction", "at", "verdict"),
    [
        (Role.RESIDENT, Direction.IN, NIGHT, Verdict.ALLOW),  # may come home
        (Role.RESIDENT, Direction.OUT, NIGHT, Verdict.DENY),
        (Role.RESIDENT, Direction.OUT, NOON, Verdict.ALLOW),
        (Role.VISITOR, Direction.IN, NIGHT, Verdict.DENY),
        (Role.VISITOR, Direction.OUT, NIGHT, Verdict.ALLOW),  # may go home
        (Role.DELIVERY, Direction.IN, NIGHT, Verdict.DENY),
        (Role.STAFF, Direction.OUT, NIGHT, Verdict.ALLOW),  # exempt
        (Role.STAFF, Direction.IN, NIGHT, Verdict.ALLOW),
    ],
)
def test_curfew_hard(role: Role, direction: Direction, at: datetime, verdict: Verdict) -> None:
    decision = check(verified(role), direction=direction, at=at, rules=policy(curfew=Mode.HARD))
    assert decision.verdict is verdict
    if verdict is Verdict.DENY:
        assert decision.reason is Reason.CURFEW


def test_curfew_soft_alerts_and_off_skips() -> None:
    soft = check(direction=Direction.OUT, at=NIGHT, rules=policy(curfew=Mode.SOFT))
    assert soft.opens_gate and soft.alerts == (Reason.CURFEW,)
    assert check(direction=Direction.OUT, at=NIGHT) == Decision(Verdict.ALLOW, Reason.OK)


@pytest.mark.parametrize(
    ("local_hour", "expected"),
    [(21, False), (22, True), (23, True), (0, True), (5, True), (6, False), (12, False)],
)
def test_curfew_window_spans_midnight_in_local_time(local_hour: int, expected: bool) -> None:
    wall = datetime(2020, 2, 10, local_hour, 30, tzinfo=UTC) - timedelta(hours=8)
    assert in_curfew(POLICY, wall) is expected


# --- exit quota -----------------------------------------------------------------------------------


def exits(*hours_ago: float) -> History:
    return History(household_exits=tuple(NOON - timedelta(hours=h) for h in hours_ago))


@pytest.mark.parametrize(
    ("history", "members", "mode", "verdict", "alerts"),
    [
        (exits(), 1, Mode.HARD, Verdict.ALLOW, ()),
        (exits(30), 1, Mode.HARD, Verdict.DENY, ()),
        (exits(49), 1, Mode.HARD, Verdict.ALLOW, ()),  # older than two days
        (exits(1, 30), 3, Mode.HARD, Verdict.ALLOW, ()),
        (exits(30), 1, Mode.SOFT, Verdict.ALLOW, (Reason.EXIT_QUOTA,)),
        (exits(1, 2, 3), 1, Mode.OFF, Verdict.ALLOW, ()),
    ],
)
def test_exit_quota_per_household(
    history: History, members: int, mode: Mode, verdict: Verdict, alerts: tuple[Reason, ...]
) -> None:
    rules = policy(exit_quota=mode, exit_quota_members=members)
    decision = check(direction=Direction.OUT, history=history, rules=rules)
    assert (decision.verdict, decision.alerts) == (verdict, alerts)
    if verdict is Verdict.DENY:
        assert decision.reason is Reason.EXIT_QUOTA


def test_exit_quota_does_not_stop_coming_home() -> None:
    rules = policy(exit_quota=Mode.HARD)
    assert check(direction=Direction.IN, history=exits(1, 2), rules=rules).opens_gate


# --- clock ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "verdict", "alerts"),
    [
        (Mode.SOFT, Verdict.ALLOW, (Reason.CLOCK_UNTRUSTED,)),
        (Mode.HARD, Verdict.DENY, ()),
        (Mode.OFF, Verdict.ALLOW, ()),
    ],
)
def test_untrusted_clock_modes(mode: Mode, verdict: Verdict, alerts: tuple[Reason, ...]) -> None:
    decision = check(trusted=False, rules=policy(untrusted_clock=mode))
    assert (decision.verdict, decision.alerts) == (verdict, alerts)


def test_soft_alerts_accumulate_and_survive_a_hard_denial() -> None:
    decision = check(
        household=HouseholdStatus(RiskColour.YELLOW),
        history=History(last_direction=Direction.IN),
        trusted=False,
    )
    assert decision.verdict is Verdict.DENY and decision.reason is Reason.ANTI_PASSBACK
    assert decision.alerts == (Reason.MONITORED, Reason.CLOCK_UNTRUSTED)


# --- temperature ----------------------------------------------------------------------------------


def test_normal_temperature_opens_the_gate() -> None:
    decision = measured(NORMAL)
    assert decision.opens_gate and "36.6 °C" in decision.detail


def test_fever_remeasured_once_then_refused() -> None:
    first = measured(HIGH, attempt=1)
    second = measured(HIGH, attempt=2)
    assert (first.verdict, first.reason) == (Verdict.REMEASURE, Reason.REMEASURE)
    assert (second.verdict, second.reason) == (Verdict.DENY, Reason.FEVER)


def test_high_then_normal_on_remeasure_is_allowed() -> None:
    assert measured(NORMAL, attempt=2).opens_gate


def test_fever_refused_at_once_without_remeasure() -> None:
    decision = measured(HIGH, attempt=1, rules=policy(remeasure=False))
    assert decision.reason is Reason.FEVER


def test_threshold_itself_counts_as_fever() -> None:
    at_threshold = TemperatureReading(ReadingStatus.OK, Celsius(37.3))
    assert measured(at_threshold, attempt=2).reason is Reason.FEVER


def test_sensor_fault_calls_the_guard() -> None:
    fault = TemperatureReading(ReadingStatus.FAULT, detail="I2C read failed")
    decision = measured(fault)
    assert (decision.verdict, decision.reason, decision.detail) == (
        Verdict.GUARD,
        Reason.SENSOR_FAULT,
        "I2C read failed",
    )


def test_nobody_at_the_thermometer_is_asked_to_step_closer() -> None:
    decision = measured(TemperatureReading(ReadingStatus.NO_FOREHEAD))
    assert (decision.verdict, decision.reason) == (Verdict.DENY, Reason.NO_FOREHEAD)


def test_credential_refusal_comes_before_temperature() -> None:
    decision = decide(
        Verification(Reason.REVOKED),
        NORMAL,
        1,
        compound="demo",
        history=History(),
        household=HouseholdStatus(),
        policy=POLICY,
        clock=ClockReading(NOON, 0.0, True),
        direction=Direction.IN,
    )
    assert decision.reason is Reason.REVOKED


def test_alerts_carry_through_to_the_final_decision() -> None:
    decision = decide(
        verified(),
        NORMAL,
        1,
        compound="demo",
        history=History(),
        household=HouseholdStatus(RiskColour.GREEN),
        policy=POLICY,
        clock=ClockReading(NOON, 0.0, True),
        direction=Direction.IN,
    )
    assert decision.opens_gate and decision.alerts == (Reason.EMPTY_FLAT,)
