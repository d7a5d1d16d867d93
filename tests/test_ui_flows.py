"""Guard and resident flows driven by posted touch events, checked against the commands the
kiosk receives (a fake kiosk here; the real one in test_ui_integration.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pygame
import pytest

from kiosk.model import Direction
from kiosk.view import (
    AcknowledgeAlarm,
    CommandResult,
    GuardOpen,
    LockGuard,
    RegisterVisitor,
    SetDirection,
    SetLanguage,
    UnlockGuard,
)
from ui import samples, strings
from ui.app import loop, make_screen, run_ui
from ui.flash import FLASH_S
from ui.screen import GUARD_HOLD_S, PIN_IDLE_S, Screen
from ui.state import Page


@dataclass
class UiCfg:
    language: str = "zh-CN"
    fullscreen: bool = False
    width: int = 800
    height: int = 480
    guard_lock_s: float = 60.0
    speech: bool = False
    rotation: int = 0
    touch_matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    panel_mm: float = 154.0
    sensor_side: str = "right"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def window() -> Iterator[pygame.Surface]:
    pygame.display.init()
    yield pygame.display.set_mode((800, 480))
    pygame.display.quit()


class Driver:
    """Touches the screen the way a finger does: FINGERDOWN events through the real loop."""

    def __init__(
        self, window: pygame.Surface, kiosk: samples.FakeKiosk, language: str = "zh-CN"
    ) -> None:
        self.clock = FakeClock()
        self.kiosk = kiosk
        self.language = language
        self.screen: Screen = make_screen(kiosk, UiCfg(language=language), window, clock=self.clock)
        self.run()

    def run(self, *events: pygame.event.Event) -> None:
        pygame.event.clear()
        for event in (*events, pygame.event.Event(pygame.QUIT)):
            pygame.event.post(event)
        loop(self.screen)

    def target(self, label: str) -> pygame.Rect:
        found = [
            b.rect
            for b in self.screen.canvas.buttons
            if b.label == label or b.label.startswith(label + " ")
        ]
        assert found, f"no button {label!r} among {[b.label for b in self.screen.canvas.buttons]}"
        return found[0]

    def finger(self, label: str) -> pygame.event.Event:
        x, y = self.target(label).center
        return pygame.event.Event(
            pygame.FINGERDOWN,
            x=x / 800,
            y=y / 480,
            dx=0.0,
            dy=0.0,
            touch_id=1,
            finger_id=0,
            pressure=1.0,
        )

    def tap(self, *labels: str) -> None:
        for label in labels:
            self.run(self.finger(label))

    def word(self, key: str) -> str:
        return strings.text(self.language, key)

    def hold_guard_corner(self, seconds: float = GUARD_HOLD_S) -> None:
        """Press the guard corner and keep the finger on it for ``seconds``."""
        self.run(self.finger(self.word("guard_hold")))
        self.clock.now += seconds
        self.run()

    def unlock(self, pin: str = "1234") -> None:
        self.hold_guard_corner()
        self.tap(*pin, self.word("ok"))


def busy() -> samples.FakeKiosk:
    return samples.FakeKiosk(replace(samples.guard_view(), guard_unlocked=False))


def test_unlock_with_pin_opens_the_alarms(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.unlock("1234")
    assert ui.kiosk.commands == [UnlockGuard("1234")]
    assert ui.screen.state.shown_page(ui.kiosk.view()) is Page.ALARMS
    assert ui.screen.state.pin == ""


def test_wrong_pin_stays_locked_and_says_so(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.unlock("9999")
    assert ui.kiosk.commands == [UnlockGuard("9999")]
    assert ui.screen.state.shown_page(ui.kiosk.view()) is Page.PIN
    assert ui.screen.state.pin_error == "密码错误"
    [said] = [t for t in ui.screen.canvas.texts if t.text == "密码错误"]
    keys = [ui.target(k) for k in "1234567890←"]
    keypad = keys[0].unionall(keys[1:])  # the OK key sits in its last row
    assert not said.drawn.colliderect(keypad), "the error covers the keypad"
    assert all(not said.drawn.colliderect(b.rect) for b in ui.screen.canvas.buttons)
    ui.tap("5")
    assert ui.screen.state.pin_error == ""


def test_backspace_removes_the_last_digit(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.hold_guard_corner()
    ui.tap("1", "2", "5", "←", "3", "4", ui.word("ok"))
    assert ui.kiosk.commands == [UnlockGuard("1234")]


def test_manual_open_needs_a_reason_and_logs_it(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.unlock()
    ui.tap(ui.word("tab_open"))
    # Greyed out until a reason is picked: drawn, but no touch target.
    assert ui.word("open_gate") not in [b.label for b in ui.screen.canvas.buttons]
    assert ui.word("open_gate") in [t.text for t in ui.screen.canvas.texts]
    ui.tap(ui.word("open_medical"), ui.word("open_gate"))
    assert ui.kiosk.commands[-1] == GuardOpen("medical")
    assert ui.kiosk.view().gate_open
    assert ui.screen.state.open_reason is None


def test_visitor_entry(window: pygame.Surface) -> None:
    ui = Driver(window, busy(), language="en")
    ui.unlock()
    ui.tap("Visitor", *"13812345678", "Household", *"3-2-501", "Family visit", "Register")
    assert ui.kiosk.commands[-1] == RegisterVisitor("13812345678", "family", "3-2-501")
    assert (ui.screen.state.phone, ui.screen.state.household) == ("", "")


def test_visitor_phone_takes_digits_only(window: pygame.Surface) -> None:
    ui = Driver(window, busy(), language="en")
    ui.unlock()
    ui.tap("Visitor", "1", "3")
    assert "-" not in [b.label for b in ui.screen.canvas.buttons]  # greyed out: not a target
    ui.tap("Household", "-", "Phone: 13", "8")
    assert (ui.screen.state.phone, ui.screen.state.household) == ("138", "-")


def test_the_alarms_page_puts_the_most_urgent_alarm_on_top(window: pygame.Surface) -> None:
    """As the banner does: door before fever before a flagged pass, whatever their age."""
    ui = Driver(window, busy(), language="en")
    ui.unlock()
    ui.tap("Ack")
    assert ui.kiosk.commands[-1] == AcknowledgeAlarm("al-3")  # door held open
    ui.tap("Ack")
    assert ui.kiosk.commands[-1] == AcknowledgeAlarm("al-1")  # fever, older than al-2
    assert [a.alarm_id for a in ui.kiosk.view().alarms if not a.acknowledged] == ["al-2"]


def test_alarms_of_one_class_are_newest_first(window: pygame.Surface) -> None:
    older = replace(samples.door_alarm(), alarm_id="al-old", raised_at=samples.AT)
    view = replace(samples.guard_view(), alarms=(older, samples.door_alarm()), guard_unlocked=False)
    kiosk = samples.FakeKiosk(view)
    ui = Driver(window, kiosk, language="en")
    ui.unlock()
    ui.tap("Ack")
    assert ui.kiosk.commands[-1] == AcknowledgeAlarm("al-5")


def test_language_and_direction(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.unlock()
    ui.tap(ui.word("tab_settings"), "English")
    assert ui.kiosk.commands[-1] == SetLanguage("en")
    assert ui.screen.state.language == "en"
    assert any(b.label == "Lock" for b in ui.screen.canvas.buttons)
    ui.tap("Out")
    assert ui.kiosk.commands[-1] == SetDirection(Direction.OUT)
    assert ui.kiosk.view().direction is Direction.OUT


def test_lock_button_returns_to_the_resident_screen(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.unlock()
    ui.tap(ui.word("lock"))
    assert ui.kiosk.commands[-1] == LockGuard()
    assert ui.screen.state.shown_page(ui.kiosk.view()) is Page.RESIDENT


def test_idle_guard_panel_locks_itself(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.unlock()
    ui.clock.now += 59
    ui.run()
    assert ui.kiosk.commands[-1] == UnlockGuard("1234")
    ui.clock.now += 2
    ui.run()
    assert ui.kiosk.commands[-1] == LockGuard()
    assert ui.screen.state.page is Page.RESIDENT


def test_abandoned_pin_pad_goes_back_to_residents(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.hold_guard_corner()
    ui.tap("1")
    ui.clock.now += PIN_IDLE_S - 0.5
    ui.run()
    assert ui.screen.state.page is Page.PIN
    ui.clock.now += 1
    ui.run()
    assert ui.screen.state.page is Page.RESIDENT and ui.kiosk.commands == []
    assert ui.screen.state.pin == ""


def test_a_tap_on_the_guard_corner_does_nothing_a_long_press_opens_the_pin_pad(
    window: pygame.Surface,
) -> None:
    ui = Driver(window, busy())
    corner = ui.finger(ui.word("guard_hold"))
    lift = pygame.event.Event(pygame.FINGERUP, x=corner.x, y=corner.y, touch_id=1, finger_id=0)
    ui.run(corner)
    ui.clock.now += 1.0
    ui.run(lift)  # a resident's tap, even a slow one
    ui.clock.now += GUARD_HOLD_S
    ui.run()
    assert ui.screen.state.page is Page.RESIDENT
    ui.hold_guard_corner(GUARD_HOLD_S - 0.2)
    assert ui.screen.state.page is Page.RESIDENT
    ui.clock.now += 0.3
    ui.run()
    assert ui.screen.state.page is Page.PIN


def test_synthetic_mouse_click_from_a_touch_is_ignored(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    at = ui.target(ui.word("guard_hold")).center
    ui.run(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, touch=True))
    ui.clock.now += GUARD_HOLD_S
    ui.run()
    assert ui.screen.state.page is Page.RESIDENT
    ui.run(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=at, button=1, touch=False))
    ui.clock.now += GUARD_HOLD_S
    ui.run()
    assert ui.screen.state.page is Page.PIN


def test_screen_redraws_only_on_change(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.clock.now += FLASH_S  # the busy kiosk's door alarm is new: its frame flashes first
    ui.run()
    assert not ui.screen.update()
    ui.kiosk.publish(temperature_c=36.6)
    assert ui.screen.update()
    ui.run()
    assert not ui.screen.update()


def test_refused_command_shows_why_with_phone_masked(window: pygame.Surface) -> None:
    class Refusing(samples.FakeKiosk):
        def submit(self, command):
            if isinstance(command, RegisterVisitor):
                self.commands.append(command)
                return CommandResult(False, detail=f"{command.phone} has no invitation")
            return super().submit(command)

    ui = Driver(
        window, Refusing(replace(samples.guard_view(), guard_unlocked=False)), language="en"
    )
    ui.unlock()
    ui.tap("Visitor", *"13812345678", "Household", *"1-1-101", "Delivery", "Register")
    toast = ui.screen.state.toast
    assert toast is not None and not toast.ok
    assert "138****5678 has no invitation" in toast.text and "13812345678" not in toast.text


def test_run_ui_draws_and_returns(monkeypatch: pytest.MonkeyPatch) -> None:
    kiosk = samples.FakeKiosk()

    class StopAfterOne:
        calls = 0

        def is_set(self) -> bool:
            self.calls += 1
            return self.calls > 1

    run_ui(kiosk, UiCfg(), clock=FakeClock(), stop=StopAfterOne())
    assert not pygame.display.get_init()  # the loop closes the display it opened


def test_the_guard_corner_counts_the_seconds_still_to_hold(window: pygame.Surface) -> None:
    ui = Driver(window, busy())
    ui.run(ui.finger(ui.word("guard_hold")))
    for left in (3, 2, 1):
        labels = [b.label for b in ui.screen.canvas.buttons]
        assert strings.text("zh-CN", "guard_holding", n=left) in labels, labels
        ui.clock.now += 1.0
        ui.run()
    assert ui.screen.state.page is Page.PIN
