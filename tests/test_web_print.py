"""Printing from the clerk's pages: one household or ticked residents from the flat's page, a
building from the print page (only buildings with someone to print are offered), the compound's
home links to printing and import, and a print run that can print nobody says who and why."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from server import office
from server.web.tables import AuditEntry
from tests.webtools import CSRF, World, flat, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def last_audit(world: World) -> AuditEntry:
    with world.office.session() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        s.expunge(entry)
        return entry


def test_the_home_links_to_import_printing_and_export(world: World) -> None:
    html = world.client("clerk1").get("/office/c/c1/").text
    for path in ("/office/c/c1/import", "/office/c/c1/sheets", "/office/c/c1/export"):
        assert f'href="{path}"' in html


def test_the_flat_page_prints_the_household_or_the_ticked_residents(world: World) -> None:
    ids = world.ids["c1"]
    client = world.client("clerk1")
    html = client.get(f"/office/h/{ids.household}").text
    assert f'name="holder" value="{ids.holder}"' in html
    assert f'name="household" value="{ids.household}"' in html
    assert 'action="/office/c/c1/sheets"' in html
    chosen = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "holder": str(ids.holder)})
    assert chosen.headers["content-type"] == "application/pdf"
    assert "居民1" in pdf_text(chosen.content)
    nothing = client.post("/office/c/c1/sheets", data={"csrf": CSRF})
    assert nothing.status_code == 409 and "没有选中任何住户" in nothing.text


def test_the_person_page_prints_that_person(world: World) -> None:
    ids = world.ids["c1"]
    html = world.client("clerk1").get(f"/office/p/{ids.holder}").text
    assert re.search(rf'name="holder" value="{ids.holder}"><button[^>]*>打印此人的通行证', html)


def test_only_buildings_with_residents_are_offered_and_each_prints(world: World) -> None:
    with world.office.session() as s:
        flat(s, "c1", "4", "1", "101")  # a flat nobody lives in yet: printing it was a 404
    client = world.client("clerk1")
    html = client.get("/office/c/c1/sheets").text
    offered = re.findall(r'name="building" value="([^"]+)"', html)
    assert offered == ["1"]
    for building in offered:
        answer = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "building": building})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    empty = client.post("/office/c/c1/sheets", data={"csrf": CSRF, "building": "4"})
    assert empty.status_code == 409 and "text/html" in empty.headers["content-type"]


def test_a_revoked_resident_is_named_on_the_page_and_in_the_audit(world: World) -> None:
    ids = world.ids["c1"]
    with world.office.session() as s:
        office.revoke_pass(s, ids.pass_id)
    answer = world.client("clerk1").post(
        "/office/c/c1/sheets", data={"csrf": CSRF, "household": ids.household}
    )
    assert answer.status_code == 409
    assert "居民1" in answer.text and "通行证已吊销" in answer.text
    assert f'href="/office/p/{ids.holder}"' in answer.text  # where "issue a new pass" is
    entry = last_audit(world)
    assert entry.action == "print_passes" and entry.detail["left_out"] == [ids.holder]
    assert entry.detail["issued"] == [] and entry.detail["cards"] == 0
