"""Example views: one per stage and guard page, for screenshots, the render benchmark and tests."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pygame

from kiosk.model import Direction, Event, EventKind, Reason, RiskColour, Role, Verdict
from kiosk.view import (
    AcknowledgeAlarm,
    Aim,
    Alarm,
    AlarmCode,
    Command,
    CommandResult,
    GuardOpen,
    KioskView,
    LockGuard,
    PersonView,
    Prompt,
    RegisterVisitor,
    SetDirection,
    SetLanguage,
    Stage,
    UnlockGuard,
    alarm_code,
)

AT = datetime(2020, 2, 14, 8, 30, tzinfo=UTC)
PLACE = "gate-1"


def sample_photo(size: tuple[int, int] = (120, 160)) -> bytes:
    """A small drawn portrait as PNG bytes (a stand-in for a photo registered at the office)."""
    surface = pygame.Surface(size)
    surface.fill((200, 215, 230))
    w, h = size
    pygame.draw.ellipse(surface, (90, 110, 140), (w * 0.1, h * 0.62, w * 0.8, h * 0.6))
    pygame.draw.circle(surface, (235, 200, 170), (w // 2, int(h * 0.4)), int(w * 0.24))
    pygame.draw.ellipse(surface, (40, 30, 30), (w * 0.26, h * 0.16, w * 0.48, h * 0.16))
    buffer = io.BytesIO()
    pygame.image.save(surface, buffer, "photo.png")
    return buffer.getvalue()


def person(colour: RiskColour = RiskColour.WHITE, photo: bool = True) -> PersonView:
    return PersonView(
        pass_id="P-2020-000123",
        masked_name="王*华",
        role=Role.RESIDENT,
        household_id="3-2-501",
        colour=colour,
        expires_at=AT + timedelta(days=30),
        photo_png=sample_photo() if photo else None,
    )


def visitor() -> PersonView:
    """A visitor of flat H-0101 (the card must not look like a resident's)."""
    return replace(person(), masked_name="刘*", role=Role.VISITOR, household_id="H-0101")


def event(
    minutes: int, reason: Reason, kind: EventKind = EventKind.DECISION, **extra: object
) -> Event:
    fields: dict[str, object] = {
        "verdict": Verdict.ALLOW if reason is Reason.OK else Verdict.DENY,
        "direction": Direction.IN,
        "household_id": "3-2-501",
        "temperature_c": 36.5,
    }
    fields.update(extra)
    return Event(
        event_id=f"ev-{minutes}-{reason}",
        kind=kind,
        wall_time=AT + timedelta(minutes=minutes),
        monotonic=float(minutes * 60),
        boot_id="boot-1",
        clock_trusted=True,
        device_id="gate-1",
        compound_id="yuanqu-1",
        reason=reason,
        **fields,  # type: ignore[arg-type]
    )


def alarms() -> tuple[Alarm, ...]:
    who = person()
    return (
        Alarm(
            "al-1",
            Reason.FEVER,
            AT + timedelta(minutes=3),
            "38.4 °C",
            place=PLACE,
            person=who,
            value="38.4",
        ),
        Alarm(
            "al-2",
            Reason.QUARANTINE,
            AT + timedelta(minutes=5),
            "3-2-501",
            place=PLACE,
            person=person(RiskColour.RED),
        ),
        Alarm(
            "al-3",
            Reason.DOOR_HELD_OPEN,
            AT + timedelta(minutes=6),
            "door open for 45 s",
            place=PLACE,
            value="45",
        ),
        Alarm(
            "al-4",
            Reason.REVOKED,
            AT + timedelta(minutes=1),
            "P-2020-000777",
            acknowledged=True,
            place=PLACE,
        ),
    )


def door_alarm() -> Alarm:
    """The alarm a door forced open raises (no pass, so nobody to name)."""
    return Alarm(
        "al-5", Reason.DOOR_FORCED_OPEN, AT + timedelta(minutes=8), "door opened", place=PLACE
    )


# A value of the kind each code's words take (the longest the kiosk writes).
_VALUES = {
    AlarmCode.DOOR_HELD: "3600",
    AlarmCode.FEVER: "41.9",
    AlarmCode.BACKLOG: "100000",
    # The office's own words, in whatever language the office speaks: a neutral sample here.
    AlarmCode.OFFICE_REFUSED: "400",
    AlarmCode.LOG_ROW_SET_ASIDE: "1000000",
    AlarmCode.OFFICE_DATA: "4611686018427387904",  # the office's change number (cursor)
}
_ABOUT_NOBODY = {
    AlarmCode.DOOR_FORCED: Reason.DOOR_FORCED_OPEN,
    AlarmCode.DOOR_HELD: Reason.DOOR_HELD_OPEN,
    AlarmCode.THERMOMETER_FAULT: Reason.SENSOR_FAULT,
    AlarmCode.CAMERA_FAULT: Reason.SENSOR_FAULT,
    AlarmCode.LOG_UNWRITABLE: Reason.LOG_FAULT,
    AlarmCode.LOG_FULL: Reason.LOG_FAULT,
    AlarmCode.LOG_READ_ONLY: Reason.LOG_FAULT,
    AlarmCode.LOG_UNREADABLE: Reason.LOG_FAULT,
    AlarmCode.LOG_MOVED_ASIDE: Reason.LOG_FAULT,
    AlarmCode.LOG_REPLACED: Reason.LOG_FAULT,
    AlarmCode.LOG_ROW_SET_ASIDE: Reason.LOG_FAULT,
    AlarmCode.OFFICE_DATA_FAULT: Reason.LOG_FAULT,
    AlarmCode.OFFICE_DATA_RESET: Reason.LOG_FAULT,
    AlarmCode.CLOCK_UNTRUSTED: Reason.CLOCK_UNTRUSTED,
    AlarmCode.BACKLOG: Reason.OFFLINE_BACKLOG,
    AlarmCode.OFFICE_REFUSED: Reason.OFFICE_REFUSED,
    AlarmCode.OFFICE_DATA: Reason.OFFICE_DATA,
    AlarmCode.EXIT_BUTTON: Reason.EXIT_BUTTON,
}


_PERSON_REASONS = {alarm_code(r): r for r in Reason if alarm_code(r) is not AlarmCode.CHECK_PERSON}


def alarm_of(code: AlarmCode, logged: bool = True) -> Alarm:
    """One alarm with ``code``, as the kiosk raises it (about a person unless a door or device)."""
    reason = _ABOUT_NOBODY.get(code) or _PERSON_REASONS.get(code, Reason.EXPIRED)
    return Alarm(
        f"al-{code}",
        reason,
        AT + timedelta(minutes=9),
        place=PLACE,
        person=None if code in _ABOUT_NOBODY else person(RiskColour.RED),
        code=code,
        value=_VALUES.get(code, ""),
        logged=logged,
    )


def camera_frame(text: str | None = None, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A simulated camera frame (a hand holding ``text`` as a QR code, or an empty scene)."""
    from drivers.frames import random_style, render_frame  # the simulator's own frames

    rng = np.random.default_rng(seed)
    return render_frame(text, random_style(rng, hard=0), rng, (640, 480))


def events() -> tuple[Event, ...]:
    return (
        event(0, Reason.OK),
        event(1, Reason.REVOKED, household_id="5-1-302", temperature_c=None),
        event(2, Reason.VISITOR_REGISTERED, EventKind.VISITOR, data={"phone": "13812345678"}),
        event(3, Reason.FEVER, temperature_c=38.4),
        event(4, Reason.GUARD_OVERRIDE, EventKind.GUARD_ACTION, direction=Direction.OUT),
        event(5, Reason.QUARANTINE, direction=Direction.OUT),
        event(6, Reason.DOOR_HELD_OPEN, EventKind.ALARM, temperature_c=None),
        event(7, Reason.OK, temperature_c=36.2),
    )


BASE = KioskView(stage=Stage.IDLE, online=True, sequence=1)


def stage_views() -> dict[str, KioskView]:
    """One view per resident-screen situation, named for file names."""
    views = {
        "idle": BASE,
        "reading": replace(BASE, stage=Stage.READING),
        "measuring": replace(BASE, stage=Stage.MEASURING, person=person(), temperature_c=36.4),
        "remeasure": replace(
            BASE,
            stage=Stage.REMEASURE,
            reason=Reason.REMEASURE,
            person=person(),
            temperature_c=37.6,
        ),
        "pass": replace(
            BASE,
            stage=Stage.OPEN,
            verdict=Verdict.ALLOW,
            person=person(),
            temperature_c=36.5,
            gate_open=True,
        ),
        "fever": replace(
            BASE,
            stage=Stage.DENIED,
            reason=Reason.FEVER,
            verdict=Verdict.DENY,
            person=person(),
            temperature_c=38.4,
        ),
        "quarantine": replace(
            BASE,
            stage=Stage.DENIED,
            reason=Reason.QUARANTINE,
            verdict=Verdict.DENY,
            person=person(RiskColour.RED),
            temperature_c=36.6,
            direction=Direction.OUT,
        ),
        "guard": replace(
            BASE, stage=Stage.GUARD, reason=Reason.SENSOR_FAULT, verdict=Verdict.GUARD
        ),
        "cooldown": replace(BASE, stage=Stage.COOLDOWN),
        "aim": replace(BASE, aim=Aim.HOLD_STILL),
        "door-alarm": replace(BASE, alarms=(door_alarm(),), door_open=True),
        "alarms": replace(BASE, alarms=alarms(), door_open=True),
        "link-unknown": replace(BASE, online=None),
    }
    views["fever-alarm"] = replace(views["fever"], alarms=(*alarms(), door_alarm()))
    views |= prompt_views(views)
    return views


def prompt_views(views: dict[str, KioskView]) -> dict[str, KioskView]:
    """The screens that answer a person instead of ignoring them (kiosk.view.Prompt)."""
    revoked = replace(views["fever"], reason=Reason.REVOKED, person=None, temperature_c=None)
    return {
        "pass-countdown": replace(views["pass"], countdown_s=6),
        "see-guard": replace(revoked, prompt=Prompt.SEE_GUARD),
        "retry": replace(revoked, reason=Reason.NO_FOREHEAD, prompt=Prompt.RETRY),
        "lower-pass": replace(BASE, prompt=Prompt.LOWER_PASS),
        "guard-booth": replace(views["guard"], prompt=Prompt.GUARD_BOOTH),
        "visitor": replace(views["pass"], person=visitor()),
        "closer": replace(views["measuring"], prompt=Prompt.CLOSER, countdown_s=5),
    }


def guard_view() -> KioskView:
    """A busy kiosk as the guard sees it: unlocked, alarms, events, a person, offline backlog."""
    return replace(
        BASE,
        stage=Stage.DENIED,
        reason=Reason.FEVER,
        person=person(),
        temperature_c=38.4,
        alarms=alarms(),
        recent_events=events(),
        guard_unlocked=True,
        default_pin=True,
        online=False,
        unsynced_events=42,
        clock_trusted=False,
        door_open=True,
    )


class FakeKiosk:
    """An in-memory stand-in for ``kiosk.machine.Kiosk`` that keeps the view/command contract.

    It makes no decisions beyond the contract: the PIN unlocks, commands change the view and
    are recorded in ``commands``. For UI tests and the render benchmark.
    """

    def __init__(self, view: KioskView = BASE, pin: str = "1234") -> None:
        self._view = view
        self._pin = pin
        self.commands: list[Command] = []
        self.language = "zh-CN"

    def view(self) -> KioskView:
        return self._view

    def publish(self, **changes: object) -> KioskView:
        """Publish a new view with ``changes`` (as the kiosk loop would)."""
        seq = self._view.sequence + 1
        self._view = replace(self._view, sequence=seq, **changes)  # type: ignore[arg-type]
        return self._view

    def submit(self, command: Command) -> CommandResult:
        self.commands.append(command)
        unlocked = self._view.guard_unlocked
        if isinstance(command, UnlockGuard):
            if command.pin != self._pin:
                return CommandResult(False, Reason.OK, "wrong PIN")
            self.publish(guard_unlocked=True)
        elif not unlocked and not isinstance(command, LockGuard):
            return CommandResult(False, Reason.OK, "guard panel is locked")
        else:
            self._apply(command)
        return CommandResult(True)

    def _apply(self, command: Command) -> None:
        if isinstance(command, LockGuard):
            self.publish(guard_unlocked=False)
        elif isinstance(command, GuardOpen):
            self.publish(gate_open=True, stage=Stage.OPEN, reason=Reason.GUARD_OVERRIDE)
        elif isinstance(command, AcknowledgeAlarm):
            acked = tuple(
                replace(a, acknowledged=True) if a.alarm_id == command.alarm_id else a
                for a in self._view.alarms
            )
            self.publish(alarms=acked)
        elif isinstance(command, SetDirection):
            self.publish(direction=command.direction)
        elif isinstance(command, SetLanguage):
            self.language = command.language
        elif isinstance(command, RegisterVisitor):
            self.publish(stage=Stage.OPEN, reason=Reason.VISITOR_REGISTERED)
