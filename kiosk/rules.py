"""The community's gate rules: pure functions from what the kiosk knows to a ``Decision``.

No I/O and no clock reads here: the caller passes the verification, the local history, the
household's status, the policy and a clock reading, so every rule is a table-testable function.

Each rule looks at a ``Context`` and returns a ``Finding`` (reason + the policy mode that
applies) or None. A hard finding denies; soft findings become alerts on the decision; rules
whose mode is off are skipped. ``check_credential`` runs them before measuring (its ALLOW means
"proceed to measure"); ``decide`` adds the temperature.

Choices made here (see docs/configuration.md, [policy]):
- A red/orange household may always come home; leaving is refused until ``quarantine_until``
  has passed at every plausible time (the earliest time the kiosk's clock allows, which is
  trusted time carried forward: a clock running ahead ends no quarantine). No end date means
  "until the office clears it". After the end the household counts as white, even before the
  office's update arrives.
- A credential is checked at both ends of the clock's interval of plausible times
  (``over_interval``): the same answer at both ends is the answer; different answers mean
  the clock cannot tell, and the guard decides (docs/gate-rules.md).
- Curfew: residents may come home but not leave; visitors and delivery may leave but not
  enter; staff are exempt (they run the checkpoint around the clock).
- Exit quota counts the household's admitted exits in the last ``exit_quota_days`` days and
  applies to residents leaving.
- Visitor health certificates and the visitor use limit apply to visitors entering: nobody is
  kept inside by them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.config import Policy
from kiosk.model import (
    ClockReading,
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

__all__ = [
    "VEHICLE_RULES",
    "Context",
    "Finding",
    "Policy",
    "check_credential",
    "decide",
    "judge",
    "over_interval",
    "temperature_decision",
    "visitor_decision",
]

QUARANTINE_COLOURS = frozenset({RiskColour.RED, RiskColour.ORANGE})


@dataclass(frozen=True, slots=True)
class Context:
    """Everything one decision may look at; ``claims`` is the verified pass's claims."""

    claims: PassClaims
    compound: str
    history: History
    household: HouseholdStatus
    policy: Policy
    clock: ClockReading
    direction: Direction
    hcert: Verification | None


@dataclass(frozen=True, slots=True)
class Finding:
    reason: Reason
    mode: Mode
    detail: str = ""


Rule = Callable[[Context], Finding | None]


def _quarantine(c: Context) -> Finding | None:
    if c.direction is not Direction.OUT or c.household.colour not in QUARANTINE_COLOURS:
        return None
    until = c.household.quarantine_until
    earliest, _ = c.clock.span
    if until is not None and earliest >= _aware(until):
        return None
    end = until.isoformat() if until else "cleared by the office"
    return Finding(Reason.QUARANTINE, c.policy.quarantine, f"quarantine until {end}")


def _aware(moment: datetime) -> datetime:
    """Office data should carry UTC offsets; a naive time is read as UTC rather than crash."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _colour(c: Context) -> Finding | None:
    if c.household.colour is RiskColour.YELLOW:
        return Finding(Reason.MONITORED, c.policy.monitored)
    if c.household.colour is RiskColour.GREEN:
        return Finding(Reason.EMPTY_FLAT, c.policy.empty_flat, "household registered as empty")
    return None


def _anti_passback(c: Context) -> Finding | None:
    if c.history.last_direction is not c.direction:
        return None
    if c.direction is Direction.IN and c.history.unidentified_exit_since:
        return None  # they may have left by the exit button: the way back in stays open
    return Finding(Reason.ANTI_PASSBACK, c.policy.anti_passback, f"already passed {c.direction}")


def _visitor_limit(c: Context) -> Finding | None:
    allowed = c.claims.visitor_uses
    if c.direction is not Direction.IN or allowed is None or c.history.admitted_uses < allowed:
        return None
    detail = f"used {c.history.admitted_uses} of {allowed} times"
    return Finding(Reason.VISITOR_LIMIT, c.policy.visitor_limit, detail)


def in_curfew(policy: Policy, wall: datetime) -> bool:
    """Whether ``wall`` falls in curfew hours (local time; the window may span midnight)."""
    local = wall.astimezone(ZoneInfo(policy.timezone)).time()
    start, end = policy.curfew_start, policy.curfew_end
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _curfew(c: Context) -> Finding | None:
    if c.claims.role is Role.STAFF or not in_curfew(c.policy, c.clock.wall):
        return None
    resident = c.claims.role is Role.RESIDENT
    if (c.direction is Direction.OUT) != resident:
        return None
    hours = f"{c.policy.curfew_start:%H:%M}-{c.policy.curfew_end:%H:%M}"
    return Finding(Reason.CURFEW, c.policy.curfew, f"curfew {hours}")


def _exit_quota(c: Context) -> Finding | None:
    if c.direction is not Direction.OUT or c.claims.role is not Role.RESIDENT:
        return None
    since = c.clock.wall - timedelta(days=c.policy.exit_quota_days)
    used = sum(1 for t in map(_aware, c.history.household_exits) if since < t <= c.clock.wall)
    if used < c.policy.exit_quota_members:
        return None
    detail = f"{used} exits in {c.policy.exit_quota_days} days"
    return Finding(Reason.EXIT_QUOTA, c.policy.exit_quota, detail)


def _visitor_hcert(c: Context) -> Finding | None:
    if c.claims.role is not Role.VISITOR or c.direction is not Direction.IN:
        return None
    if hcert_ok(c.hcert):
        return None
    detail = c.hcert.reason.value if c.hcert is not None else "no certificate shown"
    return Finding(Reason.HCERT_REQUIRED, c.policy.visitor_hcert, detail)


def hcert_ok(hcert: Verification | None) -> bool:
    """A verified EU health certificate (the verifier already checked signature and expiry)."""
    return (
        hcert is not None
        and hcert.valid
        and hcert.credential is not None
        and hcert.credential.kind is CredentialKind.HCERT
    )


def _clock(c: Context) -> Finding | None:
    if c.clock.trusted:
        return None
    return Finding(Reason.CLOCK_UNTRUSTED, c.policy.untrusted_clock, "clock not confirmed")


# Order matters only for which hard rule is named when several deny.
RULES: tuple[Rule, ...] = (
    _quarantine,
    _anti_passback,
    _visitor_limit,
    _curfew,
    _exit_quota,
    _visitor_hcert,
    _colour,
    _clock,
)


# The rules a registered vehicle follows as well (kiosk.vehicles.decide): a certificate is a
# person's.
VEHICLE_RULES: tuple[Rule, ...] = tuple(rule for rule in RULES if rule is not _visitor_hcert)


def judge(context: Context, rules: tuple[Rule, ...], *extra: Finding | None) -> Decision:
    """``rules`` applied to ``context``, with findings made elsewhere: hard ones deny, soft
    ones become alerts, rules whose mode is off are skipped."""
    found = [f for rule in rules if (f := rule(context))] + [f for f in extra if f]
    return _verdict([f for f in found if f.mode is not Mode.OFF])


def check_credential(
    v: Verification,
    *,
    compound: str,
    history: History,
    household: HouseholdStatus,
    policy: Policy,
    clock: ClockReading,
    direction: Direction,
    hcert: Verification | None = None,
) -> Decision:
    """Everything decidable before measuring; ALLOW means "proceed to measure"."""
    claims_or_refusal = _claims(v, compound)
    if isinstance(claims_or_refusal, Decision):
        return claims_or_refusal
    context = Context(
        claims_or_refusal, compound, history, household, policy, clock, direction, hcert
    )
    decision = judge(context, RULES)
    if (
        decision.reason is Reason.HCERT_REQUIRED
        and hcert
        and hcert.reason is Reason.CLOCK_UNTRUSTED
    ):
        # A certificate the clock cannot judge (see over_interval) is the guard's to check.
        detail = f"health certificate: {hcert.detail}"
        return Decision(Verdict.GUARD, Reason.CLOCK_UNTRUSTED, decision.alerts, detail)
    return decision


def over_interval(
    at_earliest: Verification, at_latest: Verification, clock: ClockReading
) -> Verification:
    """One verdict on a credential checked at both ends of the clock's plausible interval."""
    if at_earliest.reason is at_latest.reason:
        return at_latest
    earliest, latest = (f"{t:%Y-%m-%d %H:%M}Z" for t in clock.span)
    detail = (
        f"{at_earliest.reason.value} at {earliest} but {at_latest.reason.value} at {latest}; "
        "the clock cannot tell which"
    )
    credential = at_earliest.credential or at_latest.credential
    return Verification(Reason.CLOCK_UNTRUSTED, credential, detail)


def _claims(v: Verification, compound: str) -> PassClaims | Decision:
    if v.reason is Reason.CLOCK_UNTRUSTED:
        return Decision(Verdict.GUARD, v.reason, detail=v.detail)  # see over_interval
    if not v.valid:
        return Decision(Verdict.DENY, v.reason, detail=v.detail)
    claims = v.credential.claims if v.credential is not None else None
    if claims is None:
        # A health certificate alone is not an entry pass.
        return Decision(Verdict.DENY, Reason.UNKNOWN_FORMAT, detail="not an entry pass")
    if compound not in claims.compounds:
        detail = f"pass is for {', '.join(claims.compounds)}"
        return Decision(Verdict.DENY, Reason.WRONG_COMPOUND, detail=detail)
    return claims


def _verdict(findings: list[Finding]) -> Decision:
    alerts = tuple(f.reason for f in findings if f.mode is Mode.SOFT)
    for f in findings:
        if f.mode is Mode.HARD:
            return Decision(Verdict.DENY, f.reason, alerts, f.detail)
    detail = "; ".join(f.detail for f in findings if f.detail)
    return Decision(Verdict.ALLOW, Reason.OK, alerts, detail)


def decide(
    v: Verification,
    reading: TemperatureReading,
    attempt: int,
    *,
    compound: str,
    history: History,
    household: HouseholdStatus,
    policy: Policy,
    clock: ClockReading,
    direction: Direction,
    hcert: Verification | None = None,
) -> Decision:
    """The full gate decision: credential rules, then the temperature of attempt 1, 2, ..."""
    before = check_credential(
        v,
        compound=compound,
        history=history,
        household=household,
        policy=policy,
        clock=clock,
        direction=direction,
        hcert=hcert,
    )
    if before.verdict is not Verdict.ALLOW:
        return before
    return temperature_decision(before, reading, attempt, policy)


def visitor_decision(
    reading: TemperatureReading,
    attempt: int,
    *,
    destination: str,
    household: HouseholdStatus,
    policy: Policy,
) -> Decision:
    """A visitor registered by hand (no pass): the destination's quarantine, then the fever rule."""
    before = Decision(Verdict.ALLOW, Reason.VISITOR_REGISTERED)
    if household.colour in QUARANTINE_COLOURS and policy.quarantine is not Mode.OFF:
        detail = f"household {destination}"
        if policy.quarantine is Mode.HARD:
            return Decision(Verdict.DENY, Reason.QUARANTINE, detail=f"{detail} in quarantine")
        before = Decision(Verdict.ALLOW, Reason.VISITOR_REGISTERED, (Reason.QUARANTINE,))
    decision = temperature_decision(before, reading, attempt, policy)
    if decision.verdict is Verdict.ALLOW:
        return Decision(Verdict.ALLOW, Reason.VISITOR_REGISTERED, decision.alerts, decision.detail)
    return decision


def temperature_decision(
    before: Decision, reading: TemperatureReading, attempt: int, policy: Policy
) -> Decision:
    """The fever rule on top of an earlier decision (also used for visitors without a pass)."""
    alerts = before.alerts
    if reading.status is ReadingStatus.FAULT:
        # Never pass a person on a faulty sensor without a guard looking.
        return Decision(Verdict.GUARD, Reason.SENSOR_FAULT, alerts, reading.detail)
    if reading.status is ReadingStatus.NO_FOREHEAD or reading.celsius is None:
        return Decision(Verdict.DENY, Reason.NO_FOREHEAD, alerts, reading.detail)
    shown = f"{reading.celsius:.1f} °C"
    if reading.celsius < policy.fever_threshold_c:
        return Decision(Verdict.ALLOW, Reason.OK, alerts, _join(before.detail, shown))
    if attempt <= 1 and policy.remeasure:
        return Decision(Verdict.REMEASURE, Reason.REMEASURE, alerts, shown)
    return Decision(Verdict.DENY, Reason.FEVER, alerts, shown)


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
