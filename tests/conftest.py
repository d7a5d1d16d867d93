"""Test-wide settings: headless SDL, no audio, and no stray network or real hardware."""

import os
import signal
from types import FrameType

import pytest

# pygame must never open a window or a sound device in tests.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# gpiozero picks its pin factory from here when a test forgets to pass one.
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")


# Each test's outcome in each phase, for a module fixture that must know at teardown whether
# every test it served passed (tests/test_rootfs.py stores its cache only then).
OUTCOMES = pytest.StashKey[dict[str, str]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    item.stash.setdefault(OUTCOMES, {})[report.when] = report.outcome
    return report


def pytest_sessionstart(session: pytest.Session) -> None:
    """setup.sh (leaving early) and CI stop a run with SIGTERM: taken as Ctrl-C, pytest still
    tears its fixtures down (chroot mounts unmounted, QEMU stopped) before it exits."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The emulated machine's tests after the root file system proof: its image starts from the
    tree that proof caches (tests/vm_image.py), so on a cache miss setup.sh's first run under
    emulation (tens of minutes) is made once, not twice."""
    items.sort(key=lambda item: item.path.name.startswith("test_emulated"))
