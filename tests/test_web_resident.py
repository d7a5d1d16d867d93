"""A resident on the phone: registration, the photo, approval, My pass, visitors, passages."""

from __future__ import annotations

import base64
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from drivers.qr import make_decoder
from kiosk.commands.scan import scan_image
from kiosk.passes import parse_trust_json
from kiosk.passes.verify import Verifier
from server import office
from server.web import photos
from server.web.tables import Registration
from tests.webtools import CSRF, World, jpeg, make_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def register(
    world: World,
    client=None,
    *,
    name="王小华",
    phone="13712345678",
    room="102",  # type: ignore[no-untyped-def]
    photo: bytes | None = None,
):
    client = client or world.client()
    form = {
        "csrf": CSRF,
        "building": "1",
        "unit": "1",
        "room": room,
        "name": name,
        "phone": phone,
        "password": "a long password",
    }
    files = {"photo": ("me.jpg", photo if photo is not None else jpeg(), "image/jpeg")}
    return client, client.post("/office/r/c1", data=form, files=files)


def qr_text_of(html: str, tmp_path: Path) -> Path:
    found = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert found, "the page shows no QR image"
    path = tmp_path / "qr.png"
    path.write_bytes(base64.b64decode(found.group(1)))
    return path


def verify_png(world: World, png: Path) -> dict:  # type: ignore[type-arg]
    with world.office.session() as s:
        trust = parse_trust_json(office.trust_document(s), "office")
    lines = scan_image(png, make_decoder("zxing"), Verifier(trust), world.clock())
    assert len(lines) == 1
    line, valid = lines[0]
    assert valid, line
    return json.loads(line)


def test_the_registration_form_has_four_steps_and_asks_for_the_camera(world: World) -> None:
    html = world.client().get("/office/r/c1").text
    assert len(re.findall(r'<fieldset class="step"', html)) == 4
    assert 'capture="user"' in html and 'accept="image/*"' in html


def test_register_wait_approve_then_my_pass_verifies(world: World, tmp_path: Path) -> None:
    phone, answer = register(world)
    assert answer.status_code == 303 and answer.headers["location"] == "/office/me"
    assert "等待社区办公室审核" in phone.get("/office/me").text
    clerk = world.client("clerk1")
    queue = clerk.get("/office/c/c1/approvals").text
    assert "王小华" in queue and "137****5678" in queue
    with world.office.session() as s:
        reg = s.scalars(select(Registration).where(Registration.name == "王小华")).one()
    assert clerk.post(f"/office/reg/{reg.id}/approve", data={"csrf": CSRF}).status_code == 303
    mine = phone.get("/office/me").text
    assert "王*华" in mine and "王小华" not in mine  # the name is masked on the pass
    assert "1-1-102" in mine
    result = verify_png(world, qr_text_of(mine, tmp_path))
    assert result["claims"]["household_id"] == "c1-1-1-102"


def test_the_photo_is_stripped_turned_cropped_and_resized() -> None:
    image = Image.new("RGB", (800, 600), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 400, 600))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the phone was held upright; turn 90° clockwise
    exif[0x010F] = "PhoneMaker"
    raw = io.BytesIO()
    image.save(raw, "JPEG", exif=exif.tobytes())
    prepared = Image.open(io.BytesIO(photos.prepare(raw.getvalue())))
    assert prepared.size == (300, 400) and prepared.format == "JPEG"
    assert len(prepared.getexif()) == 0 and "exif" not in prepared.info
    top = prepared.getpixel((150, 20))
    assert isinstance(top, tuple) and top[0] > 200 and top[2] < 60  # red came to the top


@pytest.mark.parametrize(
    ("data", "words", "english"),
    [
        (b"", "没有收到照片", "No photo was sent"),
        (b"not an image at all", "无法读取这个文件", "not a readable photo"),
        (jpeg((60, 80)), "照片太小（60×80）", "too small (60×80)"),
    ],
)
def test_a_bad_photo_is_refused_with_a_reason(
    world: World, data: bytes, words: str, english: str
) -> None:
    """In the page's language: the reasons were English on the Chinese sign-up page."""
    _, answer = register(world, photo=data)
    assert answer.status_code == 422 and words in answer.text
    phone = world.client()
    phone.cookies.set("office_lang", "en")
    _, answer = register(world, phone, photo=data)
    assert answer.status_code == 422 and english in answer.text
    with world.office.session() as s:
        assert s.scalar(select(Registration).where(Registration.name == "王小华")) is None


def test_an_unknown_flat_is_refused_beside_the_field(world: World) -> None:
    _, answer = register(world, room="999")
    assert answer.status_code == 422 and "小区没有这个房屋" in answer.text


def test_a_phone_with_an_account_cannot_register_again(world: World) -> None:
    _, answer = register(world, phone="13800000001")
    assert answer.status_code == 422 and "此手机号已经登记过" in answer.text


def test_likely_duplicates_are_flagged_for_the_clerk(world: World) -> None:
    with world.office.session() as s:
        office.add_resident(s, "赵六", "c1-1-1-102", phone="13611112222")
    register(world, name="居民1", phone="13511112222", room="101")  # same name, same flat
    register(world, name="钱七", phone="13611112222")  # same phone as a resident
    html = world.client("clerk1").get("/office/c/c1/approvals").text
    cards = {
        m.group(1): m.group(0)
        for m in re.finditer(r'<h2 class="reg-name">([^<]+)</h2>.*?</article>', html, re.S)
    }
    assert 'data-flag="dup.name_flat"' in cards["居民1"]
    assert 'data-flag="dup.phone"' in cards["钱七"]
    assert "data-flag" not in cards["新人1"]


def test_a_rejected_resident_sees_why(world: World) -> None:
    phone, _ = register(world)
    with world.office.session() as s:
        reg = s.scalars(select(Registration).where(Registration.name == "王小华")).one()
    clerk = world.client("clerk1")
    assert clerk.post(f"/office/reg/{reg.id}/reject", data={"csrf": CSRF}).status_code == 422
    clerk.post(f"/office/reg/{reg.id}/reject", data={"csrf": CSRF, "reason": "不是本小区居民"})
    assert "不是本小区居民" in phone.get("/office/me").text
    again = clerk.post(f"/office/reg/{reg.id}/approve", data={"csrf": CSRF})
    assert again.status_code == 409
    assert clerk.get(f"/office/reg/{reg.id}/photo.jpg").status_code == 404  # not kept
    _, retry = register(world, room="101")  # the same phone may try again, with another flat
    assert retry.status_code == 303
    assert "等待社区办公室审核" in phone.get("/office/me").text


def test_invite_a_visitor_gives_a_link_with_a_visitor_pass(world: World, tmp_path: Path) -> None:
    resident = world.client("13800000001")
    day = (world.clock() + timedelta(days=1)).astimezone().date().isoformat()
    form = {"csrf": CSRF, "name": "刘洋", "phone": "13100000000", "day": day, "entries": "2"}
    answer = resident.post("/office/me/invite", data=form)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/office/v/")
    page = world.client().get(answer.headers["location"])  # anyone with the link
    assert "1-1-101" in page.text and "刘洋" in page.text
    result = verify_png(world, qr_text_of(page.text, tmp_path))
    assert result["claims"]["role"] == "visitor"


def test_a_visitor_pass_allows_at_most_the_policy_entries(world: World) -> None:
    resident = world.client("13800000001")
    day = world.clock().date().isoformat()
    form = {"csrf": CSRF, "name": "刘洋", "phone": "", "day": day, "entries": "9"}
    answer = resident.post("/office/me/invite", data=form)
    assert answer.status_code == 422 and "1 到 3 次" in field_error(answer.text, "entries")


def field_error(html: str, name: str) -> str:
    """The words beside one field of a form ('' when none)."""
    block = html.split(f'<label for="f-{name}">', 1)[1].split("</div>", 1)[0]
    return block.split('role="alert">', 1)[1].split("<", 1)[0] if 'role="alert"' in block else ""


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": ""}, "name", "必填"),
        ({"name": "刘\u202e洋"}, "name", "控制字符"),
        ({"name": "名" * 51}, "name", "不能超过 50 个字"),
        ({"phone": "abc"}, "phone", "请填写正确的手机号码"),
        ({"day": "2020-01-01"}, "day", "今天起 30 天之内"),
        ({"day": "9999-12-31"}, "day", "今天起 30 天之内"),
        ({"entries": "²"}, "entries", "1 到 3 次"),
    ],
)
def test_an_invitation_is_refused_beside_the_field_in_the_pages_words(
    world: World, change: dict[str, str], field: str, words: str
) -> None:
    """These were English words beside the name field, and a phone 'abc' or a name with a
    direction override was accepted for the pass the guard reads."""
    day = world.clock().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    form = {"csrf": CSRF, "name": "刘洋", "phone": "", "day": day, "entries": "2", **change}
    answer = world.client("13800000001").post("/office/me/invite", data=form)
    assert answer.status_code == 422
    assert words in field_error(answer.text, field)


def test_my_pass_page_can_be_added_to_the_home_screen_and_works_offline(world: World) -> None:
    client = world.client("13800000001")
    html = client.get("/office/me").text
    assert 'rel="manifest"' in html and 'data-sw="/office/sw.js"' in html
    manifest = client.get("/office/manifest.webmanifest").json()
    assert manifest["start_url"] == "/office/me"
    worker = client.get("/office/sw.js")
    assert worker.headers["service-worker-allowed"] == "/office/"
    assert '"/office/me"' in worker.text


def test_passages_are_only_the_own_households(world: World) -> None:
    from tests import office_data

    office_data.add_event(world.office, "c1", world.clock(), household_id="c1-1-1-101")
    office_data.add_event(world.office, "c1", world.clock(), household_id="c1-1-1-102")
    html = world.client("13800000001").get("/office/me/passages").text
    assert html.count("<tr><td>") == 1


def test_a_clerk_adds_a_resident_by_hand_with_a_photo_and_a_pass(world: World) -> None:
    clerk = world.client("clerk1")
    form = {"csrf": CSRF, "name": "孙奶奶", "phone": ""}
    files = {"photo": ("p.jpg", jpeg((900, 1200)), "image/jpeg")}
    answer = clerk.post("/office/h/c1-1-1-102/residents", data=form, files=files)
    assert answer.status_code == 303
    page = clerk.get(answer.headers["location"]).text
    assert "孙奶奶" in page and "/photo.jpg" in page and "/office/qr/P" in page
    bad = clerk.post("/office/h/c1-1-1-102/residents", data={**form, "name": " "})
    assert bad.status_code == 422 and "必填" in bad.text


def test_a_new_photo_reaches_the_kiosks(world: World) -> None:
    from server import sync_service
    from server.models import Kiosk

    world.office.enroll_kiosk("k1", "c1")
    holder = world.ids["c1"].holder
    with world.office.session() as s:
        start = sync_service.delta(s, s.get(Kiosk, "k1"), 0, world.clock()).cursor
    files = {"photo": ("p.jpg", jpeg((600, 800), (10, 200, 10)), "image/jpeg")}
    clerk = world.client("clerk1")
    assert (
        clerk.post(f"/office/p/{holder}/photo", data={"csrf": CSRF}, files=files).status_code == 303
    )
    with world.office.session() as s:
        found = sync_service.delta(s, s.get(Kiosk, "k1"), start, world.clock())
    assert [p.holder_id for p in found.photos] == [str(holder)]


def test_registrations_from_one_address_are_limited(world: World) -> None:
    from server.web.pages_register import REGISTRATIONS_PER_HOUR

    for number in range(REGISTRATIONS_PER_HOUR):
        _, answer = register(world, phone=f"1350000{number:04d}")
        assert answer.status_code == 303
    _, flooded = register(world, phone="13600000000")
    assert flooded.status_code == 429 and "登记次数过多" in flooded.text
    world.clock.moment += timedelta(hours=1, seconds=1)
    assert register(world, phone="13600000000")[1].status_code == 303
