"""A visitor invited at the office is admitted by a simulated kiosk, which shows the guard
whose visitor it is ("visitor of 3-2-501")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.app import App, build
from kiosk.commands.demo import demo_config
from kiosk.demo_scenario import Player, SimTime
from kiosk.model import Role, Verdict
from kiosk.passes import Verifier
from kiosk.view import Stage
from server import sync_service
from server.local import Office
from server.models import Household, Kiosk
from server.visitors import VisitorRefused, issue_visitor_pass
from sync.agent import apply_delta
from ui.person import role_words

START = datetime(2020, 2, 10, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
TODAY = date(2020, 2, 10)


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[tuple[App, Player]]:
    time = SimTime(START)
    app = build(demo_config(tmp_path / "kiosk"), sim=True, clock=time.clock, timers=time.timers)
    yield app, Player(app, time)
    app.close()


def office_for(tmp_path: Path, compound: str) -> Office:
    office = Office.open(tmp_path / "office")
    office.add_compound(compound, "幸福小区")
    office.add_household(f"{compound}-3-2-501", compound)
    with office.session() as s:
        household = s.get(Household, f"{compound}-3-2-501")
        assert household is not None
        household.building, household.unit, household.room = "3", "2", "501"
    return office


def download(office: Office, app: App) -> None:
    """The kiosk's next download, as its sync agent does it."""
    office.enroll_kiosk("gate-1", app.config.device.compound)
    with office.session() as s:
        row = s.get(Kiosk, "gate-1")
        assert row is not None
        apply_delta(app.office, sync_service.delta(s, row, 0, START))


def invite(office: Office, household: str, **overrides: object) -> str:
    options: dict[str, object] = {"day": TODAY, "entries": 2, "now": START, **overrides}
    with office.session() as s:
        return issue_visitor_pass(s, household, "赵敏", **options).text  # type: ignore[arg-type]


def test_invited_visitor_is_admitted_and_the_guard_sees_the_host_flat(
    kiosk: tuple[App, Player], tmp_path: Path
) -> None:
    app, player = kiosk
    compound = app.config.device.compound
    office = office_for(tmp_path, compound)
    text = invite(office, f"{compound}-3-2-501")
    download(office, app)
    assert app.sim is not None
    app.sim.set_ambient(25.0)
    app.sim.set_forehead(36.3)
    app.sim.present_pass(text)
    view = player.stage(Stage.OPEN, limit_s=30)
    assert view.verdict is Verdict.ALLOW and view.gate_open
    assert view.person is not None and view.person.role is Role.VISITOR
    assert view.person.host_flat == "3-2-501"
    assert role_words(view.person, "en") == "visitor of 3-2-501"
    assert role_words(view.person, "zh-CN") == "3-2-501 的访客"


def test_visitor_pass_is_valid_for_the_local_day_and_carries_its_limits(tmp_path: Path) -> None:
    office = office_for(tmp_path, "c1")
    text = invite(office, "c1-3-2-501", entries=3)
    verification = Verifier(office.trust_list()).verify(text, START)
    assert verification.credential is not None
    claims = verification.credential.claims
    assert claims is not None
    assert (claims.role, claims.visitor_uses, claims.host_flat) == (Role.VISITOR, 3, "3-2-501")
    # Shanghai's 10 February ends at 16:00 UTC: the pass is not valid a minute later.
    assert claims.expires_at == datetime(2020, 2, 10, 16, 0, tzinfo=UTC)
    assert claims.household_id == "c1-3-2-501"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"day": TODAY - timedelta(days=1)}, "today or within 30 days"),
        ({"day": TODAY + timedelta(days=31)}, "today or within 30 days"),
        ({"entries": 0}, "1 to 3 entries"),
        ({"entries": 4}, "1 to 3 entries"),
    ],
)
def test_out_of_bounds_invitations_are_refused(
    tmp_path: Path, overrides: dict[str, object], words: str
) -> None:
    office = office_for(tmp_path, "c1")
    with pytest.raises(VisitorRefused, match=words):
        invite(office, "c1-3-2-501", **overrides)


def test_an_unnamed_visitor_is_refused(tmp_path: Path) -> None:
    office = office_for(tmp_path, "c1")
    with office.session() as s, pytest.raises(VisitorRefused, match="name is empty"):
        issue_visitor_pass(s, "c1-3-2-501", "  ", day=TODAY, entries=1, now=START)
