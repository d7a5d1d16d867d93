"""``kiosk-server``: every command end to end on a SQLite file, and clear errors."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from kiosk.passes import Verifier, parse_trust_json
from server import cli
from server.local import Office
from server.pdf import PassCard, write_pass_pdf


def run(db: Path, *args: str) -> int:
    return cli.main(["--db", str(db), *args])


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 150, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_office_work_from_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    db = tmp_path / "office.db"
    assert run(db, "init") == 0
    assert "signing key" in capsys.readouterr().out
    assert run(db, "add-compound", "c1", "--name", "Lotus Garden") == 0
    assert run(db, "add-household", "h1", "--compound", "c1") == 0
    photo = tmp_path / "face.jpg"
    photo.write_bytes(jpeg())
    capsys.readouterr()
    assert (
        run(db, "add-resident", "--name", "张三", "--household", "h1", "--photo", str(photo)) == 0
    )
    holder = capsys.readouterr().out.strip()
    out = tmp_path / "cards"
    assert run(db, "issue-pass", "--holder", holder, "--out", str(out)) == 0
    [pdf] = out.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf.with_suffix(".png").is_file()
    pass_id = pdf.stem
    assert run(db, "revoke", pass_id) == 0
    assert run(db, "set-colour", "h1", "red", "--days", "14") == 0
    assert run(db, "enroll-code", "--compound", "c1") == 0
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert len(code) == 20
    assert run(db, "rotate-key") == 0
    assert run(db, "export-events", "--out", str(tmp_path / "events.csv")) == 0
    header = next(csv.reader((tmp_path / "events.csv").open(encoding="utf-8")))
    assert "event_id" in header and "conflict" in header
    office = Office.open(db)
    trust = office.trust_list()
    assert len([k for k in trust.keys]) == 2  # the rotated-out key is still trusted
    assert json.loads(json.dumps(trust.to_json()))["format"] == "kiosk-trust/1"
    assert parse_trust_json(trust.to_json()).keys


def test_issued_pass_verifies_at_a_kiosk(tmp_path: Path):
    office = Office.open(tmp_path)
    office.add_compound("c1")
    office.add_household("h1", "c1")
    text = office.issue_pass(office.add_resident("Li Si", "h1"))
    result = Verifier(office.trust_list()).verify(text, datetime.now(UTC))
    assert result.valid, result


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add-household", "h1", "--compound", "nowhere"], "no compound 'nowhere'"),
        (["revoke", "PNOPE"], "no pass 'PNOPE'"),
        (["revoke-kiosk", "k9"], "no kiosk 'k9'"),
        (["add-resident", "--name", "A", "--household", "h0"], "no household 'h0'"),
        (
            ["add-resident", "--name", "A", "--household", "h0", "--photo", "/no/x.jpg"],
            "cannot read",
        ),
        (["issue-pass", "--holder", "99"], "no resident 99"),
        (["add-compound", "c1"], "already exists"),
    ],
)
def test_mistakes_give_a_message_and_a_non_zero_exit(tmp_path, capsys, args, words):
    db = tmp_path / "office.db"
    run(db, "add-compound", "c1")
    capsys.readouterr()
    assert run(db, *args) != 0
    assert words in capsys.readouterr().err


def test_bad_photo_is_refused_clearly(tmp_path, capsys):
    db = tmp_path / "office.db"
    run(db, "add-compound", "c1")
    run(db, "add-household", "h1", "--compound", "c1")
    text = tmp_path / "face.txt"
    text.write_text("not a picture")
    assert run(db, "add-resident", "--name", "A", "--household", "h1", "--photo", str(text)) == 2
    assert "JPEG or PNG" in capsys.readouterr().err


def test_chinese_name_without_a_cjk_font_says_what_to_install(tmp_path):
    card = PassCard("KP1:ABC", "张三", "P1", "h1", "c1", "2020-08-01")
    with pytest.raises(FileNotFoundError, match="fonts-wqy-microhei"):
        write_pass_pdf(card, tmp_path / "x.pdf", fonts=(tmp_path / "none.ttc",))
    latin = PassCard("KP1:ABC", "Zhang San", "P1", "h1", "c1", "2020-08-01")
    write_pass_pdf(latin, tmp_path / "y.pdf", fonts=(tmp_path / "none.ttc",))
    assert (tmp_path / "y.pdf").read_bytes().startswith(b"%PDF")
