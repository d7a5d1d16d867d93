"""The touch UI against the real kiosk (``kiosk.app.build(config, sim=True)``), not a fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest

from kiosk.model import Reason
from kiosk.view import GuardOpen, LockGuard, UnlockGuard
from ui.render import shared_fonts
from ui.screen import GUARD_HOLD_S, Screen
from ui.state import Page

app_module = pytest.importorskip(
    "kiosk.app", reason="kiosk.app (the composition root) is not in the tree yet"
)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Any]:
    from kiosk.config import load_config

    config = load_config(None, {"device.data_dir": str(tmp_path), "ui.fullscreen": False})
    built = app_module.build(config, sim=True)
    yield built
    built.close()


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def tap(screen: Screen, app: Any, label: str) -> None:
    """Touch the button called ``label``, let the kiosk take one step, redraw."""
    screen.draw()
    rect = next(
        b.rect for b in screen.canvas.buttons if b.label == label or b.label.startswith(label + " ")
    )
    screen.touch(rect.center)
    app.kiosk.tick()


def open_pin_pad(screen: Screen, app: Any) -> None:
    """Hold the guard corner until the PIN pad opens."""
    tap(screen, app, "Guard")
    screen.clock.now += GUARD_HOLD_S  # type: ignore[attr-defined]
    screen.update()


def test_guard_unlocks_opens_and_locks_the_real_kiosk(app: Any) -> None:
    pygame.font.init()
    screen = Screen(
        app.kiosk, pygame.Surface((800, 480)), language="en", clock=Clock(), fonts=shared_fonts()
    )
    app.kiosk.tick()
    open_pin_pad(screen, app)
    for label in ("1", "2", "3", "4", "OK"):
        tap(screen, app, label)
    command, result = screen.results[-1]
    assert command == UnlockGuard("1234") and result.ok, result
    assert app.kiosk.view().guard_unlocked
    assert screen.state.shown_page(app.kiosk.view()) is Page.ALARMS

    for label in ("Open", "Medical staff", "Open gate"):
        tap(screen, app, label)
    command, result = screen.results[-1]
    assert command == GuardOpen("medical") and result.ok, result
    view = app.kiosk.view()
    assert view.gate_open or any(e.reason is Reason.GUARD_OVERRIDE for e in view.recent_events)

    tap(screen, app, "Lock")
    assert screen.results[-1][0] == LockGuard()
    assert not app.kiosk.view().guard_unlocked


def test_wrong_pin_is_refused_by_the_real_kiosk(app: Any) -> None:
    pygame.font.init()
    screen = Screen(
        app.kiosk, pygame.Surface((800, 480)), language="en", clock=Clock(), fonts=shared_fonts()
    )
    open_pin_pad(screen, app)
    for label in ("9", "9", "9", "9", "OK"):
        tap(screen, app, label)
    assert not screen.results[-1][1].ok
    assert not app.kiosk.view().guard_unlocked
    assert screen.state.shown_page(app.kiosk.view()) is Page.PIN
