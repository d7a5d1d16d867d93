"""`kiosk config`: docs come from the schema; show hides secrets and round-trips."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.commands.config import render_docs, render_toml
from kiosk.config import SECTIONS, load_config

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_docs_are_up_to_date_with_the_schema() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_docs(), (
        "run: kiosk config docs --output docs/configuration.md"
    )


def test_docs_mention_every_key() -> None:
    text = render_docs()
    for name, cls in SECTIONS.items():
        assert f"## [{name}]" in text
        for f in dataclasses.fields(cls):
            assert f"| `{f.name}` |" in text


def test_show_hides_the_pin_and_round_trips(tmp_path: Path) -> None:
    config = load_config(None, {"device.id": "gate-7", "policy.curfew_start": "21:00"})
    shown = render_toml(config)
    assert config.ui.guard_pin_sha256 not in shown and '"(secret)"' in shown
    assert tomllib.loads(shown)["device"]["id"] == "gate-7"
    path = tmp_path / "kiosk.toml"
    path.write_text(shown.replace('guard_pin_sha256 = "(secret)"\n', ""))
    assert dataclasses.replace(load_config(path), source=None) == config


def test_check_reports_a_bad_file_with_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[gpio]\nrelay_pin = 99\n")
    assert main(["config", "check", "--config", str(path)]) == 2
    assert "gpio.relay_pin = 99: out of range" in capsys.readouterr().err
    path.write_text("[gpio]\nrelay_pin = 5\n")
    assert main(["config", "check", "--config", str(path)]) == 0
