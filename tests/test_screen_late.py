"""The screen comes when it comes: `kiosk run` with no display at start runs the gate headless,
tries the display again every few seconds and shows it once it appears (a late panel, HDMI
plugged in later).

The real ``kiosk run`` (``serve``) runs with the simulated hardware and the real pygame UI. SDL
is given a video driver that cannot open (as kmsdrm fails before the panel is up) until the
"cable is plugged in": then the dummy driver, which opens.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import ui.app
from kiosk.commands import run as kiosk_run
from kiosk.config import load_config

GIVE_UP_S = 30.0  # an old kiosk that never retries is stopped after this, and the test fails


def test_no_display_at_start_runs_headless_and_shows_the_screen_once_it_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(
        None, {"device.data_dir": str(tmp_path), "ui.fullscreen": False, "sync.server_url": ""}
    )
    monkeypatch.setattr(kiosk_run, "DISPLAY_RETRY_S", 0.05, raising=False)
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-panel-yet")
    opened = threading.Event()
    attempts: list[str] = []
    real_open = ui.app.open_display

    def open_display(*args: Any, **kwargs: Any) -> Any:
        if len(attempts) == 2:
            os.environ["SDL_VIDEODRIVER"] = "dummy"  # the HDMI cable goes in
        attempts.append(os.environ["SDL_VIDEODRIVER"])
        window = real_open(*args, **kwargs)
        opened.set()
        return window

    monkeypatch.setattr(ui.app, "open_display", open_display)
    stop_after_the_screen = threading.Thread(target=_terminate_after, args=(opened,), daemon=True)
    stop_after_the_screen.start()
    caplog.set_level(logging.INFO, logger="kiosk")

    assert kiosk_run.serve(config, ui=True, sim=True) == 0

    assert attempts == ["no-panel-yet", "no-panel-yet", "dummy"]
    assert opened.is_set()
    missing = [r for r in caplog.records if "no screen yet" in r.getMessage()]
    assert len(missing) == 1  # said once, not at every retry
    assert any("screen found" in r.getMessage() for r in caplog.records)


def _terminate_after(opened: threading.Event) -> None:
    """SIGTERM (as systemd stops the kiosk) a moment after the screen opened, or at GIVE_UP_S."""
    if opened.wait(GIVE_UP_S):
        threading.Event().wait(0.5)  # let the UI draw a few frames
    os.kill(os.getpid(), signal.SIGTERM)


def test_the_self_test_says_whether_the_kiosk_would_show_a_screen_or_run_headless(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pygame

    from hw_tests.harness import CheckFailed
    from hw_tests.screen import _open_and_draw

    rig: Any = SimpleNamespace(config=load_config(None, {"ui.fullscreen": False}))
    monkeypatch.setenv("SDL_VIDEODRIVER", "no-panel-yet")
    with pytest.raises(CheckFailed, match=r"would run the gate headless now .* every 5 s"):
        _open_and_draw(pygame, rig, fullscreen=False)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    assert "`kiosk run` shows it" in _open_and_draw(pygame, rig, fullscreen=False)
