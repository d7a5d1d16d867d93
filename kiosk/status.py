"""What a kiosk tells the office about itself with every sync request (the ``X-Kiosk-Status``
header, ``sync.protocol.STATUS_HEADER``): the one list of its keys, which the kiosk's writers
and the office's reader both import, and the mapping that holds them on the kiosk.

The mapping refuses a key that is not a ``StatusKey``: a writer cannot send something the
office would silently drop. It lives here rather than in ``sync`` because the updater
(``kiosk.update``) writes to it and ``kiosk`` does not import ``sync``; ``sync.protocol``
re-exports it for the office.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from enum import StrEnum

__all__ = ["KEYS", "KioskStatus", "StatusKey", "UnknownStatusKey"]


class StatusKey(StrEnum):
    """The keys of the status header; the office's gates page shows each (server.gates)."""

    VERSION = "version"  # the running software
    BACKLOG = "backlog"  # events not yet uploaded (sync.agent)
    UPDATE = "update"  # the updater's state: idle, downloading, ... (kiosk.update.updater)
    TARGET = "target"  # the version it fetches, installs or tries
    ERROR = "error"  # why the last update failed, at most 40 ASCII characters
    OS_UPDATES = "os_updates"  # the system's pending updates (sync.osupdates)
    OS_SECURITY = "os_security"  # how many of them are security fixes
    REBOOT_REQUIRED = "reboot_required"  # "yes" or "no"


KEYS = frozenset(StatusKey)


class UnknownStatusKey(KeyError):
    """A key the status header does not have; add it to ``StatusKey`` and to server.gates."""


class KioskStatus(MutableMapping[str, str]):
    """The kiosk's status, shared by the sync client and the updater; ``line()`` is the header."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values: dict[str, str] = {}
        self.update(values or {})

    def __setitem__(self, key: str, value: str) -> None:
        if key not in KEYS:
            raise UnknownStatusKey(
                f"{key!r} is not a status key the office reads; add it to kiosk.status.StatusKey"
            )
        if ";" in value or not value.isprintable():
            raise ValueError(f"status {key}={value!r}: ';' and control characters break the header")
        self._values[StatusKey(key)] = value

    def __getitem__(self, key: str) -> str:
        return self._values[key]  # a StatusKey hashes and compares as its text

    def __delitem__(self, key: str) -> None:
        del self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"KioskStatus({self.line()!r})"

    def line(self) -> str:
        """The header's value: ``version=1.4.0; backlog=3; update=idle; ...``."""
        return "; ".join(f"{key}={value}" for key, value in self._values.items())
