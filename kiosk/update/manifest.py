"""A release's manifest: what it contains, signed with the office's update key.

The manifest is UTF-8 JSON; its signature is a detached Ed25519 signature over the exact bytes
served (``manifest.json`` and ``manifest.sig``, the raw 64 bytes). The kiosk checks the signature
with the update key it was given at enrollment *before* it parses anything, then every file's
size and SHA-256 before it installs it. The update key is never the pass-signing key.

    {"format": 1, "version": "1.4.0", "created": "2026-12-05T10:00:00Z", "notes": "…",
     "files": [{"name": "checkpoint_kiosk-1.4.0-py3-none-any.whl", "kind": "wheel",
                "size": 812345, "sha256": "…"}, …]}

``kind`` is "wheel" (the kiosk's own wheel, exactly one), "dependency" (a wheel it needs), or
"mcu" (the gate controller's firmware bundle, at most one). Names are plain file names.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ed25519

FORMAT = 1
MAX_MANIFEST_BYTES = 256 * 1024
MAX_FILES = 512
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,199}")
VERSION_RE = re.compile(r"[0-9][A-Za-z0-9.+-]{0,63}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")


class FileKind(StrEnum):
    WHEEL = "wheel"
    DEPENDENCY = "dependency"
    MCU = "mcu"


class ManifestError(ValueError):
    """The manifest is unsigned, signed by another key, or not a manifest this kiosk understands."""


@dataclass(frozen=True, slots=True)
class ReleaseFile:
    name: str
    kind: FileKind
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True, slots=True)
class Manifest:
    version: str
    created: datetime
    notes: str
    files: tuple[ReleaseFile, ...]

    def file(self, kind: FileKind) -> ReleaseFile | None:
        return next((f for f in self.files if f.kind is kind), None)

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "version": self.version,
            "created": self.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "notes": self.notes,
            "files": [f.to_json() for f in self.files],
        }
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        """Parse a manifest whose signature has already been checked (see ``verify``)."""
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ManifestError(f"the manifest is not UTF-8 JSON: {error}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ManifestError(f"the manifest's format is not {FORMAT}")
        version = _matching(doc.get("version"), VERSION_RE, "version")
        try:
            created = datetime.strptime(str(doc.get("created")), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise ManifestError("created is not a UTC time like 2026-12-05T10:00:00Z") from None
        notes = doc.get("notes", "")
        if not isinstance(notes, str):
            raise ManifestError("notes is not text")
        files = doc.get("files")
        if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES:
            raise ManifestError(f"files must list 1 to {MAX_FILES} files")
        parsed = tuple(_file(item, i) for i, item in enumerate(files))
        _check_set(parsed)
        return cls(version, created.replace(tzinfo=UTC), notes, parsed)


def _matching(value: Any, pattern: re.Pattern[str], where: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ManifestError(f"{where} is missing or malformed: {value!r:.80}")
    return value


def _file(item: Any, index: int) -> ReleaseFile:
    where = f"files[{index}]"
    if not isinstance(item, dict):
        raise ManifestError(f"{where} is not an object")
    try:
        kind = FileKind(str(item.get("kind")))
    except ValueError:
        raise ManifestError(f"{where}.kind {item.get('kind')!r:.40} is unknown") from None
    size = item.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ManifestError(f"{where}.size is not a byte count")
    return ReleaseFile(
        _matching(item.get("name"), NAME_RE, f"{where}.name"),
        kind,
        size,
        _matching(item.get("sha256"), SHA256_RE, f"{where}.sha256"),
    )


def _check_set(files: Iterable[ReleaseFile]) -> None:
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise ManifestError("a file name appears twice")
    kinds = [f.kind for f in files]
    if kinds.count(FileKind.WHEEL) != 1:
        raise ManifestError("a release has exactly one kiosk wheel")
    if kinds.count(FileKind.MCU) > 1:
        raise ManifestError("a release has at most one controller firmware bundle")


def sign(manifest: Manifest, key: ed25519.Ed25519PrivateKey) -> tuple[bytes, bytes]:
    """The manifest's bytes and their detached signature."""
    raw = manifest.to_bytes()
    return raw, key.sign(raw)


def verify(raw: bytes, signature: bytes, trusted: Iterable[ed25519.Ed25519PublicKey]) -> Manifest:
    """The manifest, if one of the trusted update keys signed exactly these bytes."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"the manifest is larger than {MAX_MANIFEST_BYTES} bytes")
    for key in trusted:
        try:
            key.verify(signature, raw)
        except InvalidSignature:
            continue
        return Manifest.from_bytes(raw)
    raise ManifestError("the manifest is not signed by an update key this kiosk trusts")


def describe(path: Path, kind: FileKind) -> ReleaseFile:
    """A file's manifest entry, hashed in chunks (a wheel may be tens of megabytes)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return ReleaseFile(path.name, kind, size, digest.hexdigest())
