"""Fleet updates end to end: a real office (uvicorn on loopback, its release store and rollout)
and kiosks on this machine run by a systemd stand-in (the guard, then ``current``, restarted
when they exit). A good release reaches one kiosk, then its compound; a release whose health
check fails rolls back by itself and the office stops its rollout. Another key, a truncated
download and a hash mismatch are refused (the updater in this process, against the same office).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from bench.update_fleet import KioskBox, fake_kiosk_wheel
from kiosk.update.ab import AB, Slots
from kiosk.update.download import Cache, RateLimit
from kiosk.update.install import Installer
from kiosk.update.keys import TrustedKeys, keys_file
from kiosk.update.updater import Updater
from server.app import create_app
from server.local import Office, ServerThread
from server.models import KioskHealth, Rollout
from server.releases import keys, rollout
from server.releases.store import Store, add_release
from sync.client import Client
from sync.releases import OfficeReleases

pytestmark = pytest.mark.slow


@dataclass
class World:
    office: Office
    store: Store
    url: str
    wheels: Path

    def release(self, version: str, **kinds: bool) -> None:
        wheel = fake_kiosk_wheel(self.wheels, version, **kinds)
        with self.office.session() as s:
            add_release(s, self.store, wheel, notes=f"test {version}", now=datetime.now(UTC))

    def roll(self, version: str, first_kiosk: str) -> None:
        with self.office.session() as s:
            rollout.start(s, version, first_kiosk, datetime.now(UTC))

    def advance(self, version: str) -> None:
        with self.office.session() as s:
            rollout.advance(s, version, datetime.now(UTC))

    def resume(self, version: str) -> None:
        with self.office.session() as s:
            rollout.resume(s, version, datetime.now(UTC))

    def rollout_state(self, version: str) -> tuple[str, str]:
        with self.office.session() as s:
            row = s.get(Rollout, version)
            assert row is not None
            return row.state, row.reason

    def reported(self, device_id: str) -> tuple[str, str, str, str]:
        with self.office.session() as s:
            row = s.get(KioskHealth, device_id)
            assert row is not None, f"{device_id} never reported"
            return row.version, row.update_state, row.update_target, row.update_error


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("office")
    office = Office.open(folder / "office.db")
    store = Store(folder / "releases")
    with office.session() as s:
        keys.new_key(s, store.root, datetime.now(UTC))
    for compound in ("c1", "c2"):
        office.add_compound(compound)
    server = ServerThread(create_app(office.sessions)).start()
    wheels = folder / "wheels"
    wheels.mkdir()
    yield World(office, store, server.url, wheels)
    server.stop()


@pytest.fixture(scope="module")
def kiosks(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[KioskBox]]:
    first = fake_kiosk_wheel(world.wheels, "1.0")
    boxes = []
    for device_id in ("k1", "k2"):
        code = world.office.enrollment_code("c1")
        folder = tmp_path_factory.mktemp(device_id)
        boxes.append(KioskBox(folder, device_id, world.url, code, first).start())
    yield boxes
    for box in boxes:
        box.stop()


def test_a_good_release_reaches_one_kiosk_then_its_compound(
    world: World, kiosks: list[KioskBox]
) -> None:
    k1, k2 = kiosks
    world.release("1.1")
    world.roll("1.1", "k1")
    k1.wait_for(
        "1.1 running", lambda s: s == {"phase": "running", "version": "1.1", "previous": "1.0"}
    )
    assert k2.running() == "1.0" and k2.state()["phase"] == "running"
    world.advance("1.1")
    k2.wait_for("1.1 running", lambda s: s.get("version") == "1.1" and s["phase"] == "running")
    assert world.reported("k1")[:2] == ("1.1", "running")
    assert world.rollout_state("1.1")[0] == "running"
    world.advance("1.1")  # to every kiosk: the office starts the next rollout only then


def test_a_release_that_fails_its_health_check_rolls_back_and_stops_the_rollout(
    world: World, kiosks: list[KioskBox]
) -> None:
    k1, k2 = kiosks
    world.release("1.2", broken_network=True)
    world.roll("1.2", "k1")
    k1.wait_for("rolled back", lambda s: s.get("phase") == "rolled_back", timeout=120)
    state = k1.state()
    assert (state["version"], state["failed"]) == ("1.1", "1.2")
    assert state["why"].startswith("sync: no round trip to the office")
    assert k1.running() == "1.1"
    end = datetime.now(UTC).timestamp() + 30
    while world.rollout_state("1.2")[0] != "stopped" and datetime.now(UTC).timestamp() < end:
        k1.wait_for("still rolled back", lambda s: s.get("phase") == "rolled_back", timeout=1)
    assert world.rollout_state("1.2")[0] == "stopped"
    assert world.reported("k1")[1:3] == ("rolled_back", "1.2")
    assert k2.running() == "1.1"  # never offered: the rollout stopped at its first kiosk


@dataclass
class Tamper:
    """The office's releases with one fault in transit (a cut connection, a flipped byte)."""

    inner: OfficeReleases
    fault: str = ""

    def offered(self) -> str | None:
        return self.inner.offered()

    def manifest(self, version: str) -> tuple[bytes, bytes]:
        return self.inner.manifest(version)

    def open(self, version: str, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        start, chunks = self.inner.open(version, name, offset)
        fault, self.fault = self.fault, ""
        return start, self._spoil(chunks, fault)

    @staticmethod
    def _spoil(chunks: Iterator[bytes], fault: str) -> Iterator[bytes]:
        for i, chunk in enumerate(chunks):
            if fault == "cut":
                yield chunk[: len(chunk) // 2]  # then the connection ends
                return
            yield bytes([chunk[0] ^ 1]) + chunk[1:] if fault == "flip" and i == 0 else chunk


@pytest.fixture(scope="module")
def k3_token(world: World) -> str:
    """Kiosk k3 (compound c2), offered release 1.3 alone."""
    token = world.office.enroll_kiosk("k3", "c2")
    world.release("1.3")
    world.roll("1.3", "k3")
    return token


@pytest.fixture
def k3(world: World, k3_token: str, tmp_path: Path) -> Iterator[Updater]:
    """k3's updater in this process, 1.0 installed, the office's update keys trusted."""
    client = Client(world.url, k3_token)
    trusted = TrustedKeys(keys_file(tmp_path))
    with world.office.session() as s:
        trusted.replace(keys.trusted_public_keys(s))
    slots = Slots(tmp_path / "app")
    (slots.folder("1.0") / "venv").mkdir(parents=True)
    slots.mark_whole("1.0")
    slots.point_at("1.0")
    cache = Cache(tmp_path / "cache")
    source = Tamper(OfficeReleases(client))
    ab = AB(slots.root)
    never_quiet = lambda: False  # noqa: E731 (fetched and installed, never switched here)
    yield Updater(
        source,
        trusted,
        cache,
        Installer(slots, cache),
        ab,
        "1.0",
        client.status,
        never_quiet,
        lambda: None,
        RateLimit(0),
    )
    client.close()


def test_a_release_signed_with_another_key_is_refused(k3: Updater) -> None:
    other = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    k3.keys.replace([other])
    k3.step()
    assert (k3.status["update"], k3.status["target"]) == ("failed", "1.3")
    assert k3.status["error"].startswith("manifest: the manifest is not signed")
    assert list(k3.cache.folder.glob("*")) == []  # not one file fetched


def test_a_truncated_download_is_refused_then_resumed(world: World, k3: Updater) -> None:
    k3.source.fault = "cut"  # type: ignore[attr-defined]
    k3.step()
    assert k3.status["update"] == "failed" and k3.status["error"].endswith("truncated")
    part = next(k3.cache.folder.glob("*.part"))
    kept = part.stat().st_size
    assert kept > 0
    k3.step()  # the office hears of it with the next request and stops at its first kiosk
    assert world.rollout_state("1.3")[0] == "stopped" and k3.status["update"] == "idle"
    world.resume("1.3")  # an admin who read why goes on
    k3.step()  # the rest, asked for with Range
    assert k3.status["update"] == "ready", k3.status
    assert k3.cache.moved == _size(k3) and kept < _size(k3)


def test_a_file_that_does_not_hash_as_signed_is_refused(k3: Updater) -> None:
    k3.source.fault = "flip"  # type: ignore[attr-defined]
    k3.step()
    assert k3.status["update"] == "failed" and k3.status["error"].endswith("hash mismatch")
    assert list(k3.cache.folder.glob("*")) == []
    assert not k3.ab.slots.is_whole("1.3")


def _size(k3: Updater) -> int:
    wheel = next(Path(p) for p in k3.cache.folder.glob("*") if not p.name.endswith(".part"))
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == wheel.name
    return wheel.stat().st_size
