"""The booth light or siren on the gate controller's second output (issue 19, item 6).

A kiosk with ``[gate] alarm_output = 1`` lights it through a timed osdp_OUT when a new door
alarm is raised, like the light on a Pi pin; the firmware in MicroPython switches the pin on
and, when ``[gpio] alarm_light_s`` is over, off again by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.model import Reason
from tests.mcu_support import wait_for
from tests.test_exit_button import Lane

pytestmark = pytest.mark.slow


def test_a_forced_door_lights_the_booth_on_the_controller_for_alarm_light_s(
    tmp_path: Path,
) -> None:
    pytest.importorskip("osdp")
    lane = Lane(tmp_path, gate="osdp",
                settings={"gate.alarm_output": 1, "gpio.alarm_light_s": 4.0})  # fmt: skip
    try:
        controller = lane.sim.mcu
        wait_for(lambda: controller.call("state")["online"], what="the kiosk polling")
        assert not controller.call("state")["outputs"]["alarm"]
        lane.sim.set_door(True)  # no relay, no exit button: forced
        view = lane.player.until(lambda v: bool(v.alarms), "the forced door alarm")
        assert Reason.DOOR_FORCED_OPEN in [a.reason for a in view.alarms]

        def light() -> bool:
            return bool(controller.call("state")["outputs"]["alarm"])

        # behind the red lamp's and the buzzer's commands, one a poll of libosdp's
        lane.player.until(lambda _v: light(), "the booth light on", limit_s=6.0)
        lit = lane.time.timers.now()
        lane.player.run(3.5)
        state = controller.call("state")
        assert state["outputs"]["alarm"] and not state["outputs"]["relay"]
        lane.player.until(lambda _v: not light(), "the booth light off", limit_s=3.0)
        assert lane.time.timers.now() - lit < 4.5  # the controller's own timer, not a poll
        switched = controller.call("state")["switched_on"]
        assert (switched["alarm"], switched["relay"]) == (1, 0)  # once; the door stayed shut
    finally:
        lane.app.close()
