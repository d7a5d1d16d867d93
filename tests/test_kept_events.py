"""Events the log refused, and other kiosks' passages it could not take, are kept in a file,
beside the log or in the service's runtime folder, and read back whole: a line torn by a full
disk spoils only itself, and an event the log took before a restart is not written twice."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import DeviceSettings
from kiosk.kept import FILE, KeptEvents, KeptLines
from kiosk.model import Direction, Passage
from kiosk.recorder import Recorder
from kiosk.store import EventLog
from sync.held import FILE as HELD_FILE
from sync.held import HeldPassages
from tests.test_store_eventlog import T0, event


def test_the_runtime_folder_takes_what_the_data_folder_cannot(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the folder should be: nothing goes in")
    runtime = tmp_path / "run"
    runtime.mkdir()
    kept = KeptEvents.beside(tmp_path / "data" / "events.db", {"RUNTIME_DIRECTORY": str(runtime)})
    pressed = event(1)
    assert kept.add(pressed) == runtime / FILE
    assert kept.read() == [pressed]
    kept.clear()
    assert kept.read() == [] and not (runtime / FILE).exists()


def test_without_a_runtime_folder_only_the_data_folder_is_used(tmp_path: Path) -> None:
    assert KeptEvents.beside(tmp_path / "events.db", {}).lines.paths == (tmp_path / FILE,)


def test_a_torn_line_spoils_only_itself(tmp_path: Path) -> None:
    kept = KeptEvents(KeptLines([tmp_path / FILE]))
    first, second = event(1), event(2)
    kept.add(first)
    with (tmp_path / FILE).open("a", encoding="utf-8") as file:
        file.write('\n["3f1c", "decision", "2020-02-1')  # the disk filled half-way
    kept.add(second)
    assert kept.read() == [first, second]


def test_nothing_takes_it_then_it_is_in_memory_only(tmp_path: Path) -> None:
    (tmp_path / "full").write_text("")
    assert KeptEvents(KeptLines([tmp_path / "full" / FILE])).add(event(1)) is None


def test_an_event_the_log_took_before_the_restart_is_not_written_twice(tmp_path: Path) -> None:
    device = DeviceSettings("k1", "C01", Direction.IN, tmp_path, 1.0, 10.0)
    pressed = event(1)
    with EventLog(tmp_path / "events.db") as log:
        log.append(pressed)  # written, then the kiosk stopped before removing the file
        kept = KeptEvents(KeptLines([tmp_path / FILE]))
        kept.add(pressed)
        recorder = Recorder(log, device, boot_id="b", on_unlogged=lambda e, why: None)
        recorder.write_kept(0.0)
        assert [e.event_id for e in log.recent(5)] == [pressed.event_id]
        assert recorder.unsynced == 1 and not (tmp_path / FILE).exists()


def test_held_passages_are_read_back_and_a_line_that_is_none_is_skipped(tmp_path: Path) -> None:
    kept = KeptLines([tmp_path / HELD_FILE])
    passage = Passage("k2", "e-1", "C01", T0, Direction.IN, "P-1", None)
    HeldPassages(kept).hold([passage], [("k3", "e-2")])
    kept.add([{"passage": {"device_id": "k2"}}, {"colour": "red"}], "junk")
    again = HeldPassages(kept)
    assert (again.passages, again.unused) == ([passage], [("k3", "e-2")])
    again.given()
    assert not HeldPassages(kept) and not (tmp_path / HELD_FILE).exists()
