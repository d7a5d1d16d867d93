"""Guard entry a resident cannot trip (issue #19, item 3), on the real kiosk in simulated time:
the PIN pad is reached by a long press only, a guard page never hides a new verdict or alarm,
a lock-out counts down in words, and the factory PIN is called out until it is changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pygame
import pytest

from kiosk.app import build
from kiosk.commands.demo import demo_config
from kiosk.config import hash_pin
from kiosk.demo_scenario import Player, SimTime
from kiosk.demo_world import make_world
from kiosk.view import Stage, UnlockGuard
from tests import test_machine_e2e
from tests.test_machine_e2e import START, Rig
from ui import strings
from ui.linebreak import clean
from ui.screen import GUARD_HOLD_S, OVERLAY_S, Screen
from ui.state import Page

rig = test_machine_e2e.rig  # the simulated kiosk, the fixture of the end-to-end tests


def screen_on(rig: Rig) -> Screen:
    if not pygame.font.get_init():
        pygame.font.init()
    screen = Screen(rig.app.kiosk, pygame.Surface((800, 480)), clock=rig.player.time.timers.now)
    screen.draw()
    return screen


def press(screen: Screen, label: str) -> None:
    [button] = [b for b in screen.canvas.buttons if b.label == label]
    screen.touch(button.rect.center)
    screen.update()
    screen.draw()


def texts(screen: Screen) -> list[str]:
    return [clean(t.text) for t in screen.canvas.texts]  # without the line-break marks


def hold_corner(rig: Rig, screen: Screen) -> None:
    press(screen, strings.text("zh-CN", "guard_hold"))
    rig.player.run(GUARD_HOLD_S)
    screen.update()
    screen.draw()


def test_a_new_verdict_covers_the_pin_pad_and_the_pad_comes_back_after(rig: Rig) -> None:
    screen = screen_on(rig)
    hold_corner(rig, screen)
    assert screen.state.shown_page(rig.app.kiosk.view()) is Page.PIN
    press(screen, "1")
    rig.show("forged")  # a forged pass while the guard is typing
    rig.wait(Stage.DENIED)
    screen.update()
    screen.draw()
    refused = clean(strings.reason_words("zh-CN", rig.app.kiosk.view().reason).title)
    assert refused in texts(screen), "the refusal happened unseen behind the PIN pad"
    rig.sim.present_pass(None)
    rig.player.run(OVERLAY_S + 10)  # the refusal is over
    screen.state.last_touch = rig.player.time.timers.now()  # the guard is still typing
    screen.update()
    screen.draw()
    assert strings.text("zh-CN", "pin_title") in texts(screen)


def test_a_new_alarm_covers_an_unlocked_guard_page(rig: Rig) -> None:
    screen = screen_on(rig)
    hold_corner(rig, screen)
    for key in "1234":
        press(screen, key)
    press(screen, strings.text("zh-CN", "ok"))
    press(screen, strings.text("zh-CN", "tab_events"))
    rig.sim.set_door(True)  # forced
    rig.player.run(0.3)
    screen.update()
    screen.draw()
    assert rig.app.kiosk.view().alarms  # the gate screen says only that the guard is told
    assert clean(strings.text("zh-CN", "guard_notified")) in texts(screen), texts(screen)
    corner = strings.text("zh-CN", "guard_hold")
    assert corner in [b.label for b in screen.canvas.buttons], "the gate screen is not shown"
    assert screen.state.page is Page.EVENTS  # the page is kept underneath


def test_a_lock_out_counts_down_in_words_beside_the_keypad(rig: Rig) -> None:
    kiosk = rig.app.kiosk
    for _ in range(5):
        assert not kiosk.submit(UnlockGuard("0000")).ok
    assert not kiosk.submit(UnlockGuard("1234")).ok  # locked out: even the right PIN
    screen = screen_on(rig)
    hold_corner(rig, screen)
    left = rig.player.run(0.1).pin_locked_s
    assert 55 <= left <= 60
    assert f"尝试次数过多，请 {left} 秒后再试" in texts(screen)
    rig.player.run(20)
    screen.state.last_touch = rig.player.time.timers.now()
    screen.update()
    screen.draw()
    assert f"尝试次数过多，请 {left - 20} 秒后再试" in texts(screen)
    rig.player.run(left - 20)
    assert kiosk.view().pin_locked_s == 0 and kiosk.submit(UnlockGuard("1234")).ok


@pytest.mark.parametrize("pin", ["1234", "8642"])
def test_the_factory_pin_is_called_out_until_it_is_changed(tmp_path: Path, pin: str) -> None:
    config = demo_config(tmp_path)
    config = dataclasses.replace(
        config, ui=dataclasses.replace(config.ui, guard_pin_sha256=hash_pin(pin))
    )
    time = SimTime(START)
    app = build(config, sim=True, clock=time.clock, timers=time.timers)
    try:
        gate = Rig(app, make_world(START, compound=config.device.compound), Player(app, time))
        screen = screen_on(gate)
        hold_corner(gate, screen)
        warning = clean(strings.text("zh-CN", "default_pin"))
        assert (warning in texts(screen)) is (pin == "1234")
        for key in pin:
            press(screen, key)
        press(screen, strings.text("zh-CN", "ok"))
        assert screen.state.shown_page(app.kiosk.view()) is Page.ALARMS
        assert (warning in texts(screen)) is (pin == "1234")
    finally:
        app.close()
