"""Sign-up checks what is cheap before it decodes a photo, and decoding is bounded: twelve
strangers sending 6300x6300 PNGs at once cannot grow the server by gigabytes."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from server.web import photos
from server.web.pages_register import REGISTRATIONS_PER_HOUR
from tests.office_data import db_of
from tests.webtools import CSRF, World, csrf_of, jpeg, make_world

SIGNUPS = 12
RSS_GROWTH_MIB = 150  # the issue saw 2.3 GB; a decoded 6300x6300 RGB image alone is 119 MB


def png(width: int, height: int) -> bytes:
    """A black RGB PNG, made row by row: 6300x6300 is about 115 KB and 119 MB decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    packer = zlib.compressobj(9)
    row = bytes(1 + 3 * width)  # filter byte 0, then black pixels
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


FIELDS = {
    "building": "1",
    "unit": "1",
    "room": "102",
    "name": "王芳",
    "password": "a long password",
}


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path / "office")


def never_decoded(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    decoded: list[bytes] = []
    monkeypatch.setattr(photos, "prepare", lambda data: decoded.append(data) or b"")
    return decoded


def test_a_sign_up_with_a_missing_field_is_refused_before_its_photo_is_decoded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = never_decoded(monkeypatch)
    form = {**FIELDS, "csrf": CSRF, "name": "", "phone": "13700000001"}
    reply = world.client().post(
        "/office/r/c1", data=form, files={"photo": ("p.png", png(200, 200), "image/png")}
    )
    assert reply.status_code == 422
    assert decoded == []


def test_an_address_past_its_sign_up_limit_is_refused_before_its_photo_is_decoded(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    phone = world.client()
    for n in range(REGISTRATIONS_PER_HOUR):  # unreadable photos: each counts, none registers
        form = {**FIELDS, "csrf": CSRF, "phone": f"137000000{n:02d}"}
        assert (
            phone.post("/office/r/c1", data=form, files={"photo": ("p", b"x")}).status_code == 422
        )
    decoded = never_decoded(monkeypatch)
    form = {**FIELDS, "csrf": CSRF, "phone": "13700000099"}
    reply = phone.post("/office/r/c1", data=form, files={"photo": ("p.jpg", jpeg(), "image/jpeg")})
    assert reply.status_code == 429
    assert decoded == []


def test_a_huge_png_is_refused_from_its_header_without_decoding() -> None:
    data = png(6300, 6300)
    tracemalloc.start()
    try:
        with pytest.raises(photos.PhotoInvalid) as refused:
            photos.prepare(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert refused.value.key == "photo.err.pixels"
    assert peak < 8 * 2**20


def test_a_big_jpeg_is_decoded_as_a_reduced_draft() -> None:
    """A 40-megapixel phone photo is taken, decoded at 1/4 scale or less (7 MB, not 120)."""
    data = jpeg(size=(7296, 5472))
    decoded = photos._open(data)
    assert decoded.width <= 7296 // 4 and decoded.height <= 5472 // 4
    assert min(decoded.size) >= min(photos.DRAFT)  # still enough for the card
    assert photos.prepare(data).startswith(b"\xff\xd8")


# --- the server process under twelve hostile sign-ups at once -------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(world: World) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    code = (
        "import sys; from server.cli import main; "
        f"sys.exit(main(['--db', {db_of(world.office)!r}, 'serve', '--port', '{port}']))"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[1])
    url = f"http://127.0.0.1:{port}/office/r/c1"
    try:
        for _ in range(300):
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        yield process, url
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_up(url: str, phone: str, photo: bytes, replies: list[int]) -> None:
    http = requests.Session()
    token = csrf_of(http.get(url, timeout=30).text)
    form: dict[str, Any] = {**FIELDS, "csrf": token, "phone": phone}
    reply = http.post(
        url,
        data=form,
        files={"photo": ("p.png", photo, "image/png")},
        timeout=120,
        allow_redirects=False,
    )
    replies.append(reply.status_code)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_twelve_parallel_hostile_sign_ups_keep_the_server_small(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = server
    replies: list[int] = []
    sign_up(url, "13700000100", jpeg(), replies)  # warm: Pillow and argon2 are loaded
    before = rss_mib(process.pid)
    bomb = png(6300, 6300)
    threads = [
        threading.Thread(target=sign_up, args=(url, f"137000002{n:02d}", bomb, replies))
        for n in range(SIGNUPS)
    ]
    peak = before
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mib(process.pid))
        time.sleep(0.01)
    peak = max(peak, rss_mib(process.pid))
    assert peak - before < RSS_GROWTH_MIB, f"RSS {before:.0f} -> {peak:.0f} MiB"
    assert replies[0] == 303 and replies[1:] == [422] * SIGNUPS
    assert os.path.exists(f"/proc/{process.pid}")  # still serving
