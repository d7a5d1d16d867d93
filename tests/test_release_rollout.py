"""Staged rollout: one kiosk, its compound, every kiosk; stopped by the office when kiosks fail."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from server import cli, gates
from server.exc import AlreadyDone, NotFound
from server.models import Rollout
from server.releases import rollout
from server.releases.store import add_release
from sync.protocol import STATUS_HEADER
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)
from tests.releasetools import NOW, Fleet, make_fleet, make_wheel


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return with_releases(make_fleet(tmp_path), tmp_path)


def with_releases(found: Fleet, tmp_path: Path) -> Fleet:
    for version in ("1.0.0", "1.1.0"):
        with found.office.session() as s:
            wheel = make_wheel(tmp_path, version)
            add_release(s, found.store, wheel, notes=version, now=NOW)
    return found


def offers(fleet: Fleet) -> dict[str, str | None]:
    """What each kiosk is told by GET /release."""
    found: dict[str, str | None] = {}
    for kiosk in fleet.tokens:
        reply = fleet.get(kiosk, "/release")
        found[kiosk] = None if reply.status_code == 204 else reply.json()["version"]
    return found


def step(fleet: Fleet, fn: object, version: str, *extra: str, at: datetime = NOW) -> Rollout:
    with fleet.office.session() as s:
        return fn(s, version, *extra, at)  # type: ignore[operator, no-any-return]


def report(fleet: Fleet, kiosk: str, status: str) -> None:
    """A sync request from ``kiosk`` with this ``X-Kiosk-Status`` header."""
    assert fleet.get(kiosk, "/delta", **{STATUS_HEADER: status}).status_code == 200


def rollout_of(fleet: Fleet, version: str) -> Rollout:
    with fleet.office.session() as s:
        row = s.get(Rollout, version)
        assert row is not None
        return row


def test_a_release_goes_to_one_kiosk_then_its_compound_then_every_kiosk(fleet: Fleet) -> None:
    assert offers(fleet) == {"k1": None, "k2": None, "k3": None}
    step(fleet, rollout.start, "1.0.0", "k1")
    assert offers(fleet) == {"k1": "1.0.0", "k2": None, "k3": None}
    step(fleet, rollout.advance, "1.0.0")
    assert offers(fleet) == {"k1": "1.0.0", "k2": "1.0.0", "k3": None}
    step(fleet, rollout.advance, "1.0.0")
    assert offers(fleet) == {"k1": "1.0.0", "k2": "1.0.0", "k3": "1.0.0"}
    with pytest.raises(AlreadyDone):
        step(fleet, rollout.advance, "1.0.0")


@pytest.fixture
def any_fleet(tmp_path: Path, database_url: str) -> Fleet:  # noqa: F811  (SQLite and PostgreSQL)
    return with_releases(make_fleet(tmp_path, database_url), tmp_path)


def test_a_failure_at_the_first_kiosk_stops_the_rollout_and_says_why(any_fleet: Fleet) -> None:
    fleet = any_fleet
    step(fleet, rollout.start, "1.0.0", "k1")
    report(fleet, "k1", "version=0.9; update=trial; target=1.0.0")
    assert rollout_of(fleet, "1.0.0").state == "running"
    report(fleet, "k1", "version=0.9; update=rolled_back; target=1.0.0; error=self-test: no camera")
    stopped = rollout_of(fleet, "1.0.0")
    assert stopped.state == "stopped"
    assert stopped.reason == "k1 rolled back: self-test: no camera"
    assert offers(fleet) == {"k1": None, "k2": None, "k3": None}
    with pytest.raises(AlreadyDone):
        step(fleet, rollout.advance, "1.0.0")


def test_a_report_for_another_version_does_not_stop_it(fleet: Fleet) -> None:
    step(fleet, rollout.start, "1.1.0", "k1")
    report(fleet, "k1", "update=failed; target=1.0.0; error=disk full")
    assert rollout_of(fleet, "1.1.0").state == "running"


def test_later_stages_stop_at_a_tenth_of_the_kiosks_failing(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path)
    for n in range(4, 21):  # 20 kiosks in all: two failures stop it, one does not
        fleet.tokens[f"k{n}"] = fleet.office.enroll_kiosk(f"k{n}", "c2")
    with fleet.office.session() as s:
        add_release(s, fleet.store, make_wheel(tmp_path, "2.0.0"), notes="", now=NOW)
    step(fleet, rollout.start, "2.0.0", "k1")
    step(fleet, rollout.advance, "2.0.0")
    step(fleet, rollout.advance, "2.0.0")
    report(fleet, "k5", "update=failed; target=2.0.0; error=hash mismatch")
    assert rollout_of(fleet, "2.0.0").state == "running"
    report(fleet, "k5", "update=failed; target=2.0.0; error=hash mismatch")  # the same kiosk
    assert rollout_of(fleet, "2.0.0").state == "running"
    report(fleet, "k9", "update=rolled_back; target=2.0.0")
    stopped = rollout_of(fleet, "2.0.0")
    assert stopped.state == "stopped"
    assert stopped.reason == "k5 failed: hash mismatch (and 1 more)"


def test_pause_and_resume(fleet: Fleet) -> None:
    step(fleet, rollout.start, "1.0.0", "k1")
    step(fleet, rollout.pause, "1.0.0")
    assert offers(fleet)["k1"] is None
    with pytest.raises(AlreadyDone):
        step(fleet, rollout.advance, "1.0.0")
    step(fleet, rollout.resume, "1.0.0")
    assert offers(fleet)["k1"] == "1.0.0"


def test_going_back_offers_the_release_every_kiosk_ran_before(fleet: Fleet) -> None:
    step(fleet, rollout.start, "1.0.0", "k1")
    with pytest.raises(NotFound, match="no earlier release"):
        step(fleet, rollout.revert, "1.0.0")
    step(fleet, rollout.advance, "1.0.0")
    step(fleet, rollout.advance, "1.0.0")
    step(fleet, rollout.start, "1.1.0", "k3", at=NOW + timedelta(days=1))
    step(fleet, rollout.advance, "1.1.0")
    assert offers(fleet) == {"k1": "1.0.0", "k2": "1.0.0", "k3": "1.1.0"}
    step(fleet, rollout.revert, "1.1.0")
    assert offers(fleet) == {"k1": "1.0.0", "k2": "1.0.0", "k3": "1.0.0"}
    manifest = fleet.get("k3", "/releases/1.0.0/manifest.json")
    assert manifest.status_code == 200
    assert fleet.get("k3", "/releases/1.1.0/manifest.json").status_code == 404


def test_a_second_rollout_waits_for_the_first_to_reach_every_kiosk(fleet: Fleet) -> None:
    step(fleet, rollout.start, "1.0.0", "k1")
    with pytest.raises(AlreadyDone, match="take it to every kiosk"):
        step(fleet, rollout.start, "1.1.0", "k1")


def test_the_gates_page_health_keeps_the_update_state(fleet: Fleet) -> None:
    report(fleet, "k1", "version=1.0.0; update=rolled_back; target=1.1.0; error=screen black")
    with fleet.office.session() as s:
        [health, *_] = gates.kiosk_health(s, "c1", NOW)
    assert (health.version, health.update_state, health.update_target, health.update_error) == (
        "1.0.0",
        "rolled_back",
        "1.1.0",
        "screen black",
    )


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("update=trial; target=1.4.0; error=", {"update": "trial", "target": "1.4.0", "error": ""}),
        ("update=exploded", {}),
        ("update=TRIAL", {}),
        ("target=../../etc", {}),
        ("target=1.4.0 ; update = running", {"target": "1.4.0", "update": "running"}),
        ("error=" + "x" * 41, {}),
        ("error=bell\x07", {}),
        ("error=a=b=c", {"error": "a=b=c"}),
        ("update=failed" + ";" * 500 + "error=late", {"update": "failed"}),
        ("owner=root; target=", {"target": ""}),
    ],
)
def test_parse_status_keeps_only_well_formed_update_fields(
    header: str, kept: dict[str, str]
) -> None:
    assert gates.parse_status(header) == kept


def test_the_command_line_steers_a_rollout(
    fleet: Fleet, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(fleet.folder / "office.db"), "release"]
    assert cli.main([*db, "start", "1.0.0", "--kiosk", "k1"]) == 0
    assert cli.main([*db, "advance", "1.0.0"]) == 0
    assert offers(fleet) == {"k1": "1.0.0", "k2": "1.0.0", "k3": None}
    assert cli.main([*db, "revert", "1.0.0"]) == 2  # nothing earlier reached every kiosk
    assert cli.main([*db, "pause", "1.0.0"]) == 0
    assert cli.main([*db, "list"]) == 0
    out, err = capsys.readouterr()
    assert "rollout of 1.0.0: running at stage compound" in out
    assert "1.0.0" in out and "paused at stage compound (first kiosk k1)" in out
    assert "no earlier release reached every kiosk" in err
