"""The kiosk state machine: idle → read → verify → measure → decide → open or refuse → cooldown.

Every part is passed in (camera, decoder, thermometer, gate, indicator, contacts, verifier,
event log, office data, clock), so tests drive it with fakes and a hand-moved clock.
``tick()`` does one small step (at most one frame read and decode, at most one thermometer
sample) and publishes an immutable ``KioskView``; a ``KioskRunner`` thread calls it at the
camera's frame rate. The UI calls the thread-safe ``view()`` and ``submit()``.

Order that matters: a decision is appended to the event log (durably) BEFORE the relay is
energised. If the log cannot be written, the gate stays shut and the guard is called.
The one exception is the exit button: it is the way out and always opens. Its event waits in
memory until the log takes it again, and the log fault is an alarm (docs/gate-rules.md).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from drivers.base import Contact, FrameSource, Gate, GreyFrame, Indicator, QrDecoder, Thermometer
from kiosk.aim import AIM_EVERY_S, AIM_HOLD_S, aim_for
from kiosk.alarms import Alarms, Noted
from kiosk.clock import Clock, boot_id
from kiosk.config import Config, Policy
from kiosk.exc import HardwareError, StoreError
from kiosk.guard import GuardDesk, visitor_data
from kiosk.model import (
    ClockReading,
    Decision,
    Direction,
    Event,
    EventKind,
    History,
    HouseholdStatus,
    PassClaims,
    Reason,
    TemperatureReading,
    Verdict,
    Verification,
)
from kiosk.office import OfficeData
from kiosk.passes.verify import Verifier
from kiosk.rules import check_credential, decide, over_interval, visitor_decision
from kiosk.store import EventLog
from kiosk.temperature import Measurement
from kiosk.view import (
    Aim,
    AlarmCode,
    Command,
    CommandResult,
    KioskView,
    PersonView,
    RegisterVisitor,
    Stage,
)

log = logging.getLogger(__name__)

__all__ = ["Hardware", "Kiosk", "Session", "mask_name"]

RESULT_S = 3.0  # how long a refusal stays on screen
LOG_RETRY_S = 5.0  # how often events kept in memory are offered to a failing log again
UNWRITTEN_MAX = 10_000  # exit-button events kept in memory while the log is down
DOOR_GRACE_S = 3.0  # the door may open this long after the relay dropped
# Soft-rule alerts that need a guard's eyes, not just a line in the log.
ALARMING = frozenset(
    {
        Reason.EMPTY_FLAT,
        Reason.QUARANTINE,
        Reason.CURFEW,
        Reason.EXIT_QUOTA,
        Reason.VISITOR_LIMIT,
        Reason.ANTI_PASSBACK,
        Reason.HCERT_REQUIRED,
    }
)
# Refusals a guard must see, with the person's photo and flat, not just a line in the log.
ALARMING_REFUSALS = frozenset({Reason.FEVER, Reason.QUARANTINE, Reason.EMPTY_FLAT, Reason.REVOKED})


@dataclass(frozen=True, slots=True)
class Hardware:
    """The drivers the kiosk loop owns."""

    camera: FrameSource
    decoder: QrDecoder
    thermometer: Thermometer
    gate: Gate
    indicator: Indicator
    door: Contact
    exit_button: Contact

    def close(self) -> None:
        """Drop the relay first, then release everything."""
        self.gate.close_gate()
        for part in (self.gate, self.indicator, self.door, self.exit_button, self.camera):
            part.close()
        self.thermometer.close()


@dataclass(slots=True)
class Session:
    """The person at the gate: their credential (or the guard's visitor record) and progress."""

    text: str
    verification: Verification | None
    claims: PassClaims | None
    household: HouseholdStatus
    history: History
    hcert: Verification | None = None
    measurement: Measurement | None = None
    attempt: int = 1
    visitor: RegisterVisitor | None = None
    deadline: float = 0.0  # for waiting on a second code


def mask_name(name: str) -> str:
    """王小华 → 王*华, 张三 → 张*, John Smith → J*h: enough for the holder, not for a passer-by."""
    name = name.strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2 if len(name) <= 4 else 1) + name[-1]


class Kiosk:
    """The gate's state machine. See the module docstring."""

    def __init__(
        self,
        config: Config,
        hardware: Hardware,
        *,
        log: EventLog,
        office: OfficeData,
        clock: Clock,
        verifier: Callable[[], Verifier],
        policy: Callable[[], Policy] | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        boot: str | None = None,
        backlog_alarm_at: int = 500,
        recent_size: int = 20,
    ) -> None:
        self.config = config
        self.hw = hardware
        self.log = log
        self.office = office
        self.clock = clock
        self._verifier = verifier
        self._policy = policy or (lambda: config.policy)
        self._new_id = new_id
        self.boot_id = boot or boot_id()
        self.backlog_alarm_at = backlog_alarm_at
        self._lock = threading.RLock()
        self.alarms = Alarms(self, hardware.indicator, place=config.device.id)
        self.guard = GuardDesk(config.ui, self, self.alarms.acknowledge)
        self.direction: Direction = config.device.direction
        self.language: str = config.ui.language
        self._stage = Stage.IDLE
        self._reason = Reason.OK
        self._verdict: Verdict | None = None
        self._temperature: float | None = None
        self._person: PersonView | None = None
        self._stage_until = 0.0
        self.session: Session | None = None
        self._held: tuple[str, float] | None = None  # (code, monotonic last seen)
        self._authorized_until = float("-inf")
        self._door_open = False
        self._door_since = 0.0
        self._door_held_alarmed = False
        self._exit_pressed = False
        self._unwritten: deque[Event] = deque(maxlen=UNWRITTEN_MAX)
        self._retry_at = 0.0
        self._link: tuple[bool | None, int | None] = (None, None)  # None: not heard yet
        self._frame: GreyFrame | None = None  # the newest camera frame (the viewfinder's)
        self._aim: Aim | None = None
        self._aim_until = float("-inf")
        self._aim_next = float("-inf")
        self._clock_state = (True, False)  # (trusted, doubted) as last seen
        self._backlog_alarmed = False
        self._recent: deque[Event] = deque(log.recent(recent_size), maxlen=recent_size)
        self._unsynced = log.count_unsynced()
        self._now = clock.read()
        self._view = KioskView(stage=Stage.IDLE, direction=self.direction)
        hardware.exit_button.when_changed(self._on_exit_button)
        hardware.indicator.show("idle")

    # --- public, thread-safe ---------------------------------------------------------------------

    def tick(self) -> KioskView:
        """Advance by one small step and publish the view."""
        with self._lock:
            now = self._now = self.clock.read()
            self._watch_clock(now)
            self._watch_link(now)
            self.alarms.raise_posted(now)  # alarms other threads (the sync agent) posted
            self._watch_door(now)
            self._watch_exit_button(now)
            self._write_unwritten(now.monotonic)
            self._step(now)
            self.guard.expire(now.monotonic)
            return self._publish()

    def view(self) -> KioskView:
        """The newest published view (immutable)."""
        return self._view

    def submit(self, command: Command) -> CommandResult:
        """Carry out a command from the UI; the result says whether it was accepted and why."""
        with self._lock:
            self._now = self.clock.read()
            result = self.guard.handle(command, self._now)
            self._publish()
            return result

    def frame(self) -> GreyFrame | None:
        """The newest camera frame the decoder was given (read-only; for the viewfinder)."""
        return self._frame

    def set_link_status(self, online: bool, backlog: int | None = None) -> None:
        """The sync agent's report: office reachable or not, and events still to upload."""
        self._link = (online, backlog)

    @property
    def stage(self) -> Stage:
        return self._stage

    # --- the steps ---------------------------------------------------------------------------

    def _step(self, now: ClockReading) -> None:
        mono = now.monotonic
        if self._stage is Stage.IDLE:
            self._look_for_pass(now)
        elif self._stage is Stage.READING:
            self._look_for_second_code(now)
        elif self._stage in (Stage.MEASURING, Stage.REMEASURE):
            self._measure(now)
        elif mono >= self._stage_until:
            if self._stage is Stage.OPEN:
                self.show(Stage.COOLDOWN, until=mono + self.config.device.cooldown_s)
            else:
                self._back_to_idle(mono)

    def _back_to_idle(self, mono: float) -> None:
        if self._held is not None:
            # A code still held up counts as seen now: it is ignored for the cooldown period.
            self._held = (self._held[0], mono)
        self.session = None
        self._person = None
        self._temperature = None
        self.show(Stage.IDLE)
        self.hw.indicator.show(self.alarms.pattern())

    def show(
        self,
        stage: Stage,
        reason: Reason = Reason.OK,
        verdict: Verdict | None = None,
        until: float = 0.0,
    ) -> None:
        self._stage, self._reason, self._verdict, self._stage_until = stage, reason, verdict, until

    def _codes(self, now: ClockReading) -> list[str]:
        """Codes in the newest frame, less one still held up since it was last handled."""
        try:
            frame = self.hw.camera.read()
        except HardwareError as error:
            self.alarms.raise_once(
                Reason.SENSOR_FAULT, now, f"camera: {error}", code=AlarmCode.CAMERA_FAULT
            )
            return []
        if frame is None:
            return []
        texts = self.hw.decoder.decode(frame)
        self._frame = frame
        self._watch_aim(texts, frame, now.monotonic)
        return [t for t in texts if not self._still_held(t, now.monotonic)]

    def _watch_aim(self, texts: list[str], frame: GreyFrame, mono: float) -> None:
        """Keep the viewfinder's hint while a code is seen but not read (and a moment after).

        The decoder is asked what it saw at most every ``AIM_EVERY_S``: a hint needs no more,
        and the camera's full frame rate stays with decoding."""
        if texts:
            self._aim, self._aim_until = None, float("-inf")
            return
        if mono >= self._aim_next:
            self._aim_next = mono + AIM_EVERY_S
            aim = aim_for(self.hw.decoder.unread(), frame.shape[1])
            if aim is not None:
                self._aim, self._aim_until = aim, mono + AIM_HOLD_S
        if mono >= self._aim_until:
            self._aim = None

    def _still_held(self, text: str, mono: float) -> bool:
        """True for the code just handled while it stays in view (and ``cooldown_s`` after)."""
        if self._held is None or text != self._held[0]:
            return False
        if mono - self._held[1] >= self.config.device.cooldown_s:
            return False
        self._held = (text, mono)
        return True

    def _look_for_pass(self, now: ClockReading) -> None:
        codes = self._codes(now)
        if codes:
            self._held = (codes[0], now.monotonic)
            self.start_pass(codes[0], now)

    def start_pass(self, text: str, now: ClockReading) -> None:
        """Verify a code and apply the rules that need no temperature."""
        self.show(Stage.READING)
        verification = self._verify(text, now)
        claims = verification.credential.claims if verification.credential else None
        household = self.office.household(claims.household_id) if claims else HouseholdStatus()
        history = self._history(claims, now) if claims else History()
        self.session = Session(text, verification, claims, household, history)
        self._person = self._person_view(claims, household)
        self._check_credential(self.session, now)

    def _verify(self, text: str, now: ClockReading) -> Verification:
        """Verify at the earliest and the latest plausible time (once, when the clock is sure)."""
        verifier = self._verifier()
        earliest, latest = now.span
        at_latest = verifier.verify(text, latest)
        if earliest == latest:
            return at_latest
        return over_interval(verifier.verify(text, earliest), at_latest, now)

    def _history(self, claims: PassClaims, now: ClockReading) -> History:
        window = timedelta(days=self._policy().exit_quota_days)
        compound = self.config.device.compound
        return self.log.history(claims.pass_id, claims.household_id, compound, now.wall, window)

    def _person_view(
        self, claims: PassClaims | None, household: HouseholdStatus
    ) -> PersonView | None:
        if claims is None:
            return None
        return PersonView(
            pass_id=claims.pass_id,
            masked_name=mask_name(claims.holder_name),
            role=claims.role,
            household_id=claims.household_id,
            colour=household.colour,
            expires_at=claims.expires_at,
            photo_png=self.office.photo(claims.pass_id),
            host_flat=claims.host_flat,
        )

    def _rule_inputs(self, session: Session, now: ClockReading) -> dict[str, Any]:
        return {
            "compound": self.config.device.compound,
            "history": session.history,
            "household": session.household,
            "policy": self._policy(),
            "clock": now,
            "direction": self.direction,
            "hcert": session.hcert,
        }

    def _check_credential(self, session: Session, now: ClockReading) -> None:
        assert session.verification is not None
        before = check_credential(session.verification, **self._rule_inputs(session, now))
        if before.verdict is Verdict.ALLOW:
            self.start_measuring(session, now, Stage.MEASURING)
            self._measure(now)  # a forehead already in range needs no extra frame
        elif self._wants_second_code(session, before):
            session.deadline = now.monotonic + self.config.device.read_timeout_s
            self.show(Stage.READING, Reason.HCERT_REQUIRED)
        else:
            self.conclude(session, before, now)

    def _wants_second_code(self, session: Session, before: Decision) -> bool:
        return before.reason is Reason.HCERT_REQUIRED and session.hcert is None

    def _look_for_second_code(self, now: ClockReading) -> None:
        session = self.session
        assert session is not None
        if now.monotonic >= session.deadline:
            refusal = Decision(Verdict.DENY, Reason.HCERT_REQUIRED, detail="no certificate shown")
            self.conclude(session, refusal, now)
            return
        codes = [c for c in self._codes(now) if c != session.text]
        if codes:
            self._held = (codes[0], now.monotonic)
            session.hcert = self._verify(codes[0], now)
            self._check_credential(session, now)

    def start_measuring(self, session: Session, now: ClockReading, stage: Stage) -> None:
        settings = self.config.thermometer
        session.measurement = Measurement(self.hw.thermometer, settings, now.monotonic)
        reason = Reason.REMEASURE if stage is Stage.REMEASURE else Reason.OK
        self.show(stage, reason)

    def _measure(self, now: ClockReading) -> None:
        session = self.session
        assert session is not None and session.measurement is not None
        reading = session.measurement.step(now.monotonic)
        if reading is None:
            return
        self._temperature = reading.celsius
        self.conclude(session, self._decide(session, reading, now), now, reading)

    def _decide(self, session: Session, reading: TemperatureReading, now: ClockReading) -> Decision:
        if session.visitor is not None:
            return visitor_decision(
                reading,
                session.attempt,
                destination=session.visitor.household_id,
                household=session.household,
                policy=self._policy(),
            )
        assert session.verification is not None
        inputs = self._rule_inputs(session, now)
        return decide(session.verification, reading, session.attempt, **inputs)

    def conclude(
        self,
        session: Session | None,
        decision: Decision,
        now: ClockReading,
        reading: TemperatureReading | None = None,
        *,
        kind: EventKind = EventKind.DECISION,
        data: dict[str, Any] | None = None,
    ) -> Event | None:
        """Log the decision durably, then act on it (open, refuse, re-measure, call the guard)."""
        values = dict(data or {})
        if session is not None and session.visitor is not None:
            kind = EventKind.VISITOR
            values.update(visitor_data(session.visitor))
        if decision.alerts:
            values["alerts"] = [a.value for a in decision.alerts]
        if decision.detail:
            values["detail"] = decision.detail
        if reading is not None and reading.detail:
            values["reading"] = reading.detail
        event = self.make_event(
            kind,
            decision.reason,
            now,
            verdict=decision.verdict,
            session=session,
            temperature=reading.celsius if reading else None,
            data=values,
        )
        if not self.record(event):
            self._log_failed(decision)
            return None
        self._act(session, decision, now)
        return event

    def _act(self, session: Session | None, decision: Decision, now: ClockReading) -> None:
        mono = now.monotonic
        for alert in decision.alerts:
            if alert in ALARMING:
                self.alarms.raise_once(alert, now, decision.detail, self._person)
        if decision.verdict is Verdict.DENY and decision.reason in ALARMING_REFUSALS:
            fever = decision.reason is Reason.FEVER and self._temperature is not None
            value = f"{self._temperature:.1f}" if fever else ""
            self.alarms.raise_once(decision.reason, now, decision.detail, self._person, value=value)
        if decision.verdict is Verdict.ALLOW:
            self.open_gate(now)
            self.show(Stage.OPEN, decision.reason, decision.verdict, mono + self.open_s)
        elif decision.verdict is Verdict.REMEASURE and session is not None:
            session.attempt += 1
            self.start_measuring(session, now, Stage.REMEASURE)
        elif decision.verdict is Verdict.GUARD:
            self.alarms.raise_once(decision.reason, now, decision.detail, self._person)
            until = mono + self.config.device.read_timeout_s
            self.show(Stage.GUARD, decision.reason, decision.verdict, until)
        else:
            self.hw.indicator.show("refuse")
            self.show(Stage.DENIED, decision.reason, decision.verdict, mono + RESULT_S)

    def _log_failed(self, decision: Decision) -> None:
        # Nothing may pass unlogged: keep the gate shut and ask for the guard.
        self.hw.indicator.show(self.alarms.pattern())
        until = self._now.monotonic + self.config.device.read_timeout_s
        self.show(Stage.GUARD, decision.reason, Verdict.GUARD, until)

    @property
    def open_s(self) -> float:
        return self.config.gpio.open_s

    def open_gate(self, now: ClockReading) -> None:
        """Energise the relay (call only after the reason is logged)."""
        self.hw.gate.open(self.open_s)
        self.hw.indicator.show("pass")
        self._authorized_until = now.monotonic + self.open_s + DOOR_GRACE_S

    # --- events ------------------------------------------------------------------------------

    def make_event(
        self,
        kind: EventKind,
        reason: Reason,
        now: ClockReading,
        *,
        verdict: Verdict | None = None,
        session: Session | None = None,
        temperature: float | None = None,
        data: dict[str, Any] | None = None,
    ) -> Event:
        claims = session.claims if session is not None else None
        household = claims.household_id if claims else None
        if session is not None and session.visitor is not None:
            household = session.visitor.household_id
        return Event(
            event_id=self._new_id(),
            kind=kind,
            wall_time=now.wall,
            monotonic=now.monotonic,
            boot_id=self.boot_id,
            clock_trusted=now.trusted,
            device_id=self.config.device.id,
            compound_id=self.config.device.compound,
            reason=reason,
            verdict=verdict,
            direction=self.direction if kind is not EventKind.ALARM else None,
            pass_id=claims.pass_id if claims else None,
            household_id=household,
            temperature_c=temperature,
            data=data or {},
        )

    def note(
        self, kind: EventKind, reason: Reason, now: ClockReading, data: dict[str, Any]
    ) -> Noted:
        """Make an event of this kiosk and append it (the ``Journal`` the alarm desk writes to)."""
        event = self.make_event(kind, reason, now, data=data)
        return Noted(event, self.record(event))

    def record(self, event: Event) -> bool:
        """Append to the log; False (and logged to the journal) when the log cannot be written."""
        try:
            self.log.append(event)
        except StoreError as error:
            log.error("event %s not logged: %s", event.event_id, error)
            self.alarms.show_unlogged(event, str(error))
            return False
        self._recent.appendleft(event)
        self._unsynced += 1
        return True

    # --- what the guard desk may ask (kiosk.guard.Lane) ----------------------------------------

    def open_for_guard(self, reason: str, now: ClockReading) -> Event | None:
        """Log the guard's reason, with the person at the gate if any, and open."""
        decision = Decision(Verdict.ALLOW, Reason.GUARD_OVERRIDE, detail=reason)
        session = self.session
        if session is not None and session.visitor is not None:
            session = None  # a visitor in registration is logged by its own event
        data = {"reason": reason}
        return self.conclude(session, decision, now, kind=EventKind.GUARD_ACTION, data=data)

    def measure_visitor(self, visitor: RegisterVisitor, now: ClockReading) -> None:
        """Start measuring a visitor the guard registered by hand."""
        household = self.office.household(visitor.household_id)
        self.session = Session("", None, None, household, History(), visitor=visitor)
        self.start_measuring(self.session, now, Stage.MEASURING)

    def turn(self, direction: Direction, now: ClockReading) -> None:
        """Switch the lane's direction; the log says who turned it."""
        self.direction = direction
        detail = f"guard set the lane direction to {direction.value}"
        data = {"direction": direction.value, "detail": detail}
        self.record(self.make_event(EventKind.SYSTEM, Reason.OK, now, data=data))

    def set_language(self, language: str) -> None:
        self.language = language

    # --- watchers ------------------------------------------------------------------------------

    def _watch_clock(self, now: ClockReading) -> None:
        # Untrusted, or trusted while the office's clock disagrees: the guard is told which
        # clock says what (now.doubt), once each time the clock's state changes.
        state = (now.trusted, bool(now.doubt))
        if state == self._clock_state:
            return
        self._clock_state = state
        if state != (True, False):
            detail = now.doubt or "clock not confirmed by NTP or the office"
            self.alarms.raise_once(Reason.CLOCK_UNTRUSTED, now, detail)

    def _watch_link(self, now: ClockReading) -> None:
        online, backlog = self._link
        if backlog is not None:
            self._unsynced = backlog
        if online is not False or self._unsynced < self.backlog_alarm_at:
            self._backlog_alarmed = False
        elif not self._backlog_alarmed:
            self._backlog_alarmed = True
            detail = f"{self._unsynced} events wait for the office"
            self.alarms.raise_once(Reason.OFFLINE_BACKLOG, now, detail, value=str(self._unsynced))

    def _watch_door(self, now: ClockReading) -> None:
        mono = now.monotonic
        door_open = self.hw.door.active
        if door_open and not self._door_open:
            self._door_since, self._door_held_alarmed = mono, False
            if not self.hw.gate.is_open and mono > self._authorized_until:
                self.alarms.raise_once(Reason.DOOR_FORCED_OPEN, now, "door opened without a pass")
        held = mono - self._door_since
        if door_open and not self._door_held_alarmed and held > self.config.gpio.door_held_open_s:
            self._door_held_alarmed = True
            detail, value = f"door open for {held:.0f} s", f"{held:.0f}"
            self.alarms.raise_once(Reason.DOOR_HELD_OPEN, now, detail, value=value)
        self._door_open = door_open

    def _on_exit_button(self, pressed: bool) -> None:
        # Called from the contact's timer thread: only latch it; the loop acts on it.
        if pressed:
            self._exit_pressed = True

    def _watch_exit_button(self, now: ClockReading) -> None:
        """Egress: open for whoever pressed, logged or not; an alarm where exits are scanned."""
        if not self._exit_pressed:
            return
        self._exit_pressed = False
        event = self.make_event(EventKind.DECISION, Reason.EXIT_BUTTON, now, verdict=Verdict.ALLOW)
        event = replace(event, direction=Direction.OUT)
        if not self.record(event):
            self._unwritten.append(event)  # record() has put the log fault on screen
            self._retry_at = now.monotonic + LOG_RETRY_S
        self.open_gate(now)
        if self._policy().exit_button == "alarm":
            detail = "exit button used: in this compound people leave through the exit lane"
            self.alarms.raise_once(Reason.EXIT_BUTTON, now, detail)

    def _write_unwritten(self, mono: float) -> None:
        """Offer the events kept in memory to the log again, oldest first, now and then."""
        if not self._unwritten or mono < self._retry_at:
            return
        self._retry_at = mono + LOG_RETRY_S
        while self._unwritten and self.record(self._unwritten[0]):
            self._unwritten.popleft()

    # --- the view ----------------------------------------------------------------------------

    def _publish(self) -> KioskView:
        online, _ = self._link
        view = KioskView(
            stage=self._stage,
            reason=self._reason,
            verdict=self._verdict,
            temperature_c=self._temperature,
            person=self._person,
            direction=self.direction,
            alarms=self.alarms.view(),
            recent_events=tuple(self._recent),
            guard_unlocked=self.guard.unlocked,
            online=online,
            unsynced_events=self._unsynced,
            clock_trusted=self._now.trusted,
            gate_open=self.hw.gate.is_open,
            door_open=self._door_open,
            aim=self._aim if self._stage in (Stage.IDLE, Stage.READING) else None,
            sequence=self._view.sequence,
        )
        if view != self._view:
            self._view = replace(view, sequence=self._view.sequence + 1)
        return self._view
