"""The gates page: kiosk health from what kiosks report, open alarms and their acknowledgement,
the live log's polling, and the chart figures in local time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.model import RiskColour
from kiosk.office import OfficeData
from kiosk.status import StatusKey
from kiosk.update.updater import tell
from server import gates
from server import office as office_ops
from server.local import ServerThread
from server.models import EventRow, Kiosk, KioskHealth
from server.web import i18n, pages_gates
from sync.agent import SyncAgent
from sync.client import Client, software_version
from sync.osupdates import OsUpdates, Pending
from sync.protocol import STATUS_HEADER
from sync.rejected import RejectedEvents
from tests.office_data import add_event
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)
from tests.webtools import World, make_world

NOW = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)  # make_world's clock: 10:00 in Shanghai


@pytest.fixture
def world(database_url: str) -> World:  # noqa: F811
    return make_world(database_url, NOW)  # type: ignore[arg-type]


def enroll(world: World, device: str = "gate-1") -> str:
    return world.office.enroll_kiosk(device, "c1")


def delta(world: World, token: str, status: str | None) -> None:
    client = world.client()
    headers = {"Authorization": f"Bearer {token}"}
    if status is not None:
        headers[STATUS_HEADER] = status
    assert client.get("/api/v1/delta", headers=headers).status_code == 200


def health(world: World) -> gates.Health:
    with world.office.session() as s:
        [found] = gates.kiosk_health(s, "c1", world.clock())
    return found


# --- kiosk health ---------------------------------------------------------------------------------


def test_a_kiosk_request_reports_version_backlog_and_last_seen(world: World) -> None:
    delta(world, enroll(world), "version=0.1.0; backlog=17")
    found = health(world)
    assert (found.online, found.version, found.backlog) == (True, "0.1.0", 17)
    assert found.last_seen == NOW


def test_a_kiosk_goes_offline_when_it_stops_syncing(world: World) -> None:
    delta(world, enroll(world), "version=0.1.0")
    world.clock.moment = NOW + gates.ONLINE_WITHIN + timedelta(seconds=1)
    assert health(world).online is False


def test_idle_polls_do_not_write_last_seen_every_time(world: World) -> None:
    token = enroll(world)
    delta(world, token, "version=1; backlog=0")
    world.clock.moment = NOW + timedelta(seconds=30)
    delta(world, token, "version=1; backlog=0")
    assert health(world).last_seen == NOW  # unchanged within SEEN_EVERY
    world.clock.moment = NOW + gates.SEEN_EVERY
    delta(world, token, "version=1; backlog=0")
    assert health(world).last_seen == NOW + gates.SEEN_EVERY


@pytest.mark.parametrize(
    "header",
    ["", "garbage", "backlog=-3", "backlog=99999999999999", "version=" + "x" * 500, "=;=;;"],
)
def test_a_malformed_status_header_is_ignored_never_an_error(world: World, header: str) -> None:
    delta(world, enroll(world), header)
    found = health(world)
    assert found.online and found.backlog is None and len(found.version) <= gates.FIELD_MAX


def test_a_backlog_in_other_digits_is_ignored(world: World) -> None:
    """A header is read as Latin-1: "²" passes ``isdigit()`` but not ``int()`` (was a 500)."""
    enroll(world)
    with world.office.session() as s:
        gates.note_kiosk(s, s.get(Kiosk, "gate-1"), "version=1; backlog=\xb2", NOW)
        s.commit()
    assert health(world).backlog is None


def test_clock_and_thermometer_come_from_the_kiosks_events(world: World) -> None:
    enroll(world)
    add_event(
        world.office, "c1", NOW - timedelta(minutes=5), device_id="gate-1", temperature_c=36.5
    )
    add_event(
        world.office, "c1", NOW - timedelta(minutes=1), device_id="gate-1",
        reason="sensor_fault", clock_trusted=False, verdict="guard",
    )  # fmt: skip
    found = health(world)
    assert (found.sensor_fault, found.clock_trusted) == (True, False)
    add_event(world.office, "c1", NOW, device_id="gate-1", temperature_c=36.4)
    assert health(world).sensor_fault is False


class Backlog:
    """A kiosk event log holding ``count`` events that cannot be sent yet."""

    def __init__(self, count: int) -> None:
        self.count = count

    def unsynced(self, limit: int = 200) -> list[Any]:
        return []

    def mark_synced(self, event_ids: Any) -> int:
        return 0

    def count_unsynced(self) -> int:
        return self.count

    def correct_untrusted(self, boot_id: str, offset_s: float) -> int:
        return 0


def test_every_key_the_kiosks_writers_send_is_stored_by_the_office(
    world: World, tmp_path: Path
) -> None:
    """The real writers (client, agent, updater, system updates) fill every key of the status
    contract, and the office stores each of them: none is sent in vain, none never arrives."""
    token = enroll(world)
    server = ServerThread(world.app).start()
    clock = SimpleNamespace(
        read=lambda: SimpleNamespace(trusted=True), observe_server_time=lambda wall: 0.0
    )
    system = OsUpdates(
        count=lambda: Pending(2, 2), reboot_flag=tmp_path / "reboot-required", start=run_now
    )
    agent = SyncAgent(
        Client(server.url, token),
        Backlog(7),
        OfficeData(tmp_path / "kiosk-office.db"),
        clock,  # type: ignore[arg-type]
        RejectedEvents(tmp_path / "rejected.db"),
        boot_id="b",
        os_status=system.status,
    )
    tell(agent.client.status, "downloading", "1.4.0", "")
    try:
        assert agent.run_once().ok
    finally:
        server.stop()
    assert set(agent.client.status) == set(StatusKey)
    found = health(world)
    assert found.backlog == 7 and found.version == software_version() != ""
    assert (found.os_updates, found.os_security, found.reboot_required) == (2, 2, False)
    assert (found.update_state, found.update_target, found.update_error) == (
        "downloading", "1.4.0", ""
    )  # fmt: skip


def run_now(work: Callable[[], None]) -> None:
    work()


def test_a_kiosk_reports_its_systems_pending_updates_and_a_waiting_reboot(world: World) -> None:
    token = enroll(world)
    delta(world, token, "version=1; os_updates=4; os_security=2; reboot_required=no")
    found = health(world)
    assert (found.os_updates, found.os_security, found.reboot_required) == (4, 2, False)
    # Within SEEN_EVERY, yet news: the unattended upgrade ran and now waits for its reboot.
    world.clock.moment = NOW + timedelta(seconds=30)
    delta(world, token, "version=1; os_updates=0; os_security=0; reboot_required=yes")
    found = health(world)
    assert (found.os_updates, found.reboot_required, found.last_seen) == (0, True, world.clock())
    page = world.client("clerk1").get("/office/c/c1/gates").text
    assert "已是最新" in page and "待重启" in page
    live = world.client("clerk1").get("/office/c/c1/gates/live", params={"after": 0}).json()
    [row] = live["health"]
    assert (row["os"], row["os_ok"]) == ("已是最新, 待重启", "")


@pytest.mark.parametrize(
    "header", ["os_updates=-1; reboot_required=maybe", "os_security=\xb2; os_updates=1e3", ""]
)
def test_malformed_update_fields_leave_the_last_good_values(world: World, header: str) -> None:
    token = enroll(world)
    delta(world, token, "version=1; os_updates=7; os_security=1; reboot_required=yes")
    world.clock.moment = NOW + gates.SEEN_EVERY
    with world.office.session() as s:
        gates.note_kiosk(s, s.get(Kiosk, "gate-1"), header, world.clock())
        s.commit()
    found = health(world)
    assert (found.os_updates, found.os_security, found.reboot_required) == (7, 1, True)


def test_the_gates_page_says_what_waits_in_words() -> None:
    t = i18n.translator("en")

    def row(updates: int | None, security: int | None, reboot: bool | None) -> tuple[str, str]:
        kiosk = gates.Health(
            "g", True, NOW, 0, True, "1", False, False,
            os_updates=updates, os_security=security, reboot_required=reboot,
        )  # fmt: skip
        found = pages_gates.health_row(kiosk, SimpleNamespace(timezone="UTC"), t)  # type: ignore[arg-type]
        return found["os"], found["os_ok"]

    assert row(None, None, None) == ("", "ok")  # an older kiosk reports nothing
    assert row(3, 0, False) == ("3 waiting (0 security)", "ok")
    assert row(3, 1, False) == ("3 waiting (1 security)", "")
    assert row(0, 0, True) == ("up to date, reboot waiting", "")


# --- alarms ---------------------------------------------------------------------------------------


def test_alarms_stay_open_until_the_guard_or_the_office_acknowledges(world: World) -> None:
    door = add_event(world.office, "c1", NOW, kind="alarm", reason="door_forced_open")
    fault = add_event(world.office, "c1", NOW, kind="alarm", reason="sensor_fault")
    add_event(world.office, "c2", NOW, kind="alarm", reason="door_held_open")
    with world.office.session() as s:
        assert {a.event_id for a in gates.open_alarms(s, "c1")} == {door, fault}
    add_event(world.office, "c1", NOW, kind="alarm_ack", data={"alarm_id": fault})
    client = world.client("clerk1")
    page = client.get("/office/c/c1/gates")
    assert page.status_code == 200 and "门被强行打开" in page.text
    answer = client.post(f"/office/c/c1/gates/alarms/{door}/ack", data={"csrf": "t" * 43})
    assert answer.status_code == 303
    with world.office.session() as s:
        assert gates.open_alarms(s, "c1") == []


def test_acknowledging_another_compounds_alarm_is_not_found(world: World) -> None:
    other = add_event(world.office, "c2", NOW, kind="alarm", reason="door_held_open")
    answer = world.client("admin").post(
        f"/office/c/c1/gates/alarms/{other}/ack", data={"csrf": "t" * 43}
    )
    assert answer.status_code == 404


def test_a_supervisor_reads_the_page_without_acknowledge_buttons(world: World) -> None:
    add_event(world.office, "c1", NOW, kind="alarm", reason="door_forced_open")
    page = world.client("super1").get("/office/c/c1/gates")
    assert page.status_code == 200
    assert "门被强行打开" in page.text and "/ack" not in page.text


# --- the live log ---------------------------------------------------------------------------------


def test_live_gives_only_what_arrived_after_the_newest_shown(world: World) -> None:
    add_event(world.office, "c1", NOW - timedelta(minutes=2))
    client = world.client("super1")
    first = client.get("/office/c/c1/gates/live").json()
    assert len(first["rows"]) == 1
    add_event(world.office, "c1", NOW, verdict="deny", reason="fever", temperature_c=38.26)
    second = client.get(f"/office/c/c1/gates/live?after={first['after']}").json()
    [row] = second["rows"]
    assert (row["time"], row["reason"], row["temperature"]) == ("02-10 10:00:00", "发热", "38.3")
    assert client.get(f"/office/c/c1/gates/live?after={second['after']}").json()["rows"] == []


def test_live_shows_names_masked_and_as_data(world: World) -> None:
    ids = world.ids["c1"]
    holder = world.office.add_resident("<script>", ids.household)
    with world.office.session() as s:
        row, _ = office_ops.issue_resident_pass(s, holder, at=NOW)
    add_event(world.office, "c1", NOW, pass_id=row.pass_id, household_id=ids.household)
    client = world.client("clerk1")
    [shown] = client.get("/office/c/c1/gates/live").json()["rows"]
    assert shown["name"] == "<******>" and shown["flat"] == "1-1-101"
    page = client.get("/office/c/c1/gates").text
    assert "<******>" not in page and "&lt;******&gt;" in page


@pytest.mark.parametrize("after", ["-1", "x", "99999999999999999999999"])
def test_live_refuses_a_bad_cursor_with_400(world: World, after: str) -> None:
    assert world.client("clerk1").get(f"/office/c/c1/gates/live?after={after}").status_code == 400


# --- charts ---------------------------------------------------------------------------------------


def test_passages_count_in_the_local_hour(world: World) -> None:
    for at in (datetime(2026, 2, 10, 0, 30, tzinfo=UTC), datetime(2026, 2, 10, 0, 45, tzinfo=UTC)):
        add_event(world.office, "c1", at, verdict="allow", direction="in")
    add_event(world.office, "c1", datetime(2026, 2, 9, 15, 59, tzinfo=UTC), verdict="allow")
    add_event(world.office, "c1", datetime(2026, 2, 10, 1, 0, tzinfo=UTC), verdict="deny")
    with world.office.session() as s:
        hours = gates.passages_per_hour(s, "c1", date(2026, 2, 10), "Asia/Shanghai")
    assert hours[8] == 2 and sum(hours) == 2  # 00:30 UTC is 08:30 in Shanghai


def test_fevers_are_counted_per_local_day_for_14_days(world: World) -> None:
    for days_ago in (0, 0, 3, 20):
        at = NOW - timedelta(days=days_ago)
        add_event(world.office, "c1", at, verdict="deny", reason="fever", temperature_c=38.0)
    with world.office.session() as s:
        days = gates.fevers_per_day(s, "c1", date(2026, 2, 10), "Asia/Shanghai")
    assert len(days) == 14 and days[-1] == (date(2026, 2, 10), 2) and days[-4][1] == 1
    assert sum(n for _, n in days) == 3


def test_households_per_colour_follow_the_colour_history(world: World) -> None:
    with world.office.session() as s:
        before = dict(gates.colours_per_day(s, "c1", date(2026, 2, 10), "Asia/Shanghai"))
        office_ops.set_colour(s, world.ids["c1"].household, RiskColour.RED, None, since=NOW)
        after = dict(gates.colours_per_day(s, "c1", date(2026, 2, 10), "Asia/Shanghai"))
    today = date(2026, 2, 10)
    assert before[today][RiskColour.RED] == 0 and after[today][RiskColour.RED] == 1
    yesterday = today - timedelta(days=1)
    assert after[yesterday][RiskColour.RED] == 0  # the colour counts from its start


@pytest.mark.parametrize("name", ["hourly", "fevers", "colours"])
def test_charts_are_svg_documents_of_their_own(world: World, name: str) -> None:
    answer = world.client("super1").get(f"/office/c/c1/gates/charts/{name}.svg")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    assert answer.text.startswith("<svg") and "pygal" in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_an_unknown_chart_is_404(world: World) -> None:
    assert world.client("super1").get("/office/c/c1/gates/charts/pie.svg").status_code == 404


def test_health_rows_exist_in_the_database(world: World) -> None:
    delta(world, enroll(world), None)
    with world.office.session() as s:
        assert s.scalars(select(KioskHealth.device_id)).all() == ["gate-1"]
        assert s.scalars(select(EventRow)).all() == []
