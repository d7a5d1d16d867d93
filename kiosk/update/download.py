"""Fetch a release's files into a content-addressed cache: only what is missing, resumable, at a
bounded rate, each file's size and SHA-256 checked before it counts as there.

    CACHE/<sha256>          a file whose bytes hash to its name (any release may use it)
    CACHE/<sha256>.part     a download under way; the next attempt asks for the rest (Range)

A dependency wheel that did not change between releases has the same hash, so it is never
fetched twice. The manifest says each file's size and hash and it was checked against the
update key before (``manifest.verify``), so a file is refused the moment it runs longer than
its size, and when it ends short or hashes otherwise.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kiosk.atomic import fsync_dir
from kiosk.exc import KioskError
from kiosk.update.manifest import Manifest, ReleaseFile

__all__ = ["Cache", "DownloadError", "RateLimit", "Source"]

CHUNK = 64 << 10


class DownloadError(KioskError):
    """A release's file could not be fetched whole and as signed; ``short`` is the status words."""

    def __init__(self, message: str, short: str) -> None:
        super().__init__(message)
        self.short = short


class Source(Protocol):
    """Where releases come from (sync.releases talks to the office)."""

    def offered(self) -> str | None: ...
    def manifest(self, version: str) -> tuple[bytes, bytes]: ...
    def open(self, version: str, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        """The file's bytes from ``offset`` on; the first value is where they really start
        (0 when the server ignored the Range)."""
        ...


@dataclass
class RateLimit:
    """At most ``bytes_per_s`` on average (0: no limit); ``sleep`` and ``clock`` are injected."""

    bytes_per_s: int
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _start: float | None = field(default=None, init=False)
    _spent: int = field(default=0, init=False)

    def restart(self) -> None:
        """A new download: time spent idle before it earns no burst."""
        self._start, self._spent = None, 0

    def spend(self, count: int) -> None:
        if self.bytes_per_s <= 0:
            return
        now = self.clock()
        if self._start is None:
            self._start = now
        self._spent += count
        ahead = self._spent / self.bytes_per_s - (now - self._start)
        if ahead > 0:
            self.sleep(ahead)


@dataclass
class Cache:
    """The content-addressed file cache under ``folder``; ``moved`` counts bytes fetched."""

    folder: Path
    moved: int = 0

    def path(self, file: ReleaseFile) -> Path:
        return self.folder / file.sha256

    def has(self, file: ReleaseFile) -> bool:
        path = self.path(file)
        return path.is_file() and path.stat().st_size == file.size

    def missing(self, manifest: Manifest) -> list[ReleaseFile]:
        return [f for f in manifest.files if not self.has(f)]

    def fetch_all(self, source: Source, manifest: Manifest, limit: RateLimit) -> None:
        for file in self.missing(manifest):
            self.fetch(source, manifest.version, file, limit)

    def fetch(self, source: Source, version: str, file: ReleaseFile, limit: RateLimit) -> Path:
        """Download ``file`` (resuming a .part), check it, and put it in the cache."""
        self.folder.mkdir(parents=True, exist_ok=True)
        part = self.folder / f"{file.sha256}.part"
        have = part.stat().st_size if part.exists() else 0
        if have > file.size:
            part.unlink()
            have = 0
        if have < file.size:
            self._append(source, version, file, part, have, limit)
        self._check(file, part)
        os.replace(part, self.path(file))
        fsync_dir(self.folder)
        return self.path(file)

    def _append(
        self,
        source: Source,
        version: str,
        file: ReleaseFile,
        part: Path,
        have: int,
        limit: RateLimit,
    ) -> None:
        start, chunks = source.open(version, file.name, have)
        limit.restart()
        with part.open("r+b" if part.exists() else "wb") as out:
            out.seek(start)
            out.truncate()
            size = start
            for chunk in chunks:
                size += len(chunk)
                if size > file.size:
                    raise DownloadError(
                        f"{file.name}: the office sent more than the {file.size} bytes the "
                        "signed manifest says; refused",
                        f"{_short(file.name)} too long",
                    )
                out.write(chunk)
                self.moved += len(chunk)
                limit.spend(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if size < file.size:
            raise DownloadError(
                f"{file.name}: truncated, {size} of {file.size} bytes came; the rest is asked "
                "for next time",
                f"{_short(file.name)} truncated",
            )

    def _check(self, file: ReleaseFile, part: Path) -> None:
        digest = hashlib.sha256()
        with part.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        if digest.hexdigest() != file.sha256:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
            raise DownloadError(
                f"{file.name}: SHA-256 {digest.hexdigest()[:12]}… is not the signed "
                f"{file.sha256[:12]}…; refused and deleted",
                f"{_short(file.name)} hash mismatch",
            )


def _short(name: str) -> str:
    """A file name cut to fit the 40-character status field (ASCII: it travels in a header)."""
    return name if len(name) <= 22 else name[:19] + "..."
