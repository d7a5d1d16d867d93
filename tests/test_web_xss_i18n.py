"""Text people typed is shown as text everywhere; words come from the catalogues in both
languages; times are the compound's local time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.model import Reason
from server.models import Compound
from server.web import i18n
from server.web.render import mask_name, mask_phone
from server.web.tables import Registration
from tests.webtools import CSRF, World, jpeg, make_world

SCRIPT = "<script>alert(1)</script>"
TEMPLATES = Path(__file__).parents[1] / "server" / "web" / "templates"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def test_a_resident_named_script_is_shown_as_text_everywhere(world: World) -> None:
    phone = world.client()
    form = {
        "csrf": CSRF,
        "building": "1",
        "unit": "1",
        "room": "102",
        "name": SCRIPT,
        "phone": "13712345678",
        "password": "a long password",
    }
    assert (
        phone.post(
            "/office/r/c1", data=form, files={"photo": ("p.jpg", jpeg(), "image/jpeg")}
        ).status_code
        == 303
    )
    clerk = world.client("clerk1")
    pages = [clerk.get("/office/c/c1/approvals").text]
    with world.office.session() as s:
        reg = s.scalars(select(Registration).where(Registration.name == SCRIPT)).one()
    clerk.post(f"/office/reg/{reg.id}/approve", data={"csrf": CSRF})
    reason = '<img src=x onerror="alert(2)">'
    clerk.post(
        "/office/h/c1-1-1-102/colour",
        # yellow: a red (quarantined) household could not invite the visitor below
        data={"csrf": CSRF, "colour": "yellow", "reason": reason, "start": "2026-02-10"},
    )
    with world.office.session() as s:
        holder_id = s.scalars(select(Registration.holder_id).where(Registration.id == reg.id)).one()
    pages += [
        clerk.get(f"/office/p/{holder_id}").text,
        clerk.get("/office/h/c1-1-1-102").text,
        clerk.get("/office/h/c1-1-1-102/colour").text,
        clerk.get("/office/c/c1/search?q=script").text,
        clerk.get("/office/c/c1/board").text,
        phone.get("/office/me").text,
    ]
    invite = {"csrf": CSRF, "name": SCRIPT, "phone": "", "day": "2026-02-10", "entries": "1"}
    link = phone.post("/office/me/invite", data=invite).headers["location"]
    pages.append(phone.get(link).text)
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert sum("&lt;script&gt;alert(1)&lt;/script&gt;" in html for html in pages) >= 5
    assert any("&lt;img src=x onerror=" in html for html in pages)


def test_pages_forbid_inline_scripts(world: World) -> None:
    answer = world.client().get("/office/login")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_catalogues_have_every_key_in_both_languages() -> None:
    words = i18n.catalogue()
    assert all(set(entry) >= set(i18n.LANGUAGES) for entry in words.values())


def test_every_word_a_template_asks_for_is_in_the_catalogue() -> None:
    words = i18n.catalogue()
    asked = set()
    for template in TEMPLATES.glob("*.html"):
        asked |= set(re.findall(r"""\bt\(["']([a-z_][a-z0-9_.-]*)["']""", template.read_text()))
    # keys ending in "." or "_" are prefixes joined with a value (t("colour." ~ c))
    missing = sorted(k for k in asked if k not in words and not k.endswith(("_", ".")))
    assert not missing


def test_every_reason_a_kiosk_logs_has_words_on_the_gate_log() -> None:
    """pages_gates shows t(f"gates.reason.{code}"): a code without words showed its key."""
    words = i18n.catalogue()
    assert not [r.value for r in Reason if f"gates.reason.{r.value}" not in words]


def test_a_catalogue_missing_a_language_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"x": {"zh-CN": "甲"}}', encoding="utf-8")
    with pytest.raises(i18n.CatalogueError, match="no en text"):
        i18n.catalogue.__wrapped__(tmp_path)


def test_chinese_first_with_an_english_switch(world: World) -> None:
    client = world.client()
    assert "登录" in client.get("/office/login").text
    switched = client.get("/office/lang/en?next=/office/login")
    assert switched.status_code == 303
    client.cookies.set("office_lang", "en")
    assert "Log in" in client.get("/office/login").text


def test_times_are_shown_in_the_compounds_zone(world: World) -> None:
    # make_world's clock is 02:00 UTC: 10:00 in Asia/Shanghai
    html = world.client("clerk1").get("/office/c/c1/approvals").text
    assert "2026-02-10 10:00" in html and "02:00" not in html


def test_masking() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"
    assert mask_name("王小华") == "王*华" and mask_name("王华") == "王*"
    assert mask_name("Liu Yang") == "L** Y***"


def test_the_compounds_time_zone_is_a_setting(world: World) -> None:
    admin = world.client("admin")
    form = {"csrf": CSRF, "name": "小区1", "timezone": "Asia/Urumqi", "visitor_entries": "3"}
    assert admin.post("/office/c/c1/settings", data=form).status_code == 303
    html = world.client("clerk1").get("/office/c/c1/approvals").text
    assert "2026-02-10 08:00" in html  # Urumqi is UTC+6
    bad = admin.post("/office/c/c1/settings", data={**form, "timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and "未知的时区" in bad.text


def test_the_compounds_retention_is_a_setting(world: World) -> None:
    admin = world.client("admin")
    form = {"csrf": CSRF, "name": "小区1", "timezone": "Asia/Shanghai", "visitor_entries": "3"}
    saved = admin.post("/office/c/c1/settings", data={**form, "retention_days": "30"})
    assert saved.status_code == 303
    with world.office.session() as s:
        assert s.get(Compound, "c1").retention_days == 30
    assert 'value="30"' in admin.get("/office/c/c1/settings").text
    for bad in ("0", "3651", "-1", "ten"):
        refused = admin.post("/office/c/c1/settings", data={**form, "retention_days": bad})
        assert refused.status_code == 422 and "应为 1 到 3650 天" in refused.text
    kept = admin.post("/office/c/c1/settings", data={**form, "retention_days": ""})
    assert kept.status_code == 303
    with world.office.session() as s:
        assert s.get(Compound, "c1").retention_days is None
