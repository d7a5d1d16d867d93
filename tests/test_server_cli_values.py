"""``kiosk-server`` refuses values that make no sense with a message naming the option, never a
traceback and never a silent pass that is born expired or a quarantine that ended yesterday."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import cli
from server.local import Office
from server.models import Household


def refusal(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The error words of a command that must fail (argparse exits, commands return 2)."""
    try:
        code = cli.main(["--db", str(db), *args])
    except SystemExit as stop:
        code = int(stop.code or 0)
    words = capsys.readouterr().err
    assert code == 2, words
    assert "Traceback" not in words
    return words


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "office.db"
    assert cli.main(["--db", str(path), "add-compound", "c1"]) == 0
    assert cli.main(["--db", str(path), "add-household", "c1-1-1-101", "--compound", "c1"]) == 0
    assert (
        cli.main(["--db", str(path), "add-resident", "--name", "张三", "--household", "c1-1-1-101"])
        == 0
    )
    capsys.readouterr()
    return path


@pytest.mark.parametrize("days", ["0", "-5", "99999999", "abc"])
def test_a_pass_lasts_1_to_3650_days(
    db: Path, capsys: pytest.CaptureFixture[str], days: str
) -> None:
    words = refusal(
        db, capsys, "issue-pass", "--holder", "1", "--days", days, "--out", str(db.parent)
    )
    assert "--days" in words and "1 to 3650" in words
    assert not list(db.parent.glob("*.pdf"))


@pytest.mark.parametrize("days", ["-3", "99999999"])
def test_a_printed_pass_lasts_1_to_3650_days(
    db: Path, capsys: pytest.CaptureFixture[str], days: str
) -> None:
    """Once: -3 printed a card for a pass that had expired three days before it was signed."""
    out = db.parent / "sheets"
    args = ["print-passes", "--household", "c1-1-1-101", "--days", days, "--out", str(out)]
    assert "--days" in refusal(db, capsys, *args)
    assert not out.exists()


@pytest.mark.parametrize("days", ["0", "-1", "1e12", "nan", "inf"])
def test_a_quarantine_lasts_a_positive_number_of_days(
    db: Path, capsys: pytest.CaptureFixture[str], days: str
) -> None:
    words = refusal(db, capsys, "set-colour", "c1-1-1-101", "red", "--days", days)
    assert "--days" in words and "more than 0 and at most 60" in words


@pytest.mark.parametrize("colour", ["white", "yellow", "green"])
def test_only_red_and_orange_have_a_quarantine_end(
    db: Path, capsys: pytest.CaptureFixture[str], colour: str
) -> None:
    words = refusal(db, capsys, "set-colour", "c1-1-1-101", colour, "--days", "3")
    assert "only for red and orange" in words
    with Office.open(db).session() as s:
        row = s.get(Household, "c1-1-1-101")
        assert row is not None and row.colour == "white" and row.quarantine_until is None


@pytest.mark.parametrize(
    ("command", "value"),
    [("add-compound", "c/2"), ("add-compound", ""), ("add-compound", "c 2")],
)
def test_a_compound_id_is_safe_in_a_link(
    db: Path, capsys: pytest.CaptureFixture[str], command: str, value: str
) -> None:
    """Once accepted: every office page of compound "c/2" was a 404."""
    assert "letters, digits" in refusal(db, capsys, command, value)


@pytest.mark.parametrize("household", ["", "c1-5/6-1-1", "c1 1", "c1-1-1-101?x"])
def test_a_household_id_is_safe_in_a_link(
    db: Path, capsys: pytest.CaptureFixture[str], household: str
) -> None:
    words = refusal(db, capsys, "add-household", household, "--compound", "c1")
    assert "letters, digits" in words


def test_a_phone_is_checked_as_in_an_import(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["add-resident", "--name", "李四", "--household", "c1-1-1-101", "--phone", "123"]
    assert "11-digit mobile" in refusal(db, capsys, *args)
    assert cli.main(["--db", str(db), *args[:-1], "138 0000 0001"]) == 0


@pytest.mark.parametrize("hours", ["0", "-1", "nan", "1e9"])
def test_an_enrollment_code_lives_a_sensible_time(
    db: Path, capsys: pytest.CaptureFixture[str], hours: str
) -> None:
    words = refusal(db, capsys, "enroll-code", "--compound", "c1", "--hours", hours)
    assert "--hours" in words


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--certfile", "/no/cert.pem", "--keyfile", "/no/key.pem"], "/no/cert.pem: no such file"),
        (["--keyfile", "/no/key.pem"], "--keyfile needs --certfile"),
        (["--port", "99999"], "--port"),
        (["--workers", "0"], "--workers"),
    ],
)
def test_serve_checks_its_options_before_it_starts(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    """Once: a missing certificate or port 99999 was a traceback from inside uvicorn."""
    assert words in refusal(db, capsys, "serve", *args)


def test_serve_says_a_file_is_not_a_certificate(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = db.parent / "cert.pem"
    text.write_text("not a certificate")
    assert "not a PEM certificate" in refusal(db, capsys, "serve", "--certfile", str(text))


def test_a_household_named_as_the_import_names_it_gets_its_flat(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It had no building, unit or room: '--' first on the flats list, and a resident signing
    up as 3-2-501 was told the flat does not exist."""
    assert cli.main(["--db", str(db), "add-household", "c1-3-2-501", "--compound", "c1"]) == 0
    with Office.open(db).session() as s:
        row = s.get(Household, "c1-3-2-501")
        assert row is not None and (row.building, row.unit, row.room) == ("3", "2", "501")


def test_another_household_id_is_added_with_a_note(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--db", str(db), "add-household", "h1", "--compound", "c1"]) == 0
    assert "c1-BUILDING-UNIT-ROOM" in capsys.readouterr().out
