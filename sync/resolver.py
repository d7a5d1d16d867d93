"""Name lookups that give up: ``getaddrinfo`` in a worker thread, waited for a bounded time.

requests' timeouts cover connecting and reading, not the name lookup before them. With the
name server unreachable, glibc's ``getaddrinfo`` blocks for the resolver's timeout times its
attempts times its servers (/etc/resolv.conf), or for ever behind a stuck NSS module, and the
sync thread with it, past every deadline the client sets. Here the lookup runs in a daemon
thread and the caller waits for it at most ``wait_s``; a lookup still running is shared by the
next caller for the same name, so a hung resolver holds one thread per name, not one per request.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from urllib3.util.connection import allowed_gai_family

__all__ = ["LookupTimedOut", "Resolver"]

# socket.getaddrinfo's signature; None in Resolver means socket.getaddrinfo as it is at call time.
Lookup = Callable[..., list[tuple[Any, ...]]]


class LookupTimedOut(socket.gaierror):
    """The name lookup did not answer in time (the name server is unreachable or slow)."""

    def __init__(self, host: str, wait_s: float) -> None:
        super().__init__(
            f"no answer from the name server for {host} within {wait_s:g} s; check the "
            "kiosk's DNS server (/etc/resolv.conf) or give sync.server_url as an IP address"
        )
        self.host = host


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    addresses: list[str] = field(default_factory=list)
    error: socket.gaierror | None = None


class Resolver:
    """Addresses of a host name, from a lookup in a worker thread waited for at most ``wait_s``."""

    def __init__(self, lookup: Lookup | None = None) -> None:
        self._lookup = lookup
        self._running: dict[tuple[str, int], _Pending] = {}
        self._lock = threading.Lock()

    def resolve(self, host: str, port: int, wait_s: float) -> list[str]:
        """The host's addresses, in the order to try them; LookupTimedOut after ``wait_s``, or
        the lookup's own error (``socket.gaierror``: no such name)."""
        if _is_address(host):
            return [host]
        with self._lock:
            pending = self._running.get((host, port))
            if pending is None:
                pending = self._running[(host, port)] = _Pending()
                worker = threading.Thread(
                    target=self._run, args=(host, port, pending), name="name-lookup", daemon=True
                )
                worker.start()
        if not pending.done.wait(wait_s):
            raise LookupTimedOut(host, wait_s)
        if pending.error is not None:
            raise pending.error
        return pending.addresses

    def _run(self, host: str, port: int, pending: _Pending) -> None:
        lookup = self._lookup or socket.getaddrinfo
        try:
            found = lookup(host, port, allowed_gai_family(), socket.SOCK_STREAM)
            pending.addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
            if not pending.addresses:
                pending.error = socket.gaierror(f"{host}: the name has no address")
        except socket.gaierror as error:
            pending.error = error
        except Exception as error:  # a broken NSS module must not leave the waiters hanging
            pending.error = socket.gaierror(f"{host}: the name lookup failed: {error!r}")
        finally:
            with self._lock:
                del self._running[(host, port)]
            pending.done.set()


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
