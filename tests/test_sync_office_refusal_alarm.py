"""An office that answers 400 to everything (an older office, say), through the real kiosk: the
events stay queued, the guard sees one alarm in the office's own words on the main screen until
acknowledged, and the alarm is logged. The sync agent runs on its own thread and only posts the
alarm; the kiosk loop raises it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from kiosk.alarms import office_refusal
from kiosk.app import App, build
from kiosk.clock import boot_id
from kiosk.commands.demo import demo_config
from kiosk.demo_scenario import SimTime
from kiosk.demo_world import make_world
from kiosk.model import EventKind, Reason
from kiosk.view import AlarmClass, AlarmCode, Stage
from sync.agent import AgentSettings, SyncAgent
from sync.client import Refused
from sync.protocol import ErrorReply, UploadReply, UploadRequest
from sync.rejected import RejectedEvents
from tests.test_sync_agent_office_faults import ScriptedOffice, stored
from tests.test_ui_alarm_banner import NOTIFIED, PIN, START, Gate
from ui import strings
from ui.screen import GUARD_HOLD_S, Screen
from ui.state import Page
from ui.theme import Text

WORDS = "protocol kiosk-sync/1 is not supported by this office; upgrade it"


class Office:
    """Refuses every upload with WORDS until ``refusing`` is switched off."""

    def __init__(self) -> None:
        self.refusing = True
        self.client = ScriptedOffice(self.answer)

    def answer(self, request: UploadRequest) -> UploadReply:
        if self.refusing:
            raise Refused(400, ErrorReply("invalid_request", WORDS))
        return stored(request)


class Rig(Gate):
    def __init__(self, app: App, time: SimTime, tmp_path: Path) -> None:
        super().__init__(app, time)
        self.office = Office()
        self.agent = SyncAgent(
            self.office.client,  # type: ignore[arg-type]
            self.app.log,
            self.app.office,
            self.app.clock,
            RejectedEvents(tmp_path / "rejected.db"),
            boot_id=boot_id(),
            settings=AgentSettings(batch_size=20),
            report=self.app.kiosk.set_link_status,
            alarm=office_refusal(self.app.kiosk.alarms),
        )

    def sync_in_its_thread(self) -> None:
        """One agent cycle on a thread of its own, as ``kiosk run`` runs it."""
        thread = threading.Thread(target=self.agent.run_once, name="sync-agent")
        thread.start()
        thread.join(30)
        assert not thread.is_alive()

    def alarm_events(self) -> list[object]:
        return [e for e in self.app.log.recent(200) if e.kind is EventKind.ALARM]

    def acknowledge(self) -> None:
        self.hold_guard_corner()
        for digit in PIN:
            self.touch(digit)
        self.touch("OK")
        assert self.screen.state.page is Page.ALARMS
        shown = [t.text for t in self.screen.canvas.texts]
        assert any(WORDS in text for text in shown), shown  # the office's own words
        self.touch("Ack")
        self.touch("Lock")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    time = SimTime(START)
    app = build(demo_config(tmp_path / "kiosk"), sim=True, clock=time.clock, timers=time.timers)
    make_world(START, compound=app.config.device.compound).install(app.office)
    yield Rig(app, time, tmp_path)
    app.close()


def press_exit(rig: Rig) -> None:
    """An event to upload: the exit button opens the gate and logs the passage."""
    rig.sim.press_exit_button()
    rig.player.run(10.0)


def test_an_office_refusing_everything_raises_one_alarm_in_its_words_until_acknowledged(
    rig: Rig,
) -> None:
    press_exit(rig)
    queued = rig.app.log.count_unsynced()
    assert queued >= 1

    rig.sync_in_its_thread()
    # The agent's thread only posted: nothing on the kiosk changed before the loop's tick.
    assert rig.alarm_events() == [] and rig.app.kiosk.view().alarms == ()
    rig.player.run(1.0)

    title = strings.alarm_title("en", Reason.OFFICE_REFUSED)
    assert rig.banner() == [NOTIFIED]
    assert any(title in t for t in rig.guard_alarm_page())
    assert rig.pattern() == AlarmClass.DEVICE.pattern
    [alarm] = rig.app.kiosk.view().alarms
    assert (alarm.code, alarm.value, alarm.logged) == (AlarmCode.OFFICE_REFUSED, WORDS, True)
    [logged] = rig.alarm_events()
    assert logged.data["code"] == "office_refused" and logged.data["value"] == WORDS  # type: ignore[attr-defined]

    for _ in range(3):  # the office goes on refusing: the events stay, the alarm is not repeated
        rig.sync_in_its_thread()
        rig.player.run(1.0)
    assert rig.app.log.count_unsynced() >= queued and rig.agent.rejected.count() == 0
    assert len(rig.alarm_events()) == 1
    rig.player.run(600.0)
    assert rig.app.kiosk.view().stage is Stage.IDLE and rig.banner() == [NOTIFIED]

    rig.acknowledge()
    assert rig.banner() == [] and rig.pattern() == "idle"
    kinds = [e.kind for e in rig.app.log.recent(200)]
    assert kinds.count(EventKind.ALARM_ACK) == 1
    rig.sync_in_its_thread()  # still refusing, already acknowledged: not raised again
    rig.player.run(1.0)
    assert rig.banner() == [] and len(rig.alarm_events()) == 1


def test_the_queued_events_flow_when_the_office_takes_them_again(rig: Rig) -> None:
    press_exit(rig)
    rig.sync_in_its_thread()
    rig.player.run(1.0)
    assert rig.app.log.count_unsynced() >= 1

    rig.office.refusing = False
    rig.sync_in_its_thread()
    rig.player.run(1.0)
    assert rig.agent.alarm == "" and rig.agent.rejected.count() == 0
    # Everything before this tick reached the office, the alarm event included.
    uploaded = {i for request in rig.office.client.requests for i in request}
    assert {e.event_id for e in rig.alarm_events()} <= uploaded
    assert rig.banner() == [NOTIFIED]  # until seen

    rig.office.refusing = True  # refusing anew after an answer: a new alarm once seen
    rig.acknowledge()
    rig.sync_in_its_thread()
    rig.player.run(1.0)
    assert len(rig.alarm_events()) == 2


def test_the_guard_reads_the_office_refusal_in_chinese(rig: Rig) -> None:
    press_exit(rig)
    rig.agent.run_once()
    rig.player.run(1.0)
    zh = Screen(
        rig.app.kiosk, pygame.Surface((800, 480)), language="zh-CN", clock=rig.time.timers.now
    )
    zh.draw()
    banner = [t.text for t in zh.canvas.texts if t.role is Text.BANNER]
    assert banner == [strings.text("zh-CN", "guard_notified")]
    for label in (strings.text("zh-CN", "guard_hold"), *PIN, strings.text("zh-CN", "ok")):
        [button] = [b for b in zh.canvas.buttons if b.label == label]
        zh.touch(button.rect.center)
        if zh.state.page is Page.RESIDENT:  # the guard corner is held, not tapped
            rig.player.run(GUARD_HOLD_S)
            zh.update()
        zh.draw()
    page = [t.text for t in zh.canvas.texts]
    assert any(strings.alarm_title("zh-CN", Reason.OFFICE_REFUSED) in t for t in page)
