"""What can go wrong with a data file on the kiosk's card, and what the kiosk does about it.

The kiosk starts and keeps its exit working whatever state its files are in (docs/gate-rules.md,
"degraded modes"). ``kiosk.sqlitedb.Database`` uses these helpers: the kind of a failure (for
the guard's alarm), moving a corrupt file aside (kept for recovery, never deleted) and the
file's identity, so that a file deleted or replaced under a running kiosk is noticed.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.atomic import fsync_dir

__all__ = ["HINTS", "Notice", "fault_kind", "free_bytes", "identity", "move_aside"]

# What a person should do about each kind of failure.
HINTS = {
    "full": "the disk (or the log's size limit) is full; free space on the data partition",
    "read_only": "the file or its folder is read-only; check the mount and the file's owner",
    "corrupt": "the file is corrupt; it is moved aside (kept for recovery) and a new one started",
    "busy": "another process holds the database; is a second kiosk process running?",
    "cannot_open": "the file cannot be opened; check that its folder exists and is writable",
    "replaced": "the file was deleted or replaced while the kiosk used it",
    "newer": "upgrade the kiosk software or move the file aside",
    "other": "see the SQLite message",
}
# The companions SQLite keeps beside a database in WAL mode; moved aside with it.
COMPANIONS = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the guard must hear of about a data file: ``kind`` as in ``HINTS`` or
    "moved_aside", "set_aside" (one row), "recovered"; ``value`` what the guard's words show
    (the row's number); ``detail`` the engineer's note for the log (file names)."""

    path: Path
    kind: str
    detail: str
    value: str = ""


def fault_kind(error: sqlite3.Error | OSError, folder: Path | None = None) -> str:
    """The kind of an SQLite or file-system failure (a key of ``HINTS``). ``folder``: where
    the file lives; a full partition there explains an I/O error or a file that cannot be made
    (SQLite says "disk I/O error" when it cannot create the ``-shm`` file of a full disk)."""
    kind = _os_kind(error) if isinstance(error, OSError) else _sqlite_kind(error)
    if kind not in ("other", "cannot_open") or folder is None:
        return kind
    if _read_only(folder):  # SQLite says only "unable to open" or "disk I/O error"
        return "read_only"
    return "full" if _full(folder) else kind


def _sqlite_kind(error: sqlite3.Error) -> str:
    name = getattr(error, "sqlite_errorname", "")
    text = str(error)
    if name == "SQLITE_FULL" or "full" in text:
        return "full"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "read_only"
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a data" in text:
        return "corrupt"
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in text:
        return "busy"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return "cannot_open"
    return "other"


def _os_kind(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read_only"
    return "cannot_open"


def _read_only(folder: Path) -> bool:
    """Whether nothing can be written in ``folder``: mounted read-only, or remounted so by the
    kernel after an error (ext4 errors=remount-ro, which statvfs does not show)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
        with tempfile.TemporaryFile(dir=folder):
            return False
    except OSError as error:
        return error.errno == errno.EROFS


def _full(folder: Path) -> bool:
    return free_bytes(folder) == 0


def free_bytes(folder: Path) -> int | None:
    """Bytes an unprivileged writer may still use in ``folder``'s file system; None: unknown."""
    try:
        found = os.statvfs(folder)
    except OSError:
        return None
    return found.f_bavail * found.f_frsize


def move_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename a damaged database (and its WAL and shared-memory files) to
    ``<name>.corrupt-<UTC time>``; returns the new name. Raises OSError when the folder is not
    writable (then nothing was moved)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    for suffix in COMPANIONS:
        companion = Path(f"{path}{suffix}")
        if companion.exists():
            os.replace(companion, f"{target}{suffix}")
    fsync_dir(path.parent)
    return target


def identity(path: Path) -> tuple[int, int] | None:
    """The file's (device, inode), None when it does not exist."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return (found.st_dev, found.st_ino)
