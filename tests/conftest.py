"""Test-wide settings: headless SDL, no audio, and no stray network or real hardware."""

import os

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

