"""The releases pages' controls: a rollout starts only at a kiosk of the page's compound, each
step is audited, and the buttons a rollout shows are the steps it allows now."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from server.models import Rollout
from server.releases import keys
from server.releases.store import Store, add_release
from server.web.tables import AuditEntry
from tests.releasetools import make_wheel
from tests.webtools import CSRF, World, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    """The web test world with kiosks k1 (c1) and k3 (c2), an update key and release 1.4.0."""
    found = make_world(tmp_path)
    store = Store(tmp_path / "releases")
    with found.office.session() as s:
        keys.new_key(s, store.root, found.clock())
        add_release(s, store, make_wheel(tmp_path, "1.4.0"), notes="n", now=found.clock())
    found.office.enroll_kiosk("k1", "c1")
    found.office.enroll_kiosk("k3", "c2")
    return found


def post(world: World, path: str, **form: str) -> int:
    reply = world.client("admin").post(f"/office{path}", data={"csrf": CSRF, **form})
    return int(reply.status_code)


def state(world: World) -> tuple[str, str] | None:
    with world.office.session() as s:
        row = s.get(Rollout, "1.4.0")
        return None if row is None else (row.state, row.stage)


def test_a_rollout_starts_only_at_a_kiosk_of_the_pages_compound(world: World) -> None:
    assert post(world, "/c/c1/releases/1.4.0/start", kiosk="k3") == 404
    assert post(world, "/c/c1/releases/1.4.0/start", kiosk="nobody") == 404
    assert state(world) is None
    assert post(world, "/c/c1/releases/1.4.0/start", kiosk="k1") == 303
    assert state(world) == ("running", "kiosk")


def test_each_step_is_audited_and_a_step_out_of_turn_is_refused(world: World) -> None:
    post(world, "/c/c1/releases/1.4.0/start", kiosk="k1")
    assert post(world, "/c/c1/releases/1.4.0/resume") == 409  # it is running
    assert post(world, "/c/c1/releases/1.4.0/pause") == 303
    assert post(world, "/c/c1/releases/1.4.0/explode") == 404
    assert state(world) == ("paused", "kiosk")
    with world.office.session() as s:
        done = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert done[-2:] == ["release_start", "release_pause"]


def test_the_page_offers_the_steps_the_rollout_allows(world: World) -> None:
    client = world.client("admin")
    page = client.get("/office/c/c1/releases").text
    assert 'action="/office/c/c1/releases/1.4.0/start"' in page
    post(world, "/c/c1/releases/1.4.0/start", kiosk="k1")
    page = client.get("/office/c/c1/releases").text
    assert "/1.4.0/advance" in page and "/1.4.0/pause" in page
    assert "/1.4.0/resume" not in page and "/1.4.0/revert" not in page  # nothing to go back to
    post(world, "/c/c1/releases/1.4.0/pause")
    page = client.get("/office/c/c1/releases").text
    assert "/1.4.0/resume" in page and "/1.4.0/advance" not in page
