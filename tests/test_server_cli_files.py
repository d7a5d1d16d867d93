"""``kiosk-server`` and the files a new user hands it: the database path and photos."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import cli
from server.local import Office
from server.models import Holder, Pass
from tests.test_server_cli import jpeg, run


def test_db_option_names_the_database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--db", "office.db", "init"]) == 0
    assert (tmp_path / "office.db").is_file()
    with sqlite3.connect(tmp_path / "office.db") as conn:
        assert conn.execute("SELECT count(*) FROM issuer_keys").fetchone() == (1,)


def test_db_option_naming_a_folder_keeps_office_db_in_it(tmp_path: Path):
    assert cli.main(["--db", str(tmp_path), "init"]) == 0
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".db"] == ["office.db"]


def test_a_sqlite_url_naming_a_folder_says_to_name_the_file(tmp_path: Path, capsys):
    assert cli.main(["--db", f"sqlite:///{tmp_path}", "init"]) == 2
    assert "is a folder" in capsys.readouterr().err


def office_with_household(tmp_path: Path) -> Path:
    db = tmp_path / "office.db"
    assert run(db, "add-compound", "c1") == 0
    assert run(db, "add-household", "h1", "--compound", "c1") == 0
    return db


def test_truncated_jpeg_is_refused_when_added(tmp_path: Path, capsys):
    db = office_with_household(tmp_path)
    photo = tmp_path / "face.jpg"
    photo.write_bytes(jpeg()[:300])
    assert run(db, "add-resident", "--name", "A", "--household", "h1", "--photo", str(photo)) == 2
    assert "cannot be read as a picture" in capsys.readouterr().err
    with Office.open(f"sqlite:///{db}").session() as s:
        assert s.scalar(select(func.count()).select_from(Holder)) == 0


def test_a_pass_whose_card_cannot_be_made_is_not_issued(tmp_path: Path, capsys):
    """A truncated photo stored before photos were checked: no pass, a clear message."""
    db = office_with_household(tmp_path)
    office = Office.open(f"sqlite:///{db}")
    holder = office.add_resident("A", "h1")
    with office.session() as s:
        row = s.get(Holder, holder)
        assert row is not None
        row.photo = jpeg()[:300]
    capsys.readouterr()
    assert run(db, "issue-pass", "--holder", str(holder), "--out", str(tmp_path / "cards")) == 2
    assert "cannot be drawn" in capsys.readouterr().err
    with office.session() as s:
        assert s.scalar(select(func.count()).select_from(Pass)) == 0
