"""The resident screen answers what the kiosk asks (kiosk.view.Prompt): the words, the seconds
left, and the "come closer" arrow at the edge where the thermometer sits."""

from __future__ import annotations

import pytest

from ui import samples
from ui.render import still_screen
from ui.resident import message

VIEWS = samples.stage_views()


@pytest.mark.parametrize(
    ("name", "headline", "hint"),
    [
        ("see-guard", "此通行证不能用，请到保安亭 →", "保安会帮您；放下手机即可"),
        ("lower-pass", "已读过，请放下手机", ""),
        ("closer", "请靠近 · 3–5 cm", "额头对准测温器，还有 5 秒"),
        ("pass-countdown", "请通行", "门还开 6 秒"),
    ],
)
def test_what_the_resident_reads(name: str, headline: str, hint: str) -> None:
    words = message(VIEWS[name], "zh-CN")
    assert (words.headline, words.hint) == (headline, hint)


# Just inside the middle of each edge of the message area (800×480: below the status bar),
# where the arrow's head is when the thermometer sits on that side.
PROBES = {"left": (14, 272), "right": (786, 272), "above": (400, 82), "below": (400, 466)}


@pytest.mark.parametrize("side", list(PROBES))
def test_the_come_closer_arrow_points_where_the_thermometer_sits(side: str) -> None:
    for view in ("closer", "measuring"):
        screen = still_screen(VIEWS[view])
        screen.sensor_side = side
        screen.draw()
        lit = {
            where: screen.canvas.surface.get_at(probe)[:3] == (255, 255, 255)
            for where, probe in PROBES.items()
        }
        expected = {where: view == "closer" and where == side for where in PROBES}
        assert lit == expected, view
