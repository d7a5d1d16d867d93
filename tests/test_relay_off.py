"""deploy/kiosk-relay-off drives the relay's pin off with whichever GPIO tool the system has.

The tools are fakes on PATH that record how they were called; the listing is what libgpiod's
gpioinfo prints on a Pi 5 with an older kernel, where the header's lines are on gpiochip4.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "deploy/kiosk-relay-off"
GPIOINFO = """\
gpiochip0 - 32 lines:
\tline   0:\t"-"             \tinput
\tline   1:\t"GPIO1_LED"     \toutput
gpiochip4 - 54 lines:
\tline   1:\t"GPIO1"         \tinput
\tline  17:\t"GPIO17"        \tinput
\tline  27:\t"GPIO27"        \tinput
"""


def tools(bin_dir: Path, **scripts: str) -> None:
    """Fake tools named by the keywords (``gpioinfo``, ...): each logs its arguments, then runs
    the given shell lines."""
    bin_dir.mkdir(exist_ok=True)
    for real in ("awk", "cat"):  # what the script and the fakes use; nothing else is on PATH
        found = shutil.which(real)
        assert found is not None
        (bin_dir / real).symlink_to(found)
    for name, body in scripts.items():
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{bin_dir}/calls"\n{body}\n')
        tool.chmod(0o755)


def relay_off(bin_dir: Path, pin: str, level: str) -> tuple[subprocess.CompletedProcess, str]:
    result = subprocess.run(
        ["/bin/sh", str(SCRIPT), pin, level],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(bin_dir)},
    )
    calls = bin_dir / "calls"
    return result, calls.read_text() if calls.exists() else ""


def test_pinctrl_sets_the_pin_when_the_system_has_it(tmp_path: Path) -> None:
    tools(tmp_path, pinctrl="", gpioinfo=f"cat <<'END'\n{GPIOINFO}END", gpioset="")
    result, calls = relay_off(tmp_path, "17", "dh")
    assert result.returncode == 0, result.stderr
    assert calls == "pinctrl set 17 op dh\n"


def test_libgpiod_v2_without_gpiofind_finds_the_line_by_name_and_exits(tmp_path: Path) -> None:
    """trixie's libgpiod v2 has no gpiofind: the fallback gave up and left the relay floating."""
    tools(tmp_path, gpioinfo=f"cat <<'END'\n{GPIOINFO}END", gpioset="")
    result, calls = relay_off(tmp_path, "17", "dh")
    assert result.returncode == 0, result.stderr
    # -t0: v2's gpioset would otherwise hold the line, and the restarted kiosk could not.
    assert calls.splitlines() == ["gpioinfo ", "gpioset --chip gpiochip4 -t0 17=1"]
    _, calls = relay_off(tmp_path, "1", "dl")  # GPIO1, not GPIO1_LED on another chip
    assert calls.splitlines()[-1] == "gpioset --chip gpiochip4 -t0 1=0"


def test_libgpiod_v1_finds_the_line_with_gpiofind(tmp_path: Path) -> None:
    tools(tmp_path, gpiofind="echo gpiochip4 17", gpioset="", gpioinfo="exit 1")
    result, calls = relay_off(tmp_path, "17", "dl")
    assert result.returncode == 0, result.stderr
    assert calls.splitlines() == ["gpiofind GPIO17", "gpioset gpiochip4 17=0"]


@pytest.mark.parametrize("listing", ["", "gpiochip0 - 1 lines:\n\tline 0:\t\"GPIO5\"\tinput\n"])
def test_without_a_tool_or_a_line_of_that_name_it_says_what_to_install(
    tmp_path: Path, listing: str
) -> None:
    tools(tmp_path, **({"gpioinfo": f"printf '{listing}'", "gpioset": ""} if listing else {}))
    result, calls = relay_off(tmp_path, "17", "dh")
    assert result.returncode == 1 and "gpioset" not in calls
    assert "raspi-utils" in result.stderr and "package gpiod" in result.stderr
    assert "relay pin 17 left to its pull resistor" in result.stderr


def test_a_level_other_than_dl_or_dh_is_refused(tmp_path: Path) -> None:
    tools(tmp_path, pinctrl="")
    result, calls = relay_off(tmp_path, "17", "high")
    assert result.returncode == 2 and "level must be dl or dh" in result.stderr and not calls
