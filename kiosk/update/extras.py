"""Which of the kiosk's device extras the running release has: the next installs with the same.

setup.sh installs the kiosk as ``checkpoint-kiosk[pi]`` on a Pi (lgpio, and through ``osdp`` the
gate controller's libosdp and mpremote) and adds ``plates`` at a car gate. A release installed
as the bare wheel would lack them: a kiosk with an OSDP gate controller would lose its door at
the first update. The running release's own metadata says what each extra requires; an extra
counts as in use when every package it requires is installed where the kiosk runs (its venv or,
through ``--system-site-packages``, apt's python3-lgpio).
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable, Iterable

__all__ = ["DEVICE_EXTRAS", "DISTRIBUTION", "extras_in_use"]

DISTRIBUTION = "checkpoint-kiosk"
# What a kiosk may have; never the office's ("server") or the developers' ("dev", "typings").
DEVICE_EXTRAS = ("pi", "osdp", "plates")
_REQUIREMENT = re.compile(
    r"""^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?[^;]*"""
    r"""(?:;\s*extra\s*==\s*["'](?P<extra>[^"']+)["']\s*)?$"""
)


def extras_in_use(
    requires: Iterable[str] | None = None, installed: Callable[[str], bool] | None = None
) -> tuple[str, ...]:
    """The device extras whose requirements are all installed, in DEVICE_EXTRAS' order.

    ``requires`` defaults to the installed kiosk's ``Requires-Dist`` lines and ``installed``
    to whether a distribution of that name is importable here; with no installed kiosk (run
    from a checkout) there is nothing to carry over."""
    if requires is None:
        try:
            requires = importlib.metadata.distribution(DISTRIBUTION).requires or []
        except importlib.metadata.PackageNotFoundError:
            return ()
    needs = _needs_by_extra(requires)
    has = installed or _installed
    return tuple(e for e in DEVICE_EXTRAS if e in needs and _complete(e, needs, has, set()))


def _needs_by_extra(requires: Iterable[str]) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
    """{extra: [(distribution, its extras)]} from ``name[extras] ...; extra == "x"`` lines."""
    needs: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for line in requires:
        found = _REQUIREMENT.match(line)
        if found is None or found["extra"] is None:
            continue
        extras = tuple(e.strip() for e in (found["extras"] or "").split(",") if e.strip())
        needs.setdefault(found["extra"], []).append((found["name"], extras))
    return needs


def _complete(
    extra: str,
    needs: dict[str, list[tuple[str, tuple[str, ...]]]],
    has: Callable[[str], bool],
    seen: set[str],
) -> bool:
    """Every requirement of ``extra`` installed; the kiosk's own extras named in it, in turn."""
    seen.add(extra)
    for name, extras in needs.get(extra, []):
        if _same(name, DISTRIBUTION):
            if any(e in seen or not _complete(e, needs, has, seen) for e in extras):
                return False
        elif not has(name):
            return False
    return True


def _same(a: str, b: str) -> bool:
    return re.sub(r"[-_.]+", "-", a).lower() == re.sub(r"[-_.]+", "-", b).lower()


def _installed(name: str) -> bool:
    try:
        importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
