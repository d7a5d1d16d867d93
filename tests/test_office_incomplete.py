"""A kiosk that syncs admits nobody on the pass alone until its office data are complete
(issue 17): a damaged office.db is made anew and empty, and an empty cache knows no revocations
or household colours, so a revoked pass would open. Until a download has reached the office's
last page (``more: false``) passes go to the guard; then normal decisions resume by themselves.
End to end: the simulated lane, the real sync agent and an office over real HTTP."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.model import Reason
from kiosk.office import OfficeData
from kiosk.view import AlarmCode, Stage
from sync.agent import SyncAgent
from sync.client import Client
from sync.rejected import RejectedEvents
from tests.test_exit_button import Lane
from tests.test_log_degraded import codes, shown
from tests.test_sync_downloads import LyingOffice, page


def world_pages(lane: Lane, office_pages: int = 1) -> Any:
    """The demo world as the office sends it, in ``office_pages`` pages (revocations first)."""
    world = lane.world
    households = [
        {
            "household_id": household_id,
            "colour": colour.value,
            "quarantine_until": until.isoformat() if until else None,
        }
        for household_id, (colour, until) in world.households.items()
    ]
    trust = world.key.trust_list().to_json()

    def answer(since: int) -> dict[str, Any]:
        if since == 0:
            revoked = {pass_id: True for pass_id in world.revoked}
            more = office_pages > 1
            return page(0, 1, more=more, revoked=revoked, trust=trust)
        return page(since, since + 1, more=since + 1 < office_pages, households=households)

    return answer


@pytest.fixture
def office() -> Iterator[LyingOffice]:
    made = LyingOffice(lambda since: page(since, since, more=False))
    yield made
    made.stop()


def syncing_lane(folder: Path, office: LyingOffice, *, office_db: bytes | None = None) -> Lane:
    """A new demo lane set up as a kiosk of ``office``: the issuer's key in a local trust
    file, so a pass verifies before any download; ``office_db``: what office.db holds."""
    lane = Lane(folder / "first", install=False)
    trust = folder / "trust.json"
    trust.write_text(json.dumps(lane.world.key.trust_list().to_json()))
    lane.app.close()
    if office_db is not None:
        (folder / "office.db").write_bytes(office_db)
    settings = {
        "sync.server_url": office.url,
        "sync.credential_file": str(folder / "credential.json"),
        "trust.files": [str(trust)],
    }
    return Lane(folder, install=False, settings=settings)


def agent_of(lane: Lane, office: LyingOffice, folder: Path) -> SyncAgent:
    app = lane.app
    client = Client(office.url, "token", timeout_s=10.0)
    rejected = RejectedEvents(folder / "rejected.db")
    return SyncAgent(client, app.log, app.office, app.clock, rejected, boot_id="boot-1")


def test_after_an_office_db_reset_a_revoked_pass_goes_to_the_guard_until_the_full_download(
    tmp_path: Path, office: LyingOffice
) -> None:
    lane = syncing_lane(tmp_path, office, office_db=b"not the office data" * 300)
    try:
        lane.player.run(0.1)
        assert list(tmp_path.glob("office.db.corrupt-*"))
        assert AlarmCode.OFFICE_DATA_RESET in codes(lane)
        assert shown(lane, "revoked") is Stage.GUARD  # not OPEN: the revocation is unknown
        assert not lane.app.hardware.gate.is_open
        assert lane.app.kiosk.view().reason is Reason.OFFICE_DATA_INCOMPLETE
        assert AlarmCode.OFFICE_DATA_INCOMPLETE in codes(lane)
        lane.player.run(lane.app.config.device.read_timeout_s + 1)

        office.pages = world_pages(lane, office_pages=2)
        agent = agent_of(lane, office, tmp_path)
        assert agent.run_once().ok
        lane.player.run(0.1)

        assert lane.app.office.complete()
        assert lane.pass_through("revoked").reason is Reason.REVOKED
        assert lane.pass_through("resident").stage is Stage.OPEN
    finally:
        lane.app.close()


def test_a_page_that_says_more_follows_does_not_end_the_wait(
    tmp_path: Path, office: LyingOffice
) -> None:
    lane = syncing_lane(tmp_path, office)  # a new kiosk: never downloaded
    try:
        first = world_pages(lane, office_pages=2)
        # The first page (revocations) arrives; then the office stops moving its cursor.
        office.pages = lambda since: first(0) if since == 0 else page(since, since, more=True)
        agent = agent_of(lane, office, tmp_path)
        assert not agent.run_once().ok
        assert lane.app.office.is_revoked("P-0103") and not lane.app.office.complete()
        assert shown(lane, "resident") is Stage.GUARD
    finally:
        lane.app.close()


def test_a_kiosk_without_an_office_decides_on_what_it_has(tmp_path: Path) -> None:
    lane = Lane(tmp_path)  # no sync.server_url: nothing will ever be downloaded
    try:
        assert not lane.app.office.complete()
        assert lane.pass_through("resident").stage is Stage.OPEN
    finally:
        lane.app.close()


def test_an_office_with_nothing_after_the_cursor_completes_the_cache(
    tmp_path: Path, office: LyingOffice
) -> None:
    lane = syncing_lane(tmp_path, office)
    try:
        agent = agent_of(lane, office, tmp_path)
        assert agent.run_once().ok  # an empty last page: nothing to apply, yet complete
        assert lane.app.office.complete()
        assert lane.pass_through("resident").stage is Stage.OPEN
    finally:
        lane.app.close()


def test_a_cache_downloaded_by_an_earlier_release_counts_as_complete(tmp_path: Path) -> None:
    path = tmp_path / "office.db"
    office = OfficeData(path)
    office.set_cursor("42")
    office.close()
    with sqlite3.connect(path) as conn:  # as the release before the flag left it
        conn.execute("DELETE FROM settings WHERE name = 'download_complete'")
        conn.execute("PRAGMA user_version = 1")
    office = OfficeData(path)
    try:
        assert office.complete()
    finally:
        office.close()


def test_a_cache_reset_in_the_middle_of_a_download_is_not_marked_complete_from_the_middle(
    tmp_path: Path, office: LyingOffice
) -> None:
    lane = syncing_lane(tmp_path, office)
    try:
        cache = lane.app.office
        first = world_pages(lane, office_pages=2)

        def pages(since: int) -> dict[str, Any]:
            if since == 1:
                # The cache is made anew (as after damage) while the second page is asked for.
                with sqlite3.connect(cache.path) as conn:
                    conn.execute("DELETE FROM revocations")
                    conn.execute("DELETE FROM settings")
            return first(since)

        office.pages = pages
        agent = agent_of(lane, office, tmp_path)
        assert not agent.run_once().ok  # the second page was not put into the emptied cache
        assert not cache.complete() and not cache.is_revoked("P-0103")
        assert shown(lane, "revoked") is Stage.GUARD
        lane.player.run(lane.app.config.device.read_timeout_s + 1)

        office.pages = first
        assert agent.run_once().ok  # from the start again
        assert cache.complete() and cache.is_revoked("P-0103")
        assert lane.pass_through("revoked").reason is Reason.REVOKED
    finally:
        lane.app.close()
