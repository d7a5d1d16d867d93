"""``kiosk enroll`` against a loopback office, then the agent built from the same config syncs."""

from __future__ import annotations

import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.cli import main as kiosk_main
from kiosk.clock import Clock
from kiosk.config import load_config
from kiosk.office import OfficeData
from kiosk.store import EventLog
from sync.agent import build_agent
from tests.pg import LoopbackOffice, loopback


@pytest.fixture
def world(tmp_path: Path) -> Iterator[LoopbackOffice]:
    office = loopback(f"sqlite:///{tmp_path / 'office.db'}")
    yield office
    office.server.stop()


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""
[device]
id = "gate-1"
compound = "c1"
data_dir = "{tmp_path / "data"}"

[sync]
server_url = "{url}"
credential_file = "{tmp_path / "data" / "credential.json"}"
""",
        encoding="utf-8",
    )
    return path


def test_enroll_then_the_configured_agent_syncs(tmp_path, world, capsys):
    path = write_config(tmp_path, world.url)
    code = world.office.enrollment_code("c1")
    assert kiosk_main(["enroll", code, "--config", str(path)]) == 0
    assert "enrolled gate-1 in c1" in capsys.readouterr().out
    config = load_config(path)
    assert config.sync.credential_file is not None
    assert stat.S_IMODE(os.stat(config.sync.credential_file).st_mode) == 0o600
    data = tmp_path / "data"
    links: list[tuple[bool, int]] = []
    agent = build_agent(
        config,
        EventLog(data / "events.db"),
        OfficeData(data / "office.db"),
        Clock(),
        report=lambda online, backlog: links.append((online, backlog)),
    )
    assert agent is not None
    assert agent.run_once().ok
    assert links == [(True, 0)]
    assert kiosk_main(["enroll", code, "--config", str(path)]) == 2  # the code is spent
    assert "already used" in capsys.readouterr().err


def test_enroll_without_a_server_in_the_config_says_what_to_set(tmp_path, capsys):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[device]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    assert kiosk_main(["enroll", "ABCD-EFGH", "--config", str(path)]) == 2
    assert "sync.server_url" in capsys.readouterr().err


def test_agent_started_before_enrollment_picks_the_credential_up(tmp_path, world):
    path = write_config(tmp_path, world.url)
    config = load_config(path)
    data = tmp_path / "data"
    log = EventLog(data / "events.db")
    agent = build_agent(config, log, OfficeData(data / "office.db"), Clock())
    assert agent is not None
    waiting = agent.run_once()
    assert not waiting.ok and "enroll" in waiting.error
    assert kiosk_main(["enroll", world.office.enrollment_code("c1"), "--config", str(path)]) == 0
    assert agent.run_once().ok
    world.office.revoke_kiosk("gate-1")
    assert not agent.run_once().ok and "revoked" in agent.locked_out
    assert kiosk_main(["enroll", world.office.enrollment_code("c1"), "--config", str(path)]) == 0
    assert not agent.run_once().ok  # the refused cycle read the new credential for the next
    assert agent.run_once().ok
    assert agent.locked_out == ""


def test_no_server_configured_means_no_agent(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[device]\ndata_dir = "{tmp_path}"\n', encoding="utf-8")
    assert build_agent(load_config(path), None, None, None) is None  # type: ignore[arg-type]


def test_enroll_against_a_trickling_office_gives_up_at_its_deadline(tmp_path, world, capsys):
    """A 1 byte/s office: requests' per-read timeout never fires, the whole-request deadline
    (three times sync.timeout_s) does, and `kiosk enroll` says so (exit 2)."""
    from sync.faultproxy import Fault, FaultProxy

    proxy = FaultProxy("127.0.0.1", world.server.port).start()
    proxy.trickle_s = 0.2  # the reply's ~300 bytes would take a minute
    proxy.plan("POST /api/v1/enroll", Fault.TRICKLE)
    path = write_config(tmp_path, proxy.url)
    path.write_text(path.read_text(encoding="utf-8") + "timeout_s = 1.0\n", encoding="utf-8")
    started = time.monotonic()
    try:
        assert (
            kiosk_main(["enroll", world.office.enrollment_code("c1"), "--config", str(path)]) == 2
        )
    finally:
        proxy.stop()
    assert time.monotonic() - started < 10.0
    err = capsys.readouterr().err
    assert f"cannot enroll at {proxy.url}" in err and "no whole answer within 3 s" in err
    assert not (tmp_path / "data" / "credential.json").exists()


def test_setup_unattended_enrollment_fails_clearly_against_a_slow_office(tmp_path, world):
    """setup.sh's enroll step runs the real `kiosk enroll` (positional code, server from the
    config) and, when it gives up, stops with what to do instead of hanging."""
    from sync.faultproxy import Fault, FaultProxy
    from tests.test_setup_script import bash

    proxy = FaultProxy("127.0.0.1", world.server.port).start()
    proxy.trickle_s = 0.2
    proxy.plan("POST /api/v1/enroll", Fault.TRICKLE)
    path = write_config(tmp_path, proxy.url)
    path.write_text(path.read_text(encoding="utf-8") + "timeout_s = 1.0\n", encoding="utf-8")
    settings = {
        "VENV": Path(sys.executable).parent.parent,
        "CONF_FILE": path,
        "ENROLL_CODE": world.office.enrollment_code("c1"),
        "DRY_RUN": "false",
        "STEPS": "1",
    }
    script = "".join(f"{name}='{value}'\n" for name, value in settings.items())
    try:
        result = bash(script + "enroll")
    finally:
        proxy.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no whole answer within 3 s" in result.stderr
    assert f"ERROR: enrolling with {proxy.url} failed" in result.stderr
    assert "kiosk enroll --config" in result.stderr
