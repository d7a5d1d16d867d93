"""Retention: a compound's gate log and visitor data go after N days; nothing newer, nothing of
a compound without the setting."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kiosk.model import Role
from server import retention
from server.cli import main
from server.exc import ServerConfigError
from server.local import Office
from server.models import Change, EventRow, Pass, RiskPlateRow
from server.web.tables import Invitation, User
from tests import office_data
from tests.office_data import db_of
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)

NOW = datetime(2020, 3, 1, 4, 0, tzinfo=UTC)


def add_event(office: Office, compound: str, age_days: float, kind: str = "decision") -> None:
    data = {"phone": "13800138000"} if kind == "visitor" else {}
    office_data.add_event(office, compound, NOW - timedelta(days=age_days), kind=kind, data=data)


def ages(office: Office, compound: str) -> list[int]:
    with office.session() as s:
        times = s.scalars(select(EventRow.wall_time).where(EventRow.compound_id == compound))
        return sorted(round((NOW - t) / timedelta(days=1)) for t in times)


def add_risk_report(office: Office, age_days: int) -> None:
    """The city's report of plate 京A<age> in c1, visited ``age_days`` before NOW."""
    visited = (NOW - timedelta(days=age_days)).date()
    with office.session() as s:
        s.add(RiskPlateRow(compound_id="c1", plate=f"京A{age_days:05d}", area="甲区",
                           visited_on=visited, source="city", imported_at=NOW))  # fmt: skip


def add_visitor_invitation(office: Office, age_days: float) -> str:
    made = NOW - timedelta(days=age_days)
    pass_id = f"V{secrets.token_hex(4)}"
    with office.session() as s:
        user = s.scalars(select(User)).first()
        if user is None:
            user = User(username="r", password_hash="x", role="resident", created_at=NOW)
            s.add(user)
            s.flush()
        s.add(
            Pass(
                pass_id=pass_id,
                household_id="h1",
                compound_id="c1",
                role=Role.VISITOR.value,
                kid="k",
                issued_at=made,
                not_before=made,
                expires_at=made + timedelta(days=1),
            )
        )
        s.flush()
        s.add(
            Invitation(
                token_hash=secrets.token_hex(32),
                pass_id=pass_id,
                household_id="h1",
                visitor_name="访客",
                visitor_phone="13800138000",
                visit_date=made.date().isoformat(),
                entries=1,
                qr_text="KP1:x",
                created_at=made,
                created_by=user.id,
            )
        )
    return pass_id


@pytest.fixture
def office(database_url: str) -> Office:  # noqa: F811
    office = Office.open(database_url)
    office.add_compound("c1")
    office.add_compound("c2")
    office.add_household("h1", "c1")
    return office


def test_events_older_than_the_retention_are_deleted_newer_kept(office: Office) -> None:
    for age in (40, 31, 29, 1):
        add_event(office, "c1", age)
    add_event(office, "c1", 35, kind="visitor")
    with office.session() as s:
        retention.set_retention(s, "c1", 30)
    with office.session() as s:
        purged = retention.purge(s, NOW)
    assert purged.events == 3
    assert ages(office, "c1") == [1, 29]


def test_a_compound_without_retention_keeps_everything(office: Office) -> None:
    add_event(office, "c2", 400)
    with office.session() as s:
        retention.set_retention(s, "c1", 1)
        retention.purge(s, NOW)
    assert ages(office, "c2") == [400]


def test_old_visitor_invitations_and_passes_are_deleted(office: Office) -> None:
    old = add_visitor_invitation(office, 20)
    new = add_visitor_invitation(office, 2)
    with office.session() as s:
        retention.set_retention(s, "c1", 7)
    with office.session() as s:
        purged = retention.purge(s, NOW)
    assert (purged.invitations, purged.visitor_passes) == (1, 1)
    with office.session() as s:
        assert set(s.scalars(select(Invitation.pass_id))) == {new}
        assert s.get(Pass, old) is None and s.get(Pass, new) is not None


@pytest.mark.parametrize(
    ("retention_days", "kept"),
    [(30, [1, 13, 20, 29]), (7, [1, 13])],  # the risk window is 14 days: 13 still counts
)
def test_risk_list_reports_go_once_past_the_retention_and_the_window(
    office: Office, retention_days: int, kept: list[int]
) -> None:
    for age in (1, 13, 20, 29, 31, 400):
        add_risk_report(office, age)
    with office.session() as s:
        retention.set_retention(s, "c1", retention_days)
    with office.session() as s:
        purged = retention.purge(s, NOW)
        left = s.scalars(select(RiskPlateRow.plate).order_by(RiskPlateRow.plate.desc())).all()
        told = s.scalars(select(Change.payload).where(Change.kind == "risk")).all()
    assert [int(p[2:]) for p in left] == kept[::-1]
    assert purged.risk_plates == 6 - len(kept)
    assert sorted(c["plate"] for c in told if c["removed"]) == sorted(
        f"京A{age:05d}" for age in (1, 13, 20, 29, 31, 400) if age not in kept
    )


def test_resident_passes_are_never_purged(office: Office) -> None:
    holder = office.add_resident("张伟", "h1")
    with office.session() as s:
        from server import office as office_ops

        office_ops.issue_resident_pass(s, holder, days=1, at=NOW - timedelta(days=100))
        retention.set_retention(s, "c1", 7)
    with office.session() as s:
        retention.purge(s, NOW)
        assert s.scalar(select(func.count()).select_from(Pass)) == 1


@pytest.mark.parametrize("days", [0, -5, 100_000])
def test_retention_out_of_range_is_refused(office: Office, days: int) -> None:
    with office.session() as s, pytest.raises(ServerConfigError, match="1 to 3650 days"):
        retention.set_retention(s, "c1", days)


def test_purge_thread_purges_when_started(office: Office) -> None:
    add_event(office, "c1", 10)
    with office.session() as s:
        retention.set_retention(s, "c1", 5)
    thread = retention.PurgeThread(office.sessions, clock=lambda: NOW)
    assert thread.run_once().events == 1
    assert ages(office, "c1") == []


def test_cli_sets_retention_and_purges(
    office: Office,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = db_of(office)
    add_event(office, "c1", 3650)  # ten years before NOW: older than any retention today
    add_risk_report(office, 3650)
    assert main(["--db", db, "retention", "--compound", "c1", "--days", "30"]) == 0
    assert main(["--db", db, "purge"]) == 0
    said = capsys.readouterr().out
    assert "deleted 1 event(s)" in said and "1 risk-list report(s)" in said
    assert main(["--db", db, "retention", "--compound", "nope", "--days", "30"]) == 2
    assert "no compound 'nope'" in capsys.readouterr().err


def test_serve_purges_in_the_background(
    office: Office, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    add_event(office, "c1", 10)
    with office.session() as s:
        retention.set_retention(s, "c1", 5)
    started: list[retention.PurgeThread] = []
    real_start = retention.PurgeThread.start

    def start(thread: retention.PurgeThread) -> retention.PurgeThread:
        thread._clock = lambda: NOW  # the purge runs at the test's time
        started.append(real_start(thread))
        return thread

    monkeypatch.setattr(retention.PurgeThread, "start", start)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started[0].stop())  # serve, then quit
    assert main(["--db", db_of(office), "serve", "--port", "1"]) == 0
    assert started and started[0].runs == 1
    assert ages(office, "c1") == []
