"""``kiosk issue pass`` refuses numbers too large to sign or draw, naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli import main


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "issuer.key"
    assert main(["issue", "keygen", "--issuer", "Office", "--out", str(path)]) == 0
    return path


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--days", "99999999", "--days: '99999999' is not a whole number from 1 to 3650"),
        ("--scale", "100000", "--scale: '100000' is not a whole number from 1 to 64"),
        ("--visitor-uses", "0", "--visitor-uses: '0' is not a whole number from 1 to 1000"),
    ],
)
def test_a_number_out_of_range_is_a_usage_error(
    key: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    words: str,
) -> None:
    """Once: --days 99999999 was an OverflowError, --scale 100000 a MemoryError."""
    args = ["issue", "pass", "--key", str(key), "--pass-id", "P1", "--compound", "c1"]
    args += ["--household", "h1", "--role", "visitor", "--name", "x", "--days", "1"]
    args += ["--png", str(tmp_path / "p.png"), option, value]
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "p.png").exists()


def test_a_pass_ending_after_the_year_9999_is_refused(
    key: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["issue", "pass", "--key", str(key), "--pass-id", "P1", "--compound", "c1"]
    args += ["--household", "h1", "--role", "resident", "--name", "x", "--days", "5"]
    assert main([*args, "--start", "9999-12-30T00:00:00Z"]) == 2
    assert "passes the year 9999" in capsys.readouterr().err
