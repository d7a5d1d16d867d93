"""The demo's office web app: a compound in all five colours, people, and waiting sign-ups."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from server.app import create_app
from server.local import Office
from server.web import demo
from tests.webtools import cheap_hashing


def test_demo_data_has_all_five_colours_people_and_a_flagged_sign_up(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    cheap_hashing()
    office = Office.open(tmp_path / "o")
    office.add_compound("demo")
    moment = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
    with office.session() as s:
        logins = demo.seed(s, "demo", moment)
    client = TestClient(create_app(office.sessions, clock=lambda: moment))
    login = client.get("/office/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf
    answer = client.post(
        "/office/login",
        data={"csrf": csrf.group(1), "username": logins.clerk, "password": logins.password},
    )
    assert answer.url.path == "/office/c/demo/"
    board = client.get("/office/c/demo/board").text
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r'data-count="(\w+)">(\d+)<', board)}
    assert all(counts[c] > 0 for c in ("red", "orange", "yellow", "green", "white"))
    assert sum(counts.values()) == demo.BUILDINGS * demo.UNITS * demo.FLOORS * demo.PER_FLOOR
    queue = client.get("/office/c/demo/approvals").text
    assert queue.count('class="card"') == len(demo.WAITING) and 'data-flag="dup.name_flat"' in queue
