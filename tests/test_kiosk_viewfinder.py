"""The viewfinder's inputs: the camera frame the decoder read, the "closer" / "hold still" hint
for a code seen but not read, and an online indicator that is unknown until the office answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from drivers.base import GreyFrame, Sighting
from drivers.frames import FrameStyle, random_style, render_frame
from drivers.qrfinder import finder_sightings
from kiosk.aim import AIM_HOLD_S, aim_for
from kiosk.app import App, build
from kiosk.commands.demo import demo_config
from kiosk.demo_scenario import Player, SimTime
from kiosk.view import Aim

START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)
STEADY = FrameStyle(medium="phone", code_px=300, rotation_deg=4.0, tilt=0.08, noise=4.0)
PASS_TEXT = "KP1:" + "A" * 400  # as long as a signed pass


class SeesACode:
    """A decoder that reads nothing but saw a code of ``width`` pixels."""

    name = "fake"

    def __init__(self, width: int) -> None:
        self.width = width
        self.asked = 0

    def decode(self, frame: GreyFrame) -> list[str]:
        return []

    def unread(self) -> tuple[Sighting, ...]:
        self.asked += 1
        return (Sighting(100, 100, self.width, self.width),) if self.width else ()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[App, Player]]:
    time = SimTime(START)
    app = build(demo_config(tmp_path), sim=True, clock=time.clock, timers=time.timers)
    yield app, Player(app, time)
    app.close()


def test_online_is_unknown_until_the_office_answers(app: tuple[App, Player]) -> None:
    kiosk, player = app[0].kiosk, app[1]
    assert player.run(5.0).online is None
    kiosk.set_link_status(False, 0)
    assert player.run(0.1).online is False
    kiosk.set_link_status(True, 0)
    assert player.run(0.1).online is True


def test_the_viewfinder_gets_the_frame_the_decoder_read(app: tuple[App, Player]) -> None:
    kiosk, player = app[0].kiosk, app[1]
    assert kiosk.frame() is None
    player.run(0.5)
    frame = kiosk.frame()
    assert frame is not None and frame.shape == (480, 640) and not frame.flags.writeable


@pytest.mark.parametrize(("width", "aim"), [(60, Aim.CLOSER), (300, Aim.HOLD_STILL), (0, None)])
def test_a_code_seen_but_not_read_gives_a_hint(
    app: tuple[App, Player], width: int, aim: Aim | None
) -> None:
    kiosk, player = app[0].kiosk, app[1]
    decoder = SeesACode(width)
    kiosk.hw = replace(kiosk.hw, decoder=decoder)
    assert player.run(1.0).aim is aim
    assert decoder.asked <= 6, "the decoder is asked about sightings at most 5 times a second"
    decoder.width = 0
    assert player.run(AIM_HOLD_S / 2).aim is aim  # no flicker
    assert player.run(AIM_HOLD_S).aim is None


def test_finder_patterns_of_a_clean_code_are_seen() -> None:
    rng = np.random.default_rng(1)
    [seen] = finder_sightings(render_frame(PASS_TEXT, STEADY, rng, (640, 480)))
    assert 200 < seen.width < 420
    assert aim_for([seen], 640) is Aim.HOLD_STILL
    far_away = FrameStyle(medium="paper", code_px=110, rotation_deg=0.0, tilt=0.0, noise=2.0)
    [far] = finder_sightings(render_frame(PASS_TEXT, far_away, rng, (640, 480)))
    assert aim_for([far], 640) is Aim.CLOSER


def test_a_dark_mode_code_is_seen() -> None:
    """Light modules on a dark phone screen: the finder patterns are light rings."""
    rng = np.random.default_rng(2)
    [seen] = finder_sightings(render_frame(PASS_TEXT, replace(STEADY, inverted=True), rng))
    assert 200 < seen.width < 420


def test_a_blurred_noisy_code_the_decoder_cannot_read_is_seen() -> None:
    """What the hint is for: a code of a readable size that does not read (here blurred
    past the spec, at a low contrast, in sensor noise) still says "hold still"."""
    style = replace(STEADY, code_px=240, blur_px=1.8, noise=12.0, contrast=0.35)
    frame = render_frame(PASS_TEXT, style, np.random.default_rng(3))
    from drivers.qr import ZxingDecoder

    assert ZxingDecoder().decode(frame) == []
    [seen] = finder_sightings(frame)
    assert aim_for([seen], 640) is Aim.HOLD_STILL


def test_empty_scenes_give_no_sighting() -> None:
    """An empty gate must never be told to hold still: no sighting in 100 scenes."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        assert finder_sightings(render_frame(None, random_style(rng), rng, (640, 480))) == ()
