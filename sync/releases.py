"""The office's releases, as the kiosk's updater asks for them (kiosk.update.download.Source).

GET {API_PREFIX}/release                       200 {"version": V} or 204: keep what runs
GET {API_PREFIX}/releases/{V}/manifest.json    the signed bytes
GET {API_PREFIX}/releases/{V}/manifest.sig     their Ed25519 signature, raw 64 bytes
GET {API_PREFIX}/releases/{V}/files/{name}     a file; Range gives the rest of it (206)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import requests

from kiosk.update.manifest import MAX_MANIFEST_BYTES, VERSION_RE
from sync.client import CHUNK_BYTES, Client, Transient

__all__ = ["OfficeReleases"]

SIGNATURE_BYTES = 64


@dataclass
class OfficeReleases:
    """Releases from the office ``client`` talks to (its credential and status header)."""

    client: Client

    def offered(self) -> str | None:
        """The version the office wants this kiosk to run; None: keep what runs."""
        body = self.client.get_json("/release")
        if body is None:
            return None
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str) or not VERSION_RE.fullmatch(version):
            raise Transient(f"GET /release: {version!r:.40} is not a release version")
        return version

    def manifest(self, version: str) -> tuple[bytes, bytes]:
        base = f"/releases/{quote(version)}"
        raw = self.client.raw(f"{base}/manifest.json", MAX_MANIFEST_BYTES)
        signature = self.client.raw(f"{base}/manifest.sig", SIGNATURE_BYTES)
        return raw, signature

    def open(self, version: str, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        reply = self.client.stream(f"/releases/{quote(version)}/files/{quote(name)}", headers)
        start = offset if reply.status_code == 206 else 0

        def chunks() -> Iterator[bytes]:
            with reply:
                try:
                    yield from reply.iter_content(CHUNK_BYTES)
                except requests.RequestException as error:
                    raise Transient(f"GET {name}: cut after some bytes: {error}") from None

        return start, chunks()
