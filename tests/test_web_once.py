"""State changes happen once: parallel clicks over real HTTP, on SQLite and PostgreSQL.

Six browsers (each its own session) post the same approve, revoke, deactivate or colour
change at the same moment to a served office; exactly one changes anything, the others are
told it was already done (409).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from server.local import ServerThread
from server.models import Change, ColourHistory, Holder, Pass
from server.web import csrf
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)
from tests.webtools import World, make_world

CLICKS = 6


@pytest.fixture
def served(database_url: str) -> Iterator[tuple[World, str]]:  # noqa: F811
    world = make_world(database_url)
    server = ServerThread(world.app).start()
    yield world, server.url
    server.stop()


def _all_at_once(world: World, url: str, path: str, form: dict[str, str]) -> list[httpx.Response]:
    """CLICKS browsers of clerk1 post ``form`` to ``path`` together; their answers."""
    browsers = []
    for _ in range(CLICKS):
        cookies = dict(world.client("clerk1").cookies)
        token = csrf.sign(csrf.secret_of(cookies))
        browsers.append((httpx.Client(base_url=url, cookies=cookies), token))
    start = threading.Barrier(CLICKS)
    answers: list[httpx.Response] = [None] * CLICKS  # type: ignore[list-item]

    def click(n: int) -> None:
        client, token = browsers[n]
        start.wait()
        answers[n] = client.post("/office" + path, data={**form, "csrf": token}, timeout=60)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client, _token in browsers:
        client.close()
    return answers


def _one_done(answers: list[httpx.Response], already: str) -> None:
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [303] + [409] * (CLICKS - 1), statuses
    assert all(already in a.text for a in answers if a.status_code == 409)


def test_parallel_approvals_make_one_resident_and_one_pass(served: tuple[World, str]) -> None:
    world, url = served
    registration = world.ids["c1"].registration
    answers = _all_at_once(world, url, f"/reg/{registration}/approve", {})
    _one_done(answers, "这条登记已经批准了")
    with world.office.session() as s:
        holders = s.scalars(select(Holder.id).where(Holder.name == "新人1")).all()
        passes = s.scalar(select(func.count()).where(Pass.holder_id.in_(holders)))
    assert len(holders) == 1 and passes == 1


def test_parallel_rejections_reject_once(served: tuple[World, str]) -> None:
    world, url = served
    registration = world.ids["c1"].registration
    answers = _all_at_once(world, url, f"/reg/{registration}/reject", {"reason": "不是本小区的"})
    _one_done(answers, "这条登记已经被拒绝了")


def test_parallel_revocations_revoke_once(served: tuple[World, str]) -> None:
    world, url = served
    pass_id = world.ids["c1"].pass_id
    answers = _all_at_once(world, url, f"/pass/{pass_id}/revoke", {"reason": "丢失"})
    _one_done(answers, "已经吊销")
    with world.office.session() as s:
        sent = s.scalar(select(func.count()).where(Change.kind == "revoke"))
    assert sent == 1  # kiosks download one revocation, not six


def test_parallel_deactivations_deactivate_once(served: tuple[World, str]) -> None:
    world, url = served
    holder = world.ids["c1"].holder
    form = {"reason": "搬走了", "confirm": "yes"}
    answers = _all_at_once(world, url, f"/p/{holder}/deactivate", form)
    _one_done(answers, "已经停用")


def test_parallel_colour_changes_from_one_form_change_it_once(served: tuple[World, str]) -> None:
    world, url = served
    household = world.ids["c1"].household
    form = {"was": "white", "colour": "red", "reason": "密接", "start": "2026-02-10"}
    answers = _all_at_once(world, url, f"/h/{household}/colour", form)
    _one_done(answers, "颜色刚被别人改过了")
    with world.office.session() as s:
        reds = s.scalar(
            select(func.count()).where(
                ColourHistory.household_id == household, ColourHistory.colour == "red"
            )
        )
    assert reds == 1
