"""The kiosk state machine: idle → read → verify → measure → decide → open or refuse.

Every part is passed in (camera, decoder, thermometer, gate, indicator, contacts, verifier,
event log, office data, clock), so tests drive it with fakes and a hand-moved clock.
``tick()`` does one small step (at most one frame read and decode, at most one thermometer
sample) and publishes an immutable ``KioskView``; a ``KioskRunner`` thread calls it at the
camera's frame rate. The UI calls the thread-safe ``view()`` and ``submit()``.

Order that matters: a decision is appended to the event log (durably) BEFORE the relay is
energised. If the log cannot be written, the gate stays shut and the guard is called.
The one exception is the exit button: it is the way out and always opens. Its event waits in
memory until the log takes it again, and the log fault is an alarm (docs/gate-rules.md).

Nobody is left facing a screen that ignores them. A refusal stays while the refused code is
held up and ``REFUSAL_S`` after it left the view; held up longer, it turns into the lasting
"this pass will not do, go to the guard booth" until the code is gone. A code already decided
that is held up again is answered ("lower your phone"), never met by the idle prompt. While
no forehead is in front of the thermometer, measuring goes on with "come closer" and the
seconds left, and only its limit ends it.

Pacing a lane: one opening is one passage. The relay drops the moment the door shuts behind
the person (no tailgating window); the screen stays green, counting down, while the relay is
on, and an opening nobody went through is logged as unused (docs/gate-rules.md). The next
person's pass is read at once, and they are measured while the first walks through; if they
are let through before the door has shut, the decision waits (Stage.COOLDOWN, "please wait")
and is logged and acted on once the door is shut. The gate never opens for a second person
while it is open, or the door open, for the first.

The car gate (``[lane] kind = "vehicle"``) is the same machine: its camera's codes are plates
confirmed over consecutive frames (kiosk.vehicles.camera), a plate is decided at once with no
measuring (kiosk.vehicles.admission), the door contact is the vehicle loop behind the barrier,
and the loop taken again while the arm comes down is tailgating (kiosk.doorway). No frame is
read while the barrier is up or coming down, so the loop is watched at every tick.

The state machine stands above its helpers, which never import it: ``admission`` (code →
decision), ``codes`` (camera frames, the held-code filter, the aim hint), ``doorway`` (relay,
door contact, exit button), ``recorder`` (events), ``health`` (clock and backlog alarms),
``alarms`` and ``guard``.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from drivers.base import (
    Beacon,
    Contact,
    FrameSource,
    Gate,
    GreyFrame,
    Indicator,
    QrDecoder,
    Thermometer,
)
from kiosk.admission import Admission
from kiosk.alarms import Alarms, Noted
from kiosk.clock import Clock, boot_id
from kiosk.codes import CodeReader
from kiosk.config import Config, Policy
from kiosk.doorway import Doorway, Outcome
from kiosk.exc import HardwareError, StoreError
from kiosk.guard import GuardDesk, visitor_data
from kiosk.health import HealthWatch
from kiosk.model import (
    ClockReading,
    Decision,
    Direction,
    Event,
    EventKind,
    History,
    Reason,
    TemperatureReading,
    Verdict,
)
from kiosk.office import OfficeData
from kiosk.passes.verify import Verifier
from kiosk.plates.formats import normalize
from kiosk.recorder import Recorder, unused_opening
from kiosk.session import Session, mask_name
from kiosk.store import EventLog
from kiosk.storewatch import StoreWatch
from kiosk.temperature import Measurement
from kiosk.vehicles import barrier
from kiosk.vehicles.admission import VehicleAdmission
from kiosk.view import (
    AlarmCode,
    Command,
    CommandResult,
    KioskView,
    PersonView,
    Prompt,
    RegisterVisitor,
    Stage,
)

log = logging.getLogger(__name__)

__all__ = ["Hardware", "Kiosk", "Session", "mask_name"]

# A refusal stays this long after it was decided, and this long after its code left the view.
REFUSAL_S = 9.0
GONE_S = 1.0  # a held code unseen this long has left the view (a missed frame is not leaving)
# A car's plate unread this long has driven off (a plate read takes up to 1.5 s on a Pi, and a
# glaring frame or two reads nothing): the guard's registration lifts the barrier for no one,
# and the plate read again sooner is the same car, not a new arrival to decide again.
CAR_GONE_S = 5.0
CLOSER_AFTER_S = 1.0  # measuring this long with no forehead in range: ask to come closer
REMEASURE_SHOW_S = 2.0  # "stand still, once more" stays at least this long, to be read
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
ALARMING_REFUSALS = frozenset(
    {Reason.FEVER, Reason.QUARANTINE, Reason.EMPTY_FLAT, Reason.REVOKED, Reason.VEHICLE_RISK_AREA}
)


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
    beacon: Beacon | None = None  # a booth light or siren for new door and fever alarms

    def close(self) -> None:
        """Drop the relay first, then release everything."""
        self.gate.close_gate()
        for part in (self.gate, self.indicator, self.door, self.exit_button, self.camera):
            part.close()
        if self.beacon is not None:
            self.beacon.close()
        self.thermometer.close()


def lasting_prompt(stage: Stage, reason: Reason) -> Prompt:
    """What a refusal turns into while its code stays held up: retry for a temperature not
    taken, the guard booth for a case the guard must decide, else "this pass will not do"."""
    if reason is Reason.NO_FOREHEAD:
        return Prompt.RETRY
    return Prompt.GUARD_BOOTH if stage is Stage.GUARD else Prompt.SEE_GUARD


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
        self._policy = policy or (lambda: config.policy)
        self.admission = Admission(
            config.device.compound,
            events=log,
            office=office,
            verifier=verifier,
            policy=self._policy,
            needs_download=bool(config.sync.server_url),
        )
        # The car gate ([lane] kind = "vehicle"): plates instead of passes, no thermometer.
        self.vehicles: VehicleAdmission | None = None
        self._unknown_vehicle: Session | None = None  # the last plate the office did not know
        self._new_id = new_id
        if config.lane.kind == "vehicle":
            self.vehicles = VehicleAdmission(
                config.device.compound,
                events=log,
                office=office,
                policy=self._policy,
                needs_download=bool(config.sync.server_url),
            )
        self.recorder = Recorder(
            log,
            config.device,
            boot_id=boot or boot_id(),
            on_unlogged=self._unlogged,
            new_id=new_id,
            recent_size=recent_size,
        )
        self.health = HealthWatch(self._alarm, backlog_alarm_at)
        self._lock = threading.RLock()
        self.alarms = Alarms(
            self,
            hardware.indicator,
            place=config.device.id,
            beacon=hardware.beacon,
            beacon_s=config.gpio.alarm_light_s,
        )
        self.stores = StoreWatch(self._store_alarm, log, office)
        self.guard = GuardDesk(config.ui, self, self.alarms.acknowledge)
        self.direction: Direction = config.device.direction
        self.language: str = config.ui.language
        self._stage = Stage.IDLE
        self._reason = Reason.OK
        self._verdict: Verdict | None = None
        self._temperature: float | None = None
        self._person: PersonView | None = None
        self._stage_until = 0.0
        self._prompt: Prompt | None = None
        self._countdown_until: float | None = None
        self._since = 0.0  # when the current stage was shown
        # The code decided last and its decision: held up again, it is answered, not ignored.
        self._decided: tuple[str, Decision] | None = None
        self._opening: Event | None = None  # the logged decision the relay is open for
        self.session: Session | None = None
        # A car's plate unread for moments (glare, someone in front of the camera) is the car
        # still waiting: read as a new arrival, it was decided, logged and alarmed again.
        car_gone_s = CAR_GONE_S if self.vehicles is not None else 0.0
        self.codes = CodeReader(max(config.device.cooldown_s, car_gone_s))
        self.doorway = Doorway(
            hardware.gate,
            hardware.door,
            hardware.exit_button,
            config.gpio,
            self._alarm,
            loop=barrier.loop(config.gpio) if self.vehicles is not None else None,
        )
        self._now = clock.read()
        self._view = KioskView(stage=Stage.IDLE, direction=self.direction)
        hardware.indicator.show("idle")

    # --- public, thread-safe ---------------------------------------------------------------------

    def tick(self) -> KioskView:
        """Advance by one small step and publish the view."""
        with self._lock:
            now = self._now = self.clock.read()
            self.health.watch_clock(now)
            _, backlog = self.health.link
            if backlog is not None:
                self.recorder.unsynced = backlog
            self.health.watch_link(now, self.recorder.unsynced)
            self.alarms.raise_posted(now)  # alarms other threads (the sync agent) posted
            self.alarms.remind(now, free=self._stage is Stage.IDLE and not self.doorway.busy)
            ended = self.doorway.watch(now)
            if ended is not None:
                self._opening_ended(ended, now)
            self._watch_exit_button(now)
            self.stores.watch(now)
            self.recorder.write_kept(now.monotonic)
            try:
                self._step(now)
            except StoreError as error:
                self._unreadable(error, now)
            self.guard.expire(now.monotonic)
            return self._publish()

    def view(self) -> KioskView:
        """The newest published view (immutable)."""
        return self._view

    def submit(self, command: Command) -> CommandResult:
        """Carry out a command from the UI; the result says whether it was accepted and why."""
        with self._lock:
            self._now = self.clock.read()
            try:
                result = self.guard.handle(command, self._now)
            except StoreError as error:
                self._unreadable(error, self._now)
                result = CommandResult(False, Reason.LOG_FAULT, str(error))
            self._publish()
            return result

    def frame(self) -> GreyFrame | None:
        """The newest camera frame the decoder was given (read-only; for the viewfinder)."""
        return self.codes.frame

    def set_link_status(self, online: bool, backlog: int | None = None) -> None:
        """The sync agent's report: office reachable or not, and events still to upload."""
        self.health.link = (online, backlog)

    @property
    def stage(self) -> Stage:
        return self._stage

    def _alarm(self, reason: Reason, now: ClockReading, detail: str, value: str = "") -> None:
        self.alarms.raise_once(reason, now, detail, value=value)

    def _store_alarm(
        self, reason: Reason, now: ClockReading, detail: str, code: AlarmCode, value: str
    ) -> None:
        self.alarms.raise_once(reason, now, detail, code=code, value=value)

    def _unreadable(self, error: StoreError, now: ClockReading) -> None:
        """The log or the office data could not be read while deciding: nobody is let in on a
        half-made decision; the guard is called, once per person (the code stays held)."""
        log.error("cannot decide, the kiosk's data cannot be read: %s", error)
        self.stores.failed(error, now)
        self.session = None
        self._person = None
        until = now.monotonic + self.config.device.read_timeout_s
        self.show(Stage.GUARD, Reason.LOG_FAULT, Verdict.GUARD, until)
        self.hw.indicator.show(self.alarms.pattern())

    # --- the steps ---------------------------------------------------------------------------

    def _step(self, now: ClockReading) -> None:
        mono = now.monotonic
        if self._stage is Stage.IDLE:
            self._look_for_pass(now)
        elif self._stage is Stage.READING:
            self._look_for_second_code(now)
        elif self._stage in (Stage.MEASURING, Stage.REMEASURE):
            self._measure(now)
        elif self._stage is Stage.OPEN:
            self._watch_person_leaving(now)
        elif self._stage is Stage.COOLDOWN:
            self._open_when_free(now)
        elif self._stage in (Stage.DENIED, Stage.GUARD):
            self._hold_refusal(now)
        elif mono >= self._stage_until:
            self._back_to_idle(mono)

    def _hold_refusal(self, now: ClockReading) -> None:
        """Keep a refusal while its code is held up and ``REFUSAL_S`` after it left; held up
        past that, ask for the guard booth until the code is gone. A new pass is read at once."""
        mono = now.monotonic
        codes = self._codes(now)
        if codes:
            self.codes.hold(codes[0], mono)
            self.start_pass(codes[0], now)
            return
        gone = self._refused_code_gone_for(mono)
        if gone < GONE_S:
            if mono >= self._stage_until:
                self._prompt = lasting_prompt(self._stage, self._reason)
            return
        if self._prompt is not None or mono >= max(self._stage_until, mono - gone + REFUSAL_S):
            self._back_to_idle(mono)

    def _refused_code_gone_for(self, mono: float) -> float:
        """Seconds since the refused code was last seen; infinite when the refusal had none."""
        decided = self._decided
        refused = decided is not None and decided[1].verdict is not Verdict.ALLOW
        if decided is None or not refused or self.codes.held != decided[0]:
            return math.inf
        return self.codes.held_gone_for(mono)

    def _watch_person_leaving(self, now: ClockReading) -> None:
        """Stay green, counting down, while the relay is energised; a slow walker is not left
        with the idle prompt. The next person's pass is read at once (their decision waits in
        COOLDOWN until the door has shut behind this one)."""
        codes = self._codes(now)
        if codes:
            self.codes.hold(codes[0], now.monotonic)
            self.start_pass(codes[0], now)
        elif not self.hw.gate.is_open:
            self._back_to_idle(now.monotonic)
            self._answer_held_code(now)  # still held up: "lower your phone" from the start

    def _open_when_free(self, now: ClockReading) -> None:
        """Act on a held decision once the door has shut behind the person before."""
        session = self.session
        assert session is not None and session.waiting is not None
        self._codes(now)  # a pass held up while waiting is not taken for a new one after
        if not self.doorway.busy:
            decision, reading = session.waiting
            session.waiting = None
            self.conclude(session, decision, now, reading)
        elif now.monotonic >= self._stage_until:
            self._back_to_idle(now.monotonic)  # nothing was logged: the gate did not open

    def _back_to_idle(self, mono: float) -> None:
        self.session = None
        self._person = None
        self._temperature = None
        self.show(Stage.IDLE)
        if not self.doorway.busy:  # the person let through keeps the green light
            self.alarms.show_lamp(self._now)

    def show(
        self,
        stage: Stage,
        reason: Reason = Reason.OK,
        verdict: Verdict | None = None,
        until: float = 0.0,
    ) -> None:
        self._stage, self._reason, self._verdict, self._stage_until = stage, reason, verdict, until
        self._prompt, self._countdown_until, self._since = None, None, self._now.monotonic

    def _codes(self, now: ClockReading) -> list[str]:
        """Codes in the newest frame, less one still held up since it was last handled.

        At the car gate no frame is read while the barrier is up or coming down: reading a
        plate takes a good part of a second, and the loop must be watched at every tick then
        (one vehicle per opening, tailgating)."""
        if self.vehicles is not None and self.doorway.settling(now.monotonic):
            return []
        try:
            return self.codes.read(self.hw.camera, self.hw.decoder, now.monotonic)
        except HardwareError as error:
            self.alarms.raise_once(
                Reason.SENSOR_FAULT, now, f"camera: {error}", code=AlarmCode.CAMERA_FAULT
            )
            return []

    def _look_for_pass(self, now: ClockReading) -> None:
        codes = self._codes(now)
        if codes:
            self.codes.hold(codes[0], now.monotonic)
            self.start_pass(codes[0], now)
        else:
            self._answer_held_code(now)

    def _answer_held_code(self, now: ClockReading) -> None:
        """A code already decided and held up again: a refusal is shown again (lasting), a
        pass let through is asked to be lowered; the idle prompt never ignores it."""
        decided = self._decided
        if decided is None or not self.codes.held_in_view or self.codes.held != decided[0]:
            self._prompt = None
        elif decided[1].verdict is Verdict.ALLOW:
            self._prompt = Prompt.LOWER_PASS
        else:
            verdict, reason = decided[1].verdict, decided[1].reason
            stage = Stage.GUARD if verdict is Verdict.GUARD else Stage.DENIED
            self.show(stage, reason, verdict, now.monotonic)
            self._prompt = lasting_prompt(stage, reason)

    def start_pass(self, text: str, now: ClockReading) -> None:
        """Verify a code and apply the rules that need no temperature (at the car gate: the
        plate's whole decision, there is nothing to measure)."""
        self.show(Stage.READING)
        if self.vehicles is not None:
            session = self.vehicles.session(text, now)
            self._decide_plate(session, self.vehicles.decide(session, now, self.direction), now)
            return
        self.session = self.admission.session(text, now)
        self._person = self.admission.person_view(self.session)
        self._check_credential(self.session, now)

    def _decide_plate(
        self,
        session: Session,
        decision: Decision,
        now: ClockReading,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Act on a plate's decision. The guard may register an unknown car (measure_visitor)
        after the screen has moved on; not one the rules refused (a risk-list car under
        vehicle_risk = "refuse")."""
        self.session, self._person = session, None
        calls_guard = session.vehicle is None and decision.verdict is Verdict.GUARD
        self._unknown_vehicle = session if calls_guard else None
        self.conclude(session, decision, now, data=data)

    def _check_credential(self, session: Session, now: ClockReading) -> None:
        before = self.admission.before_measuring(session, now, self.direction)
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
            self.codes.hold(codes[0], now.monotonic)
            session.hcert = self.admission.verify(codes[0], now)
            self._check_credential(session, now)

    def start_measuring(self, session: Session, now: ClockReading, stage: Stage) -> None:
        settings = self.config.thermometer
        session.measurement = Measurement(self.hw.thermometer, settings, now.monotonic)
        reason = Reason.REMEASURE if stage is Stage.REMEASURE else Reason.OK
        shown_until = now.monotonic + REMEASURE_SHOW_S if stage is Stage.REMEASURE else 0.0
        self.show(stage, reason, until=shown_until)

    def _measure(self, now: ClockReading) -> None:
        session = self.session
        assert session is not None and session.measurement is not None
        measurement = session.measurement
        reading = measurement.step(now.monotonic)
        if reading is None:
            self._ask_closer(measurement, now.monotonic)
            return
        if now.monotonic < self._stage_until:
            return  # the measurement keeps its result until the screen has been read
        self._temperature = reading.celsius
        decision = self.admission.with_reading(session, reading, now, self.direction)
        self.conclude(session, decision, now, reading)

    def _ask_closer(self, measurement: Measurement, mono: float) -> None:
        """No forehead in range for a moment: "come closer", with the seconds left."""
        if measurement.forehead_seen or mono - self._since < CLOSER_AFTER_S:
            self._prompt, self._countdown_until = None, None
        else:
            self._prompt, self._countdown_until = Prompt.CLOSER, measurement.deadline

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
        """Log the decision durably, then act on it (open, refuse, re-measure, call the guard).

        A person let through while the gate is still open for the one before waits, unlogged,
        until the door has shut behind that one (``_open_when_free``)."""
        if self._must_wait(session, decision, kind):
            assert session is not None
            session.waiting = (decision, reading)
            until = now.monotonic + self.config.device.read_timeout_s
            self.show(Stage.COOLDOWN, decision.reason, until=until)
            return None
        values = dict(data or {})
        if session is not None and session.plate is not None:
            values.update({"lane": "vehicle", "plate": session.plate})
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
        if decision.verdict is Verdict.ALLOW:
            self._opening = event
        self._act(session, decision, now)
        return event

    def _must_wait(self, session: Session | None, decision: Decision, kind: EventKind) -> bool:
        # The guard's own opening is a person's deliberate act and is not held back.
        lane_decision = kind is EventKind.DECISION and session is not None
        return lane_decision and decision.verdict is Verdict.ALLOW and self.doorway.busy

    def _act(self, session: Session | None, decision: Decision, now: ClockReading) -> None:
        mono = now.monotonic
        self._remember_decided(session, decision, mono)
        plate = session.plate if session is not None and session.plate else ""
        for alert in decision.alerts:
            if alert in ALARMING:
                self.alarms.raise_once(alert, now, decision.detail, self._person, value=plate)
        if decision.verdict is Verdict.DENY and decision.reason in ALARMING_REFUSALS:
            fever = decision.reason is Reason.FEVER and self._temperature is not None
            value = f"{self._temperature:.1f}" if fever else plate
            self.alarms.raise_once(decision.reason, now, decision.detail, self._person, value=value)
        if decision.verdict is Verdict.ALLOW:
            self.open_gate(now)
            until = mono + self.config.gpio.open_s
            self.show(Stage.OPEN, decision.reason, decision.verdict, until)
            self._countdown_until = until
        elif decision.verdict is Verdict.REMEASURE and session is not None:
            session.attempt += 1
            self.start_measuring(session, now, Stage.REMEASURE)
        elif decision.verdict is Verdict.GUARD:
            self.alarms.raise_once(decision.reason, now, decision.detail, self._person, value=plate)
            until = mono + self.config.device.read_timeout_s
            self.show(Stage.GUARD, decision.reason, decision.verdict, until)
        else:
            self.hw.indicator.show("refuse")
            self.show(Stage.DENIED, decision.reason, decision.verdict, mono + REFUSAL_S)

    def _remember_decided(self, session: Session | None, decision: Decision, mono: float) -> None:
        if session is None or not session.text or decision.verdict is Verdict.REMEASURE:
            return
        self._decided = (session.text, decision)
        # The camera is not read while measuring: the code counts as seen at the decision,
        # so one held up all along is not taken for a new presentation.
        self.codes.hold(session.text, mono)

    def _log_failed(self, decision: Decision) -> None:
        # Nothing may pass unlogged: keep the gate shut and ask for the guard.
        self.alarms.show_lamp(self._now)
        until = self._now.monotonic + self.config.device.read_timeout_s
        self.show(Stage.GUARD, decision.reason, Verdict.GUARD, until)

    def open_gate(self, now: ClockReading) -> None:
        """Energise the relay (call only after the reason is logged)."""
        self.doorway.open(now)
        self.hw.indicator.show("pass")

    def _opening_ended(self, outcome: Outcome, now: ClockReading) -> None:
        if self._stage not in (Stage.OPEN, Stage.DENIED, Stage.GUARD):  # they show their own
            self.alarms.show_lamp(self._now)
        opening, self._opening = self._opening, None
        if outcome == "unused" and opening is not None and self.config.gpio.door_contact:
            self.record(
                unused_opening(
                    opening, self.make_event(EventKind.SYSTEM, Reason.OPENING_UNUSED, now)
                )
            )

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
        """An event of this kiosk, in the lane's current direction."""
        return self.recorder.make_event(
            kind,
            reason,
            now,
            direction=self.direction,
            verdict=verdict,
            session=session,
            temperature=temperature,
            data=data,
        )

    def record(self, event: Event) -> bool:
        """Append to the log; False (the fault on screen) when the log cannot be written."""
        return self.recorder.record(event)

    def _unlogged(self, event: Event, error: str) -> None:
        self.alarms.show_unlogged(event, error)

    def note(
        self, kind: EventKind, reason: Reason, now: ClockReading, data: dict[str, Any]
    ) -> Noted:
        """Make an event of this kiosk and append it (the ``Journal`` the alarm desk writes to)."""
        event = self.make_event(kind, reason, now, data=data)
        return Noted(event, self.record(event))

    # --- what the guard desk may ask (kiosk.guard.Lane) ----------------------------------------

    def open_for_guard(self, reason: str, now: ClockReading) -> Event | None:
        """Log the guard's reason, with the person at the gate if any, and open."""
        decision = Decision(Verdict.ALLOW, Reason.GUARD_OVERRIDE, detail=reason)
        session = self.session
        if session is not None and session.visitor is not None:
            session = None  # a visitor in registration is logged by its own event
        data = {"reason": reason}
        return self.conclude(session, decision, now, kind=EventKind.GUARD_ACTION, data=data)

    def measure_visitor(self, visitor: RegisterVisitor, now: ClockReading) -> str:
        """Start on a visitor the guard registered by hand: measure them, or at the car gate
        let the last unknown vehicle in as theirs. What stands in the way, or ""."""
        if self.vehicles is not None:
            return self._register_vehicle(visitor, now)
        household = self.office.household(visitor.household_id)
        self.session = Session("", None, None, household, History(), visitor=visitor)
        self.start_measuring(self.session, now, Stage.MEASURING)
        return ""

    def _register_vehicle(self, visitor: RegisterVisitor, now: ClockReading) -> str:
        """Register the unknown car at the barrier, under the plate as the guard corrected it.
        A corrected plate the office or the risk list knows is decided as that car instead."""
        unknown = self._unknown_vehicle
        if unknown is None or self.vehicles is None:
            return "no unregistered vehicle the guard may let in has come to the barrier"
        if self.codes.held != unknown.text or self.codes.held_gone_for(now.monotonic) > CAR_GONE_S:
            self._unknown_vehicle = None  # lifted now, it would open for whoever drives up next
            return f"{unknown.plate} has left the barrier: nothing was registered"
        plate = normalize(visitor.plate) if visitor.plate else unknown.plate
        if plate is None:
            return f"{visitor.plate} is no plate: correct it or register the plate read"
        self._unknown_vehicle = None
        read_as = {"read_as": unknown.plate} if plate != unknown.plate else {}
        if read_as:
            corrected = self.vehicles.session(plate, now)
            corrected.text = unknown.text  # the camera goes on reading it as it did
            decision = self.vehicles.decide(corrected, now, self.direction)
            if corrected.vehicle is not None or decision.reason is not Reason.VEHICLE_UNKNOWN:
                self._decide_plate(corrected, decision, now, read_as)
                return f"{plate} is known to the office or its risk list: decided, not registered"
            unknown = corrected
        vehicle_id = f"guard-{self._new_id()}"
        session, decision = self.vehicles.register(
            unknown, visitor, vehicle_id, now, self.direction
        )
        session.text = unknown.text
        self.session = session
        if self.conclude(session, decision, now, data=read_as) is None and session.waiting is None:
            return "the event log cannot be written: the barrier stays down"
        return ""

    def turn(self, direction: Direction, now: ClockReading) -> None:
        """Switch the lane's direction; the log says who turned it."""
        self.direction = direction
        detail = f"guard set the lane direction to {direction.value}"
        data = {"direction": direction.value, "detail": detail}
        self.record(self.make_event(EventKind.SYSTEM, Reason.OK, now, data=data))

    def set_language(self, language: str) -> None:
        self.language = language

    # --- watchers ------------------------------------------------------------------------------

    def _watch_exit_button(self, now: ClockReading) -> None:
        """Egress: open for whoever pressed, logged or not; an alarm where exits are scanned."""
        if not self.doorway.exit_pressed():
            return
        event = self.make_event(EventKind.DECISION, Reason.EXIT_BUTTON, now, verdict=Verdict.ALLOW)
        event = replace(event, direction=Direction.OUT)
        if not self.record(event):
            self.recorder.keep(event, now.monotonic)  # record() has put the fault on screen
        self._opening = event
        self.open_gate(now)
        if self._policy().exit_button == "alarm":
            detail = "exit button used: in this compound people leave through the exit lane"
            self.alarms.raise_once(Reason.EXIT_BUTTON, now, detail)

    # --- the view ----------------------------------------------------------------------------

    def _countdown(self) -> int | None:
        until = self._countdown_until
        return None if until is None else max(0, math.ceil(until - self._now.monotonic - 1e-9))

    def _publish(self) -> KioskView:
        view = KioskView(
            stage=self._stage,
            reason=self._reason,
            verdict=self._verdict,
            temperature_c=self._temperature,
            person=self._person,
            vehicle_lane=self.vehicles is not None,
            plate=self.session.plate if self.session is not None else None,
            unregistered_plate=self._unknown_vehicle.plate if self._unknown_vehicle else None,
            direction=self.direction,
            alarms=self.alarms.view(),
            recent_events=tuple(self.recorder.recent),
            guard_unlocked=self.guard.unlocked,
            online=self.health.link[0],
            unsynced_events=self.recorder.unsynced,
            clock_trusted=self._now.trusted,
            gate_open=self.hw.gate.is_open,
            door_open=self.doorway.door_open,
            aim=self.codes.aim if self._stage in (Stage.IDLE, Stage.READING) else None,
            prompt=self._prompt,
            countdown_s=self._countdown(),
            pin_locked_s=self.guard.locked_out_s,
            default_pin=self.config.ui.default_pin,
            sequence=self._view.sequence,
        )
        if view != self._view:
            self._view = replace(view, sequence=self._view.sequence + 1)
        return self._view
