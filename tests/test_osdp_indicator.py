"""The OSDP controller's LEDs and buzzer play every kiosk pattern, the alarm classes each in
their own rhythm for a few beeps (kiosk.alarms repeats them), and the next pattern silences it
(no controller needed)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("osdp")

from drivers.gate_osdp import RemoteIndicator
from kiosk.view import AlarmClass


class Controller:
    online = True

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def submit(self, command: dict[str, Any]) -> None:
        self.sent.append(command)


def buzzer(sent: list[dict[str, Any]]) -> list[tuple[int, int, int, int]]:
    return [
        (c["control_code"], c["on_count"], c["off_count"], c["rep_count"])
        for c in sent
        if "rep_count" in c
    ]


def test_each_alarm_class_buzzes_in_its_own_rhythm_a_few_times() -> None:
    rhythms = set()
    for kind in AlarmClass:
        ctl = Controller()
        RemoteIndicator(ctl).show(kind.pattern)  # type: ignore[arg-type]
        [(tone, on, off, times)] = buzzer(ctl.sent)
        assert tone == 2 and 1 <= times <= 20  # a few beeps, then quiet until reminded
        rhythms.add((on, off))
    assert len(rhythms) == len(AlarmClass)


def test_an_alarm_rhythm_is_silenced_by_idle() -> None:
    ctl = Controller()
    indicator = RemoteIndicator(ctl)  # type: ignore[arg-type]
    indicator.show(AlarmClass.DOOR.pattern)
    ctl.sent.clear()
    indicator.show("idle")
    assert buzzer(ctl.sent) == [(1, 0, 0, 0)]  # tone 1: silence


def test_an_unknown_pattern_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="alarm-door"):
        RemoteIndicator(Controller()).show("disco")  # type: ignore[arg-type]
