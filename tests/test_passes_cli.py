"""``kiosk verify``, ``kiosk scan`` and ``kiosk issue`` as a maintainer runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image

from kiosk.cli import main
from kiosk.passes import issue_pass, write_qr_png
from kiosk.passes.testing import fixed_issuer_key, make_dsc, make_hcert, sample_claims

AT = "2020-02-10T09:00:00Z"


@pytest.fixture
def trust_file(tmp_path: Path) -> Path:
    path = tmp_path / "trust.json"
    path.write_text(fixed_issuer_key().trust_list().dumps())
    return path


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_verify_prints_one_json_line_per_text(trust_file: Path, capsys) -> None:
    good = issue_pass(fixed_issuer_key(), sample_claims())
    status = main(["verify", "--trust", str(trust_file), "--at", AT, good, "KP1:XX"])
    first, second = _lines(capsys.readouterr().out)
    assert status == 1
    assert first["valid"] and first["reason"] == "ok" and first["decode_ms"] is None
    assert first["claims"]["holder_name"] == "张三" and first["claims"]["compounds"] == ["C01"]
    assert second == {**second, "valid": False, "reason": "bad_encoding", "claims": None}


def test_verify_all_valid_exits_zero(trust_file: Path, capsys) -> None:
    good = issue_pass(fixed_issuer_key(), sample_claims())
    assert main(["verify", "--trust", str(trust_file), "--at", AT, good]) == 0


def test_verify_at_a_later_time_says_expired(trust_file: Path, capsys) -> None:
    good = issue_pass(fixed_issuer_key(), sample_claims())
    assert main(["verify", "--trust", str(trust_file), "--at", "2020-03-01", good]) == 1
    assert _lines(capsys.readouterr().out)[0]["reason"] == "expired"


def test_verify_health_certificate_with_pem_trust(tmp_path: Path, capsys) -> None:
    dsc = make_dsc()
    pem = tmp_path / "dsc.pem"
    pem.write_bytes(dsc.certificate.public_bytes(Encoding.PEM))
    assert main(["verify", "--trust", str(pem), "--at", AT, make_hcert(dsc)]) == 0
    assert _lines(capsys.readouterr().out)[0]["claims"]["nam"]["fn"] == "Muster"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "kiosk-trust/9"}', "is not supported"),
        ('{"format": "kiosk-trust/1", "isuers": []}', "did you mean 'issuers'"),
        ("not json", "neither PEM certificates nor kiosk-trust/1 JSON"),
        (
            '{"format": "kiosk-trust/1", "issuers": [{"kid": "zz", "issuer": "O",'
            ' "public_key": "AAAA"}]}',
            r"issuers\[0\]: kid",
        ),
    ],
)
def test_bad_trust_file_exits_two_naming_the_file(
    tmp_path: Path, capsys, content: str, message: str
) -> None:
    path = tmp_path / "office.json"
    path.write_text(content)
    assert main(["verify", "--trust", str(path), "KP1:"]) == 2
    err = capsys.readouterr().err
    assert "office.json" in err
    assert re.search(message, err), err


def test_missing_trust_file_exits_two(tmp_path: Path, capsys) -> None:
    assert main(["verify", "--trust", str(tmp_path / "nope.json"), "KP1:"]) == 2
    assert "nope.json: cannot read" in capsys.readouterr().err


def test_private_key_given_as_trust_file_says_what_to_do(tmp_path: Path, capsys) -> None:
    key = tmp_path / "o.key"
    fixed_issuer_key().save(key)
    assert main(["verify", "--trust", str(key), "KP1:"]) == 2
    assert "kiosk issue trust" in capsys.readouterr().err


def test_bad_at_is_a_usage_error(trust_file: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["verify", "--trust", str(trust_file), "--at", "yesterday", "KP1:"])
    assert caught.value.code == 2


@pytest.mark.parametrize("decoder", ["zxing", "pyzbar"])
def test_scan_reads_and_verifies_a_png(tmp_path: Path, trust_file: Path, capsys, decoder) -> None:
    text = issue_pass(fixed_issuer_key(), sample_claims())
    png = tmp_path / "pass.png"
    write_qr_png(text, png, scale=4)
    blank = tmp_path / "blank.png"
    Image.new("L", (200, 200), 255).save(blank)
    args = ["scan", "--trust", str(trust_file), "--at", AT, "--decoder", decoder]
    status = main([*args, str(png), str(blank), str(trust_file)])
    found, empty, not_image = _lines(capsys.readouterr().out)
    assert status == 1
    assert found["decoded"] and found["valid"] and found["text"] == text
    assert found["decode_ms"] >= 0
    assert not empty["decoded"] and empty["reason"] == "no_qr_code"
    assert not_image["reason"] == "bad_image"


def test_keygen_then_pass_then_verify(tmp_path: Path, capsys) -> None:
    key, trust = tmp_path / "o.key", tmp_path / "o.json"
    assert main(["issue", "keygen", "--issuer", "Office 7", "--out", str(key),
                 "--trust-out", str(trust)]) == 0  # fmt: skip
    assert key.stat().st_mode & 0o777 == 0o600
    capsys.readouterr()
    png = tmp_path / "p.png"
    args = ["issue", "pass", "--key", str(key), "--pass-id", "V-1", "--compound", "C01",
            "--compound", "C02", "--household", "H-1", "--role", "visitor", "--name", "Li Si",
            "--days", "2", "--visitor-uses", "3", "--png", str(png)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out.strip()
    assert text.startswith("KP1:") and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["verify", "--trust", str(trust), text]) == 0
    claims = _lines(capsys.readouterr().out)[0]["claims"]
    assert claims["visitor_uses"] == 3 and claims["compounds"] == ["C01", "C02"]


def test_keygen_does_not_overwrite_a_key(tmp_path: Path, capsys) -> None:
    key = tmp_path / "o.key"
    key.write_text("precious")
    assert main(["issue", "keygen", "--issuer", "O", "--out", str(key)]) == 2
    assert key.read_text() == "precious" and "--force" in capsys.readouterr().err


def test_world_readable_key_is_refused(tmp_path: Path, capsys) -> None:
    key = tmp_path / "o.key"
    fixed_issuer_key().save(key)
    key.chmod(0o644)
    args = ["issue", "pass", "--key", str(key), "--pass-id", "P", "--compound", "C",
            "--household", "H", "--role", "staff", "--name", "N", "--days", "1"]  # fmt: skip
    assert main(args) == 2
    assert "chmod 600" in capsys.readouterr().err


def test_issue_trust_prints_the_public_file(tmp_path: Path, capsys) -> None:
    key = tmp_path / "o.key"
    fixed_issuer_key().save(key)
    assert main(["issue", "trust", "--key", str(key)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "kiosk-trust/1" and "private_key" not in str(document)


def test_module_entry_point_runs_in_a_subprocess(trust_file: Path) -> None:
    good = issue_pass(fixed_issuer_key(), sample_claims())
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "verify", "--trust", str(trust_file), "--at", AT, good],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["reason"] == "ok"
