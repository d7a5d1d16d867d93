"""``kiosk-server trust --out``: the file ``kiosk scan --trust`` and ``kiosk verify`` read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk
from kiosk.passes import Verifier, write_qr_png
from server import cli
from server.local import Office


def _office(tmp_path: Path) -> tuple[Path, str, str]:
    """An office with a valid pass and a revoked one; the database and both QR texts."""
    db = tmp_path / "office.db"
    office = Office.open(db)
    office.add_compound("c1")
    office.add_household("h1", "c1")
    good = office.issue_pass(office.add_resident("Li Si", "h1"))
    gone = office.issue_pass(office.add_resident("Wang Wu", "h1"))
    read = Verifier(office.trust_list()).verify(gone, datetime.now(UTC))
    assert read.credential is not None and read.credential.claims is not None
    office.revoke(read.credential.claims.pass_id)
    return db, good, gone


def _verdicts(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_trust_file_lets_kiosk_scan_accept_a_pass_and_refuse_a_revoked_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, good, gone = _office(tmp_path)
    trust = tmp_path / "trust.json"
    assert cli.main(["--db", str(db), "trust", "--out", str(trust)]) == 0
    assert "1 revoked" in capsys.readouterr().err
    png = tmp_path / "good.png"
    write_qr_png(good, png, scale=4)
    assert kiosk(["scan", "--trust", str(trust), str(png)]) == 0
    [scanned] = _verdicts(capsys.readouterr().out)
    assert scanned["decoded"] and scanned["valid"]
    assert kiosk(["verify", "--trust", str(trust), good, gone]) == 1
    ok, refused = _verdicts(capsys.readouterr().out)
    assert ok["valid"] and not refused["valid"] and refused["reason"] == "revoked"


def test_trust_without_out_prints_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _good, _gone = _office(tmp_path)
    assert cli.main(["--db", str(db), "trust"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "kiosk-trust/1" and len(document["issuers"]) == 1
