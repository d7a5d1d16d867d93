"""kiosk.atomic.write_atomic, which the clock state (and others) are saved with."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.atomic import write_atomic


def test_write_creates_folder_and_replaces_content(tmp_path: Path) -> None:
    path = tmp_path / "state" / "clock.json"
    write_atomic(path, "old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_file_mode_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "credential"
    write_atomic(path, "secret", mode=0o600)
    assert path.stat().st_mode & 0o777 == 0o600


def test_failed_write_keeps_the_old_content_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    write_atomic(path, "old")
    with pytest.raises(TypeError):
        write_atomic(path, 12)  # type: ignore[arg-type]
    assert path.read_text() == "old"
    assert list(tmp_path.iterdir()) == [path]
