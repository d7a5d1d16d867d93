"""Helpers for the release tests: small wheels made on the spot and an office with kiosks."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from server.app import create_app
from server.local import Office
from server.releases import keys
from server.releases.store import Store

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def make_wheel(
    folder: Path,
    version: str,
    project: str = "checkpoint_kiosk",
    *,
    body: bytes = b"",
    metadata: str | None = None,
) -> Path:
    """A wheel with a METADATA and one module whose text is ``body`` (so contents differ)."""
    path = folder / f"{project}-{version}-py3-none-any.whl"
    text = (
        metadata
        if metadata is not None
        else f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
    )
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{project}-{version}.dist-info/METADATA", text)
        wheel.writestr(f"{project}/module.py", body or f"VERSION = {version!r}\n".encode())
    return path


@dataclass
class Fleet:
    """An office with compounds c1 (k1, k2) and c2 (k3), an update key and a client."""

    office: Office
    store: Store
    client: TestClient
    tokens: dict[str, str]
    folder: Path

    def get(self, kiosk: str, path: str, **headers: str) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.tokens[kiosk]}", **headers}
        return self.client.get(f"/api/v1{path}", headers=auth)


def make_fleet(folder: Path) -> Fleet:
    office = Office.open(folder / "office.db")
    store = Store(folder / "releases")
    with office.session() as s:
        keys.new_key(s, store.root, NOW)
    tokens = {}
    for compound, kiosks in (("c1", ("k1", "k2")), ("c2", ("k3",))):
        office.add_compound(compound)
        for kiosk in kiosks:
            tokens[kiosk] = office.enroll_kiosk(kiosk, compound)
    client = TestClient(create_app(office.sessions, clock=lambda: NOW))
    return Fleet(office, store, client, tokens, folder)
