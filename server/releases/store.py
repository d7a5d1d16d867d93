"""The office's release store: files kept by their SHA-256, manifests signed per release.

    RELEASES/blobs/ab/abcdef…   each file once, named by its SHA-256: a release that changes
                                one module shares every unchanged dependency wheel
    RELEASES/manifests/1.4.0/manifest.json, manifest.sig   the exact bytes kiosks verify
    RELEASES/keys/KID.key       update keys' private halves (server.releases.keys)

RELEASES is --releases, else $KIOSK_SERVER_RELEASES, else ``releases`` beside a SQLite database.
A blob is checked against its name before it is served (once per change of the file), so a file
damaged or altered in the store is never handed out as the release.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kiosk.update.manifest import FileKind, Manifest, ReleaseFile, describe, sign
from server.exc import AlreadyExists, NotFound, ServerConfigError, ServerError
from server.models import ReleaseFileRow, ReleaseRow
from server.releases import keys
from server.releases.wheels import KIOSK_PROJECT, WheelError, read_wheel

RELEASES_ENV = "KIOSK_SERVER_RELEASES"
MAX_NOTES = 4000
MAX_FIRMWARE_BYTES = 16 << 20
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


class StoreDamaged(ServerError):
    """A file in the release store no longer has the content the manifest names."""

    status = 503


def release_folder(engine: Engine, explicit: str | Path | None = None) -> Path:
    """Where the release store is: given, from the environment, or beside a SQLite file."""
    chosen = explicit or os.environ.get(RELEASES_ENV)
    if chosen:
        return Path(chosen)
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "releases"
    raise ServerConfigError(
        f"name the release folder with --releases or ${RELEASES_ENV} (the database is not a "
        "SQLite file beside which it could be)"
    )


@dataclass(frozen=True, slots=True)
class Store:
    root: Path

    def blob(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256

    def manifest_dir(self, version: str) -> Path:
        return self.root / "manifests" / version

    def put(self, source: Path, kind: FileKind) -> tuple[ReleaseFile, bool]:
        """Copy ``source`` in unless a file with its content is there; (entry, copied)."""
        entry = describe(source, kind)
        target = self.blob(entry.sha256)
        if target.is_file() and target.stat().st_size == entry.size:
            return entry, False
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            with source.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(out.name, target)
        if describe(target, kind).sha256 != entry.sha256:  # changed while copied
            target.unlink()
            raise ServerConfigError(f"{source}: changed while it was copied; add the release again")
        return entry, True

    def write_manifest(self, raw: bytes, signature: bytes, version: str) -> None:
        folder = self.manifest_dir(version)
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in ((MANIFEST, raw), (SIGNATURE, signature)):
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(out.name, folder / name)

    def manifest(self, version: str) -> tuple[bytes, bytes]:
        folder = self.manifest_dir(version)
        try:
            return (folder / MANIFEST).read_bytes(), (folder / SIGNATURE).read_bytes()
        except FileNotFoundError:
            raise StoreDamaged(
                f"the manifest of release {version} is missing from {folder}; restore the release "
                "folder from its backup"
            ) from None

    def checked_blob(self, entry: ReleaseFileRow) -> Path:
        """The blob of ``entry``, checked against its SHA-256 (once per change of the file)."""
        path = self.blob(entry.sha256)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise StoreDamaged(f"{path} ({entry.name} of {entry.version}) is missing") from None
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if _checked.get(path) == stamp:
            return path
        if (
            stat.st_size != entry.size
            or describe(path, FileKind(entry.kind)).sha256 != entry.sha256
        ):
            raise StoreDamaged(
                f"{path} ({entry.name} of release {entry.version}) does not match its SHA-256: "
                "the store is damaged or was altered; restore it from the backup"
            )
        with _checked_lock:
            _checked[path] = stamp
        return path


_checked: dict[Path, tuple[int, int, int, int]] = {}
_checked_lock = threading.Lock()


def add_release(
    session: Session,
    store: Store,
    wheel: Path,
    *,
    dependencies: Sequence[Path] = (),
    firmware: Path | None = None,
    notes: str,
    now: datetime,
) -> tuple[Manifest, int]:
    """Record a release: files into the store, a signed manifest; (manifest, bytes copied)."""
    kiosk = read_wheel(wheel)
    if kiosk.project != KIOSK_PROJECT:
        raise WheelError(f"{wheel}: is a wheel of {kiosk.project}, not of {KIOSK_PROJECT}")
    if session.get(ReleaseRow, kiosk.version) is not None:
        raise AlreadyExists(f"release {kiosk.version} exists; build the wheel with a new version")
    if len(notes) > MAX_NOTES:
        raise ServerConfigError(f"--notes: at most {MAX_NOTES} characters")
    kid, private = keys.signing_key(session, store.root)
    sources = [(wheel, FileKind.WHEEL)] + [
        (read_wheel(d).path, FileKind.DEPENDENCY) for d in dependencies
    ]
    with tempfile.TemporaryDirectory() as scratch:
        if firmware is not None:
            sources.append((_firmware_file(firmware, kiosk.version, Path(scratch)), FileKind.MCU))
        entries, copied = [], 0
        for path, kind in sources:
            entry, new = store.put(path, kind)
            entries.append(entry)
            copied += entry.size if new else 0
    manifest = Manifest(kiosk.version, now.astimezone(UTC), notes, tuple(entries))
    raw, signature = sign(manifest, private)
    Manifest.from_bytes(raw)  # the kiosk's own checks: names unique, one wheel
    store.write_manifest(raw, signature, kiosk.version)
    session.add(ReleaseRow(version=kiosk.version, created_at=now, notes=notes, kid=kid))
    session.flush()  # before its files: they refer to it
    for e in entries:
        session.add(
            ReleaseFileRow(
                version=kiosk.version, name=e.name, kind=e.kind.value, size=e.size, sha256=e.sha256
            )
        )
    session.flush()
    return manifest, copied


def _firmware_file(given: Path, version: str, scratch: Path) -> Path:
    """The controller's firmware as one file: a bundle as given, or a folder zipped the same
    way every time (sorted, fixed times), so unchanged firmware is one blob for every release."""
    if given.is_file():
        if given.stat().st_size > MAX_FIRMWARE_BYTES:
            raise ServerConfigError(f"{given}: larger than {MAX_FIRMWARE_BYTES >> 20} MiB")
        return given
    if not given.is_dir():
        raise ServerConfigError(f"--mcu-firmware {given}: no such file or folder")
    bundle = scratch / f"mcu-firmware-{version}.zip"
    files = sorted(p for p in given.rglob("*") if p.is_file())
    if not files:
        raise ServerConfigError(f"--mcu-firmware {given}: the folder holds no files")
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as out:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(given).as_posix(), (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, path.read_bytes())
    if bundle.stat().st_size > MAX_FIRMWARE_BYTES:
        raise ServerConfigError(f"{given}: larger than {MAX_FIRMWARE_BYTES >> 20} MiB zipped")
    return bundle


def resign_all(session: Session, store: Store) -> int:
    """Sign every release's manifest again with today's signing key (after a key is retired,
    so that going back to an older release still verifies at the kiosks)."""
    kid, private = keys.signing_key(session, store.root)
    count = 0
    for row in session.scalars(select(ReleaseRow).where(ReleaseRow.kid != kid)):
        raw, _ = store.manifest(row.version)
        store.write_manifest(raw, private.sign(raw), row.version)
        row.kid, count = kid, count + 1
    return count


def release_file(session: Session, version: str, name: str) -> ReleaseFileRow:
    row = session.get(ReleaseFileRow, (version, name))
    if row is None:
        raise NotFound(f"release {version} has no file {name!r}")
    return row
