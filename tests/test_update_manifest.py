"""The release manifest: signed bytes, strict parsing, one wheel."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.update.manifest import (
    FileKind,
    Manifest,
    ManifestError,
    ReleaseFile,
    describe,
    sign,
    verify,
)

KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
WHEEL = ReleaseFile("checkpoint_kiosk-1.4.0-py3-none-any.whl", FileKind.WHEEL, 10, "ab" * 32)
MANIFEST = Manifest("1.4.0", datetime(2026, 12, 5, 10, tzinfo=UTC), "fix", (WHEEL,))


def test_a_signed_manifest_verifies_and_reads_back() -> None:
    raw, signature = sign(MANIFEST, KEY)
    assert verify(raw, signature, [OTHER.public_key(), KEY.public_key()]) == MANIFEST


def test_another_key_or_one_changed_byte_is_refused() -> None:
    raw, signature = sign(MANIFEST, KEY)
    with pytest.raises(ManifestError, match="not signed"):
        verify(raw, signature, [OTHER.public_key()])
    with pytest.raises(ManifestError, match="not signed"):
        verify(raw.replace(b"1.4.0", b"1.4.1"), signature, [KEY.public_key()])


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ((), "1 to"),
        ((WHEEL, WHEEL), "twice"),
        ((ReleaseFile("dep.whl", FileKind.DEPENDENCY, 1, "cd" * 32),), "exactly one"),
        ((WHEEL, ReleaseFile("../evil", FileKind.MCU, 1, "cd" * 32)), "name"),
        ((ReleaseFile(WHEEL.name, FileKind.WHEEL, 1, "AB" * 32),), "sha256"),
    ],
)
def test_a_malformed_file_list_is_refused_even_when_signed(
    files: tuple[ReleaseFile, ...], problem: str
) -> None:
    raw, signature = sign(Manifest("1.4.0", MANIFEST.created, "", files), KEY)
    with pytest.raises(ManifestError, match=problem):
        verify(raw, signature, [KEY.public_key()])


def test_describe_hashes_the_file(tmp_path: Path) -> None:
    path = tmp_path / WHEEL.name
    path.write_bytes(b"x" * 3_000_000)
    entry = describe(path, FileKind.WHEEL)
    assert (entry.size, entry.sha256[:8]) == (3_000_000, "e55b8bdf")
