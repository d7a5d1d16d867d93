"""The kiosks' release endpoints: offered-only access, the signed manifest, resumable downloads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.update.manifest import FileKind, ManifestError, verify
from server.releases import keys, rollout
from server.releases.store import add_release
from tests.releasetools import NOW, Fleet, make_fleet, make_wheel


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """Release 1.4.0 (a wheel, a dependency, firmware) offered to k1, the rollout's first kiosk."""
    folder = tmp_path_factory.mktemp("fleet")
    found = make_fleet(folder)
    firmware = folder / "fw"
    firmware.mkdir()
    (firmware / "main.py").write_text("print('gate')\n" * 5000)
    with found.office.session() as s:
        add_release(
            s,
            found.store,
            make_wheel(folder, "1.4.0"),
            dependencies=[make_wheel(folder, "2.0", "helper_lib")],
            firmware=firmware,
            notes="first",
            now=NOW,
        )
        rollout.start(s, "1.4.0", "k1", NOW)
    return found


def trusted(fleet: Fleet) -> list[ed25519.Ed25519PublicKey]:
    with fleet.office.session() as s:
        raw = keys.trusted_public_keys(s)
    return [ed25519.Ed25519PublicKey.from_public_bytes(k) for k in raw]


def manifest_of(fleet: Fleet, kiosk: str = "k1") -> tuple[bytes, bytes]:
    raw = fleet.get(kiosk, "/releases/1.4.0/manifest.json")
    sig = fleet.get(kiosk, "/releases/1.4.0/manifest.sig")
    assert raw.status_code == sig.status_code == 200
    return raw.content, sig.content


def test_the_offered_kiosk_is_told_the_version_others_get_no_content(fleet: Fleet) -> None:
    assert fleet.get("k1", "/release").json() == {"version": "1.4.0"}
    assert fleet.get("k2", "/release").status_code == 204
    assert fleet.get("k3", "/release").status_code == 204


def test_the_manifest_verifies_with_the_update_key_given_at_enrollment(fleet: Fleet) -> None:
    raw, sig = manifest_of(fleet)
    assert len(sig) == 64
    manifest = verify(raw, sig, trusted(fleet))
    assert manifest.version == "1.4.0" and manifest.notes == "first"
    assert {f.kind for f in manifest.files} == {FileKind.WHEEL, FileKind.DEPENDENCY, FileKind.MCU}


def test_a_manifest_checked_with_another_key_is_refused(fleet: Fleet) -> None:
    raw, sig = manifest_of(fleet)
    other = ed25519.Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ManifestError, match="not signed by an update key"):
        verify(raw, sig, [other])


def test_a_release_not_offered_to_the_kiosk_is_not_found(fleet: Fleet) -> None:
    for path in (
        "/manifest.json",
        "/manifest.sig",
        "/files/checkpoint_kiosk-1.4.0-py3-none-any.whl",
    ):
        reply = fleet.get("k2", f"/releases/1.4.0{path}")
        assert reply.status_code == 404, path
        assert "not offered to kiosk k2" in reply.json()["message"]


def test_every_file_downloads_whole_with_its_sha256_as_etag(fleet: Fleet) -> None:
    manifest = verify(*manifest_of(fleet), trusted(fleet))
    for entry in manifest.files:
        reply = fleet.get("k1", f"/releases/1.4.0/files/{entry.name}")
        assert reply.status_code == 200
        assert hashlib.sha256(reply.content).hexdigest() == entry.sha256
        assert reply.headers["etag"] == f'"{entry.sha256}"'
        assert reply.headers["accept-ranges"] == "bytes"


def test_a_download_resumes_from_the_middle(fleet: Fleet) -> None:
    manifest = verify(*manifest_of(fleet), trusted(fleet))
    entry = manifest.file(FileKind.MCU)
    assert entry is not None
    url = f"/releases/1.4.0/files/{entry.name}"
    whole = fleet.get("k1", url).content
    middle = entry.size // 2
    rest = fleet.get("k1", url, Range=f"bytes={middle}-", **{"If-Range": f'"{entry.sha256}"'})
    assert rest.status_code == 206
    assert rest.headers["content-range"] == f"bytes {middle}-{entry.size - 1}/{entry.size}"
    assert whole[:middle] + rest.content == whole


@pytest.mark.parametrize("bad", ["bytes=999999999-", "bytes=5-2", "items=0-1", "bytes=x-y"])
def test_a_bad_range_is_refused_with_416_or_400(fleet: Fleet, bad: str) -> None:
    name = "checkpoint_kiosk-1.4.0-py3-none-any.whl"
    reply = fleet.get("k1", f"/releases/1.4.0/files/{name}", Range=bad)
    assert reply.status_code in (400, 416), bad
    if reply.status_code == 416:
        assert reply.headers["content-range"].startswith("bytes */")


@pytest.mark.parametrize(
    "path",
    [
        "/releases/1.4.0/files/..%2Foffice.db",
        "/releases/1.4.0/files/nope.whl",
        "/releases/..%2F..%2Fkeys/manifest.json",
        "/releases/1.4.0/files/%00",
    ],
)
def test_malformed_or_unknown_names_are_4xx(fleet: Fleet, path: str) -> None:
    assert 400 <= fleet.get("k1", path).status_code < 500


def test_without_the_kiosk_credential_nothing_is_served(fleet: Fleet) -> None:
    assert fleet.client.get("/api/v1/release").status_code == 401
    reply = fleet.client.get(
        "/api/v1/releases/1.4.0/manifest.json", headers={"Authorization": "Bearer nope"}
    )
    assert reply.status_code == 401


def test_a_file_altered_in_the_store_is_not_served(tmp_path: Path) -> None:
    found = make_fleet(tmp_path)
    wheel = make_wheel(tmp_path, "1.5.0")
    with found.office.session() as s:
        manifest, _ = add_release(s, found.store, wheel, notes="", now=NOW)
        rollout.start(s, "1.5.0", "k1", NOW)
    entry = manifest.files[0]
    url = f"/releases/1.5.0/files/{entry.name}"
    assert found.get("k1", url).status_code == 200
    blob = found.store.blob(entry.sha256)
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")  # same size, other content
    reply = found.get("k1", url)
    assert reply.status_code == 503
    assert "does not match its SHA-256" in reply.json()["message"]
