"""Rules that hold across a compound: two kiosks, one office, the real sync agent and rules.

Kiosk A is the in-lane, kiosk B the out-lane. Each decides with the kiosk's own rules on what
its event log knows (``EventLog.history``), logs its decision, and syncs with the office over
loopback; the office passes each kiosk's passages on to the other in the delta.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from kiosk.config import Policy, load_config
from kiosk.model import Direction, EventKind, PassClaims, Reason, Role, Verdict
from kiosk.passes import Verifier, issue_pass
from kiosk.recorder import unused_opening
from kiosk.rules import check_credential
from server.app import create_app
from server.local import Office, ServerThread
from tests.pg import LoopbackOffice, database_url, postgres  # noqa: F401 (fixtures)
from tests.test_sync_faults import T0, FakeTime, Kiosk, make_event, make_kiosk

COMPOUND = "c1"


@pytest.fixture
def time() -> FakeTime:
    """The one clock of the kiosks and the office (their clocks agree here)."""
    return FakeTime(T0)


@pytest.fixture
def office(database_url: str, time: FakeTime) -> Iterator[LoopbackOffice]:  # noqa: F811
    office = Office.open(database_url)
    office.add_compound(COMPOUND)
    office.add_household("h1", COMPOUND)
    app = create_app(office.sessions, clock=lambda: datetime.fromtimestamp(time.wall_s, UTC))
    world = LoopbackOffice(office, ServerThread(app).start())
    yield world
    world.server.stop()


class Lane:
    """One kiosk at a lane: decides with the kiosk's rules on its own history, logs, syncs."""

    def __init__(self, kiosk: Kiosk, time: FakeTime, office: LoopbackOffice, policy: Policy):
        self.kiosk, self.time, self.policy = kiosk, time, policy
        self.verifier = Verifier(office.office.trust_list())

    def show(self, text: str, direction: Direction) -> tuple[Verdict, Reason]:
        self.time.wall_s += 60  # a minute between people
        now = self.kiosk.clock.read()
        verification = self.verifier.verify(text, now.wall)
        assert verification.credential is not None and verification.credential.claims
        claims = verification.credential.claims
        window = timedelta(days=self.policy.exit_quota_days)
        history = self.kiosk.log.history(
            claims.pass_id, claims.household_id, COMPOUND, now.wall, window
        )
        decision = check_credential(
            verification,
            compound=COMPOUND,
            history=history,
            household=self.kiosk.office.household(claims.household_id),
            policy=self.policy,
            clock=now,
            direction=direction,
        )
        self.record(
            kind=EventKind.DECISION,
            verdict=decision.verdict,
            reason=decision.reason,
            direction=direction,
            pass_id=claims.pass_id,
            household_id=claims.household_id,
        )
        return decision.verdict, decision.reason

    def record(self, **fields: object) -> None:
        self.kiosk.log.append(make_event(self.kiosk.device, self.kiosk.clock, **fields))

    def press_exit_button(self) -> None:
        """Someone leaves by the exit button: the event kiosk.machine logs (no identity)."""
        self.time.wall_s += 60
        self.record(reason=Reason.EXIT_BUTTON, direction=Direction.OUT, pass_id=None,
                    household_id=None, temperature_c=None)  # fmt: skip

    def opening_unused(self) -> None:
        """Nobody went through the last opening: the event kiosk.machine logs then."""
        [opening] = self.kiosk.log.recent(1)
        marker = make_event(
            self.kiosk.device,
            self.kiosk.clock,
            kind=EventKind.SYSTEM,
            reason=Reason.OPENING_UNUSED,
            verdict=None,
            temperature_c=None,
        )
        self.kiosk.log.append(unused_opening(opening, marker))  # fmt: skip

    def sync(self) -> None:
        assert self.kiosk.agent.run_once().ok


@pytest.fixture
def lanes(tmp_path: Path, office: LoopbackOffice, time: FakeTime) -> tuple[Lane, Lane]:
    policy = load_config(None, {"policy.exit_quota": "hard"}).policy
    a, b = (make_kiosk(tmp_path, office, office.url, d, time=time) for d in ("A", "B"))
    return Lane(a, time, office, policy), Lane(b, time, office, policy)


def sign(office: LoopbackOffice, household: str, role: Role, uses: int | None = None) -> str:
    key = office.office.signing_key()
    claims = PassClaims(
        issuer=key.issuer,
        pass_id=f"P-{household}-{role.value}-{uses}",
        issued_at=T0 - timedelta(days=1),
        not_before=T0 - timedelta(days=1),
        expires_at=T0 + timedelta(days=30),
        compounds=(COMPOUND,),
        household_id=household,
        role=role,
        holder_name="Wang",
        visitor_uses=uses,
    )
    return issue_pass(key, claims)


def both_sync(*lanes: Lane) -> None:
    for lane in lanes:
        lane.sync()
    for lane in lanes:  # the second download brings what the others uploaded after
        lane.sync()


ALLOW = (Verdict.ALLOW, Reason.OK)


def test_in_at_a_out_at_b_in_at_a_is_allowed(office, lanes):
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert a.show(resident, Direction.IN) == ALLOW
    both_sync(a, b)
    assert b.show(resident, Direction.OUT) == ALLOW
    both_sync(a, b)
    assert a.show(resident, Direction.IN) == ALLOW
    both_sync(a, b)
    assert b.show(resident, Direction.IN) == (Verdict.DENY, Reason.ANTI_PASSBACK)
    assert office.office.conflicts() == []


def test_a_two_entry_visitor_pass_is_refused_a_third_time_at_either_kiosk(office, lanes):
    a, b = lanes
    visitor = sign(office, "h1", Role.VISITOR, uses=2)
    assert a.show(visitor, Direction.IN) == ALLOW
    both_sync(a, b)
    assert b.show(visitor, Direction.OUT) == ALLOW
    both_sync(a, b)
    assert b.show(visitor, Direction.IN) == ALLOW
    both_sync(a, b)
    assert a.show(visitor, Direction.OUT) == ALLOW
    both_sync(a, b)
    assert a.show(visitor, Direction.IN) == (Verdict.DENY, Reason.VISITOR_LIMIT)
    assert b.show(visitor, Direction.IN) == (Verdict.DENY, Reason.VISITOR_LIMIT)


def test_the_household_exit_quota_counts_exits_at_every_kiosk(office, lanes):
    a, b = lanes
    first = sign(office, "h1", Role.RESIDENT)
    second = sign(office, "h1", Role.RESIDENT, uses=7)  # another member of the household
    assert b.show(first, Direction.OUT) == ALLOW
    both_sync(a, b)
    assert a.show(second, Direction.OUT) == (Verdict.DENY, Reason.EXIT_QUOTA)


def test_offline_kiosks_decide_on_what_they_know_and_the_office_flags_it(office, lanes):
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert a.show(resident, Direction.IN) == ALLOW
    assert b.show(resident, Direction.IN) == ALLOW  # B has not heard from A: it cannot know
    both_sync(a, b)
    [conflict] = office.office.conflicts(COMPOUND)
    assert conflict["direction"] == "in" and conflict["pass_id"] == "P-h1-resident-None"
    assert {conflict["first_device_id"], conflict["second_device_id"]} == {"A", "B"}
    assert a.show(resident, Direction.IN) == (Verdict.DENY, Reason.ANTI_PASSBACK)


def test_an_exit_by_the_button_at_b_lets_the_resident_back_in_at_a(office, lanes):
    """docs/gate-rules.md: an unidentified exit locks nobody out, at whichever kiosk of the
    compound the button was pressed."""
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert a.show(resident, Direction.IN) == ALLOW
    both_sync(a, b)
    b.press_exit_button()  # the resident (or someone) leaves by B's button
    both_sync(a, b)
    assert a.show(resident, Direction.IN) == ALLOW
    assert office.office.conflicts() == []
    both_sync(a, b)
    assert b.show(resident, Direction.IN) == (Verdict.DENY, Reason.ANTI_PASSBACK)  # once only


def test_a_button_exit_not_yet_heard_of_does_not_open_anti_passback(office, lanes):
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert a.show(resident, Direction.IN) == ALLOW
    b.press_exit_button()  # B has not synced: A cannot know
    assert a.show(resident, Direction.IN) == (Verdict.DENY, Reason.ANTI_PASSBACK)


def test_a_button_exit_elsewhere_is_no_way_out_twice(office, lanes):
    """The button reopens the way in only: "out" after "out" stays refused."""
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert b.show(resident, Direction.OUT) == ALLOW
    a.press_exit_button()
    both_sync(a, b)
    assert b.show(resident, Direction.OUT) == (Verdict.DENY, Reason.ANTI_PASSBACK)
    assert a.show(resident, Direction.IN) == ALLOW


def test_a_button_exit_before_the_last_passage_counts_for_nothing(office, lanes):
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    b.press_exit_button()
    assert a.show(resident, Direction.IN) == ALLOW
    both_sync(a, b)
    assert a.show(resident, Direction.IN) == (Verdict.DENY, Reason.ANTI_PASSBACK)


def test_only_button_exits_travel_without_an_identity(office, lanes):
    """A guard's opening with no pass is no unidentified exit at the gate either: the office
    keeps it to itself."""
    a, b = lanes
    b.press_exit_button()
    b.record(kind=EventKind.GUARD_ACTION, reason=Reason.GUARD_OVERRIDE, direction=Direction.OUT,
             pass_id=None, household_id=None)  # fmt: skip
    both_sync(a, b)
    rows = (
        sqlite3.connect(a.kiosk.log.path)
        .execute("SELECT device_id, direction, pass_id, household_id FROM passages")
        .fetchall()
    )
    assert rows == [("B", "out", None, None)]


def test_a_kiosk_does_not_count_its_own_passages_twice(office, lanes):
    a, b = lanes
    visitor = sign(office, "h1", Role.VISITOR, uses=2)
    assert a.show(visitor, Direction.IN) == ALLOW
    both_sync(a, b)
    both_sync(a, b)  # A's own passage comes back in the delta: skipped
    now = a.kiosk.clock.read().wall
    history = a.kiosk.log.history("P-h1-visitor-2", "h1", COMPOUND, now, timedelta(days=1))
    assert history.admitted_uses == 1


def test_a_busy_compound_reaches_a_new_kiosk_in_bounded_replies(tmp_path, office, time):
    """2,500 passages at A: B's first download is one reply of at most ~2,000, then the rest."""
    # Big batches on a busy machine: wait as long as a loaded office may take.
    a = make_kiosk(tmp_path, office, office.url, "A", time=time, batch=500, timeout_s=60)
    a.log.extend(make_event("A", a.clock, direction=Direction.OUT) for _ in range(2500))
    assert a.agent.run_once().uploaded == 2500
    token = office.office.enroll_kiosk("B", COMPOUND)
    reply = requests.get(
        f"{office.url}/api/v1/delta?since=0", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert reply["more"] is True and 2000 <= len(reply["passages"]) < 2100

    b = make_kiosk(tmp_path, office, office.url, "B", time=time, timeout_s=60)
    assert b.agent.run_once().ok
    with sqlite3.connect(tmp_path / "B" / "events.db") as conn:
        assert conn.execute("SELECT count(*) FROM passages").fetchone() == (2500,)


def test_an_opening_nobody_used_is_no_passage_at_the_other_kiosk(office, lanes):
    """docs/gate-rules.md: with a door contact, an opening nobody went through counts for
    nothing, at the office and so at the compound's other kiosks too."""
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert a.show(resident, Direction.IN) == ALLOW
    a.opening_unused()  # the relay dropped with the door never opened, before A synced
    both_sync(a, b)
    assert b.show(resident, Direction.IN) == ALLOW  # no "上次进出没有扫码" at B
    assert office.office.conflicts() == []


def test_an_opening_passed_on_before_it_was_found_unused_is_taken_back(office, lanes):
    a, b = lanes
    resident = sign(office, "h1", Role.RESIDENT)
    assert a.show(resident, Direction.IN) == ALLOW
    both_sync(a, b)  # B has heard of the passage
    a.opening_unused()  # nobody went through after all, said in A's next upload
    both_sync(a, b)
    assert b.show(resident, Direction.IN) == ALLOW  # not refused for a passage never made
