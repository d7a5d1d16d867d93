"""Recording releases: hostile wheels refused, files shared between releases, update keys."""

from __future__ import annotations

import os
import stat
import tracemalloc
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.update.manifest import FileKind, Manifest, ManifestError, verify
from server import cli
from server.exc import AlreadyExists, ServerConfigError
from server.models import Kiosk
from server.releases import keys
from server.releases.store import add_release
from server.releases.wheels import MAX_METADATA_BYTES, WheelError, read_wheel
from server.sync_service import delta_page
from tests.releasetools import NOW, Fleet, make_fleet, make_wheel


@pytest.fixture
def fleet(tmp_path: Path) -> Fleet:
    return make_fleet(tmp_path)


def add(fleet: Fleet, wheel: Path, *deps: Path) -> tuple[Manifest, int]:
    with fleet.office.session() as s:
        return add_release(s, fleet.store, wheel, dependencies=deps, notes="n", now=NOW)


def public_keys(fleet: Fleet) -> list[ed25519.Ed25519PublicKey]:
    with fleet.office.session() as s:
        return [ed25519.Ed25519PublicKey.from_public_bytes(k) for k in keys.trusted_public_keys(s)]


def test_a_second_release_copies_only_what_changed(fleet: Fleet, tmp_path: Path) -> None:
    big = make_wheel(tmp_path, "5.0", "big_dependency", body=b"x" * 200_000)
    _, first = add(fleet, make_wheel(tmp_path, "1.0.0"), big)
    _, second = add(fleet, make_wheel(tmp_path, "1.0.1", body=b"fixed"), big)
    assert first > 200_000 > second > 0
    assert len(list((fleet.store.root / "blobs").rglob("*"))) == 3 + 3  # 3 blobs, 3 folders


def test_the_same_version_twice_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    add(fleet, make_wheel(tmp_path, "1.0.0"))
    with pytest.raises(AlreadyExists, match=r"release 1\.0\.0 exists"):
        add(fleet, make_wheel(tmp_path, "1.0.0", body=b"other"))


def zipped(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries.items():
            wheel.writestr(name, data)
    return path


WHEEL = "checkpoint_kiosk-1.0-py3-none-any.whl"
META = "checkpoint_kiosk-1.0.dist-info/METADATA"


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: written(d / WHEEL, b"PK junk"), "not a readable wheel"),
        (lambda d: make_wheel(d, "1.0", "other_project"), "not of checkpoint-kiosk"),
        (
            lambda d: make_wheel(d, "1.0", metadata="Name: checkpoint-kiosk\nVersion: 2.0\n"),
            "its METADATA says checkpoint-kiosk 2.0",
        ),
        (lambda d: make_wheel(d, "1.0", metadata="Name: checkpoint-kiosk\n"), "no Version"),
        (lambda d: zipped(d / WHEEL, {"a.py": b""}), "exactly one"),
        # 64 MiB of METADATA that zips to a few KiB: refused after reading the bound, no more.
        (
            lambda d: zipped(d / WHEEL, {META: b"A" * (64 << 20)}),
            f"larger than {MAX_METADATA_BYTES >> 10} KiB",
        ),
        (lambda d: written(d / "setup.py", b""), "wheel file name"),
    ],
)
def test_a_file_that_is_not_a_kiosk_wheel_is_refused(
    fleet: Fleet, tmp_path: Path, make: object, message: str
) -> None:
    wheel = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(WheelError, match=message):
        add(fleet, wheel)
    assert not (fleet.store.root / "manifests").exists()


def test_the_private_key_file_is_readable_by_the_office_only(fleet: Fleet) -> None:
    files = list((fleet.store.root / keys.KEYS_FOLDER).iterdir())
    assert len(files) == 1
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600


def test_enrollment_gives_the_kiosk_the_update_keys(fleet: Fleet) -> None:
    code = fleet.office.enrollment_code("c1")
    reply = fleet.client.post("/api/v1/enroll", json={"code": code, "device_id": "k9"}).json()
    with fleet.office.session() as s:
        assert [k.public_b64 for k in keys.list_keys(s)] == reply["update_keys"]


def delta_keys(fleet: Fleet) -> tuple[bytes, ...] | None:
    with fleet.office.session() as s:
        kiosk = s.get(Kiosk, "k1")
        assert kiosk is not None
        return delta_page(s, kiosk, 0, NOW).delta.update_keys


def test_rotation_a_new_key_reaches_kiosks_before_it_signs(fleet: Fleet, tmp_path: Path) -> None:
    add(fleet, make_wheel(tmp_path, "1.0.0"))
    [old] = public_keys(fleet)
    with fleet.office.session() as s:
        old_kid = keys.list_keys(s)[0].kid
        new = keys.new_key(s, fleet.store.root, NOW + timedelta(days=1))
    assert not new.signing  # kiosks have not heard of it yet
    assert delta_keys(fleet) == (old.public_bytes_raw(), new.public)
    raw, sig = fleet.store.manifest("1.0.0")
    verify(raw, sig, [old])

    assert (
        cli.main(["--db", str(fleet.folder / "office.db"), "release", "key", "retire", old_kid])
        == 0
    )
    assert delta_keys(fleet) == (new.public,)
    raw, sig = fleet.store.manifest("1.0.0")  # signed again: going back to it still verifies
    verify(raw, sig, public_keys(fleet))
    with pytest.raises(ManifestError):
        verify(raw, sig, [old])
    _, _ = add(fleet, make_wheel(tmp_path, "1.0.1", body=b"new"))
    verify(*fleet.store.manifest("1.0.1"), public_keys(fleet))


def test_retiring_the_last_key_is_refused(fleet: Fleet) -> None:
    with fleet.office.session() as s, pytest.raises(ServerConfigError, match="only one"):
        keys.retire_key(s, keys.list_keys(s)[0].kid)


def test_a_metadata_bomb_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    wheel = zipped(tmp_path / WHEEL, {META: b"A" * (64 << 20)})
    tracemalloc.start()
    try:
        with pytest.raises(WheelError, match="METADATA is larger"):
            read_wheel(wheel)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_an_unchanged_firmware_folder_is_one_file_for_every_release(
    fleet: Fleet, tmp_path: Path
) -> None:
    firmware = tmp_path / "fw"
    (firmware / "lib").mkdir(parents=True)
    (firmware / "main.py").write_text("run()\n" * 1000)
    (firmware / "lib" / "osdp.py").write_text("FRAME = 0x53\n" * 1000)
    hashes = []
    for n, version in enumerate(("1.0.0", "1.0.1")):
        wheel = make_wheel(tmp_path, version)
        with fleet.office.session() as s:
            when = NOW + timedelta(minutes=n)  # the zip's own times must not depend on it
            manifest, _ = add_release(s, fleet.store, wheel, firmware=firmware, notes="", now=when)
        entry = manifest.file(FileKind.MCU)
        assert entry is not None
        hashes.append(entry.sha256)
        os.utime(firmware / "main.py", (1_000_000_000, 1_000_000_000))  # edited, same text
    assert hashes[0] == hashes[1]


def test_a_damaged_blob_is_replaced_when_a_release_brings_the_same_file(
    fleet: Fleet, tmp_path: Path
) -> None:
    dependency = make_wheel(tmp_path, "5.0", "shared_lib", body=b"y" * 5000)
    manifest, _ = add(fleet, make_wheel(tmp_path, "1.0.0"), dependency)
    blob = fleet.store.blob(manifest.files[1].sha256)
    blob.write_bytes(b"\0" * blob.stat().st_size)  # same size, other content
    _, copied = add(fleet, make_wheel(tmp_path, "1.0.1", body=b"new"), dependency)
    assert copied > dependency.stat().st_size
    assert blob.read_bytes() == dependency.read_bytes()
