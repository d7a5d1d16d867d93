"""setup.sh: lint-clean, honest dry run, idempotent boot config, the unit it installs."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kiosk.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "setup.sh"
PIN_HASH = hashlib.sha256(b"482913").hexdigest()
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="writes root-owned files (run as root)")


def bash(script: str, *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with setup.sh's functions loaded (sourcing runs nothing)."""
    return subprocess.run(
        ["bash", "-c", f"source {SETUP}\nset +E\n{script}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def setup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SETUP), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_scripts_are_shellcheck_clean() -> None:
    result = subprocess.run(
        ["shellcheck", str(SETUP), str(ROOT / "deploy/kiosk-relay-off"), str(ROOT / ".ci/run")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_help_and_bad_options() -> None:
    assert setup("--help").returncode == 0
    bad = setup("--frobnicate")
    assert bad.returncode == 1 and "unknown option '--frobnicate'" in bad.stderr
    assert "--test only goes with --sim" in setup("--test").stderr
    assert "--config needs a value" in setup("--config").stderr


def test_a_laptop_install_ends_naming_the_readmes_commands() -> None:
    """It said 'kiosk sim' (a desktop window, refused headless) and bare pytest (the whole suite
    without the test tools); the README's two commands are kiosk demo and --sim --test."""
    result = setup("--sim", "--dry-run")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert ".venv/bin/kiosk demo" in last and "./setup.sh --sim --test" in last


def test_dry_run_numbers_every_step_and_changes_nothing() -> None:
    paths = map(Path, ("/etc/kiosk", "/opt/kiosk", "/var/log/kiosk-setup.log"))
    before = {p: p.exists() for p in paths}
    result = setup("--dry-run", "--unattended", "--device-id", "gate-1")
    assert result.returncode == 0, result.stderr
    steps = int(result.stdout.split("[1/", 1)[1].split("]", 1)[0])
    assert steps >= 12
    for n in range(1, steps + 1):
        assert f"[{n}/{steps}]" in result.stdout
    assert "DRY RUN" in result.stdout and "would" in result.stdout
    assert "keep the serial console off the gate controller's bus" in result.stdout
    # The self-test checks the gate controller with its key: flashing (which makes both) first.
    flash = result.stdout.index("flash the gate controller")
    assert flash < result.stdout.index("run the non-interactive hardware self-test")
    assert {p: p.exists() for p in before} == before


@pytest.mark.skipif(Path("/etc/kiosk/kiosk.toml").exists(), reason="this machine is a kiosk")
def test_fleet_file_values_win_over_suggestions_and_flags_over_the_file(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[device]\nid = "gate-north-1"\ncompound = "C01"\n')
    from_file = setup("--dry-run", "--unattended", "--config", str(fleet))
    assert "device.id=gate-north-1" in from_file.stdout
    assert "device.compound=C01" in from_file.stdout
    flagged = setup("--dry-run", "--unattended", "--config", str(fleet), "--device-id", "g2")
    assert "device.id=g2" in flagged.stdout
    missing = setup("--dry-run", "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 1 and "nope.toml: no such file" in missing.stderr


def test_failed_step_is_named_in_the_error() -> None:
    result = bash('STEPS=2; trap on_error ERR; step "explode on purpose"; false')
    assert result.returncode == 1
    assert 'step [1/2] "explode on purpose" failed' in result.stderr


def test_unit_is_notify_with_watchdog_and_fails_secure() -> None:
    unit = bash("render_unit 17 True").stdout
    assert "Type=notify" in unit and "WatchdogSec=10" in unit and "Restart=always" in unit
    assert "network-online" not in unit
    assert "Conflicts=getty@tty1.service" in unit and "SDL_VIDEODRIVER=kmsdrm" in unit
    assert "ExecStopPost=+/opt/kiosk/bin/kiosk-relay-off 17 dl" in unit
    start = "ExecStart=/opt/kiosk/app/current/venv/bin/kiosk run --config /etc/kiosk/kiosk.toml"
    assert start in unit
    # The update guard the last good release left settles a switch before each start.
    assert "ExecStartPre=-/usr/bin/python3 /opt/kiosk/app/ab.py --root /opt/kiosk/app" in unit
    assert "ReadWritePaths=/var/lib/kiosk /opt/kiosk/app" in unit
    # Where exits the log refused wait across a restart when the card takes nothing.
    assert "RuntimeDirectory=kiosk" in unit and "RuntimeDirectoryPreserve=yes" in unit
    assert re.search(r"@[A-Z_]+@", unit) is None
    # An active-low relay board is released by driving its line high.
    assert "kiosk-relay-off 4 dh" in bash("render_unit 4 False").stdout


def test_the_kiosk_user_may_open_the_gate_controllers_serial_port() -> None:
    """Serial devices are root:dialout: without the group the kiosk's open() failed with EACCES."""
    unit = bash("render_unit 17 True").stdout
    groups = re.search(r"^SupplementaryGroups=(.*)$", unit, re.M)
    assert groups is not None and "dialout" in groups[1].split()
    # An existing user in the old groups is moved into dialout (run only prints: --dry-run).
    result = bash("""
        DRY_RUN=true; STEPS=1
        getent() { return 0; }
        id() { [[ "$1" == -u ]] && return 0; echo "kiosk gpio i2c video input render"; }
        create_user
    """)
    usermod = [line for line in result.stdout.splitlines() if "usermod --groups" in line]
    assert usermod and "dialout" in usermod[0].split()[-2].split(","), result.stdout


def test_the_kiosk_user_may_speak_prompts() -> None:
    """espeak-ng opens the sound card, root:audio; the kiosk, a system user, has no seat's ACL."""
    unit = bash("render_unit 17 True").stdout
    groups = re.search(r"^SupplementaryGroups=(.*)$", unit, re.M)
    assert groups is not None and "audio" in groups[1].split()


def test_with_the_gate_controller_no_pin_is_driven_when_the_kiosk_stops() -> None:
    """kiosk-relay-off made GPIO17 (the default relay pin) an output at every stop; with the
    relay on the controller GPIO17 is the RS-485 bus's RTS, and the bus was dead until a reboot."""
    unit = bash("render_unit 17 True osdp").stdout
    assert "ExecStopPost" not in unit and "kiosk-relay-off" not in unit
    assert "Type=notify" in unit and "SupplementaryGroups=" in unit
    gpio = bash("render_unit 17 True gpio").stdout
    assert "ExecStopPost=+/opt/kiosk/bin/kiosk-relay-off 17 dl" in gpio


@needs_root
def test_boot_config_is_written_once_and_keeps_other_lines(tmp_path: Path) -> None:
    config_txt = tmp_path / "config.txt"
    config_txt.write_text("dtoverlay=vc4-kms-v3d\n[pi4]\narm_boost=1\n")
    script = f"""
        config_txt_path() {{ echo {config_txt}; }}
        MODULES_CONF={tmp_path}/modules.conf
        WATCHDOG_CONF={tmp_path}/watchdog.conf
        STEPS=1
        configure_boot
        echo "CHANGES=$CHANGED"
    """
    first = bash(script)
    assert "CHANGES=3" in first.stdout, first.stdout + first.stderr
    second = bash(script)
    assert "CHANGES=0" in second.stdout, second.stdout
    config_txt.chmod(0o755)  # what the vfat boot partition shows, whatever install asked for
    assert "CHANGES=0" in bash(script).stdout
    text = config_txt.read_text()
    assert text.startswith("dtoverlay=vc4-kms-v3d\n[pi4]\narm_boost=1\n")
    block = text[text.index("# >>> checkpoint-kiosk") :].splitlines()
    assert block[1] == "[all]"  # our lines must not land under the [pi4] section above
    assert text.count("dtparam=i2c_arm=on,i2c_arm_baudrate=100000") == 1
    assert "camera_auto_detect=1" in text and "dtparam=watchdog=on" in text
    assert "RuntimeWatchdogSec=15" in (tmp_path / "watchdog.conf").read_text()


CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=0c-02 rootfstype=ext4 rootwait\n"


def serial_port_step(boot: Path, port: str, backend: str = "osdp") -> subprocess.CompletedProcess:
    """free_serial_port with the kiosk's config answering ``port``; systemctl kept in a folder."""
    (boot / "venv/bin").mkdir(parents=True, exist_ok=True)
    (boot / "venv/bin/python").touch(mode=0o755)
    (boot / "kiosk.toml").touch()
    (boot / "masked").mkdir(exist_ok=True)
    return bash(f"""
        BOOT_DIR={boot}; VENV={boot}/venv; CONF_FILE={boot}/kiosk.toml; STEPS=1
        conf_value() {{ [[ "$1" == gate.backend ]] && echo {backend} || echo {port}; }}
        systemd_running() {{ return 1; }}
        systemctl() {{
            case "$1" in
                is-enabled) [[ -e {boot}/masked/$2 ]] && echo masked || echo enabled ;;
                mask) touch "{boot}/masked/$2" ;;
            esac
        }}
        free_serial_port
        echo "CHANGES=$CHANGED"
    """)


@pytest.mark.parametrize("port", ["/dev/serial0", "/dev/ttyAMA0", "/dev/ttyS0"])
def test_the_serial_console_leaves_the_pis_uart_once_and_says_so(tmp_path: Path, port: str) -> None:
    """Raspberry Pi OS puts the kernel console and a login prompt on serial0: on the bus."""
    firmware = tmp_path / "firmware"
    firmware.mkdir()
    (firmware / "cmdline.txt").write_text(CMDLINE)
    (firmware / "config.txt").write_text("dtparam=audio=on\n")
    (tmp_path / "cmdline.txt").write_text("See /boot/firmware/cmdline.txt\n")  # bookworm's note
    first = serial_port_step(tmp_path, port)
    assert "CHANGES=6" in first.stdout, first.stdout + first.stderr
    assert f"{port} is the Pi's own UART" in first.stdout
    assert (firmware / "cmdline.txt").read_text() == (
        "console=tty1 root=PARTUUID=0c-02 rootfstype=ext4 rootwait\n"
    )
    config = (firmware / "config.txt").read_text()
    assert config.startswith("dtparam=audio=on\n") and "\n[all]\nenable_uart=1\n" in config
    assert sorted(p.name for p in (tmp_path / "masked").iterdir()) == sorted(
        f"serial-getty@{tty}.service" for tty in ("serial0", "ttyAMA0", "ttyS0", "ttyAMA10")
    )
    assert (tmp_path / "cmdline.txt").read_text() == "See /boot/firmware/cmdline.txt\n"
    second = serial_port_step(tmp_path, port)
    assert "CHANGES=0" in second.stdout, second.stdout
    assert "has no serial console" in second.stdout and "has enable_uart=1" in second.stdout
    assert (firmware / "config.txt").read_text() == config


def test_before_bookworm_the_console_is_taken_off_boot_cmdline_txt(tmp_path: Path) -> None:
    (tmp_path / "cmdline.txt").write_text("console=ttyAMA0,115200 kgdboc=ttyAMA0 console=tty1\n")
    (tmp_path / "config.txt").write_text("")
    result = serial_port_step(tmp_path, "/dev/ttyAMA0")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cmdline.txt").read_text() == "kgdboc=ttyAMA0 console=tty1\n"
    assert "enable_uart=1" in (tmp_path / "config.txt").read_text()


@pytest.mark.parametrize(("port", "backend"), [("/dev/ttyUSB0", "osdp"), ("/dev/serial0", "gpio")])
def test_the_serial_console_stays_when_the_bus_is_elsewhere(
    tmp_path: Path, port: str, backend: str
) -> None:
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware/cmdline.txt").write_text(CMDLINE)
    result = serial_port_step(tmp_path, port, backend)
    assert "CHANGES=0" in result.stdout and "not on the Pi's own UART" in result.stdout
    assert (tmp_path / "firmware/cmdline.txt").read_text() == CMDLINE


@needs_root
def test_the_boot_block_and_the_uart_block_settle_after_one_run(tmp_path: Path) -> None:
    """Two steps write a block each into config.txt: each is rewritten where it stands, since
    moving one to the end, past the other, would change config.txt on every run."""
    (tmp_path / "firmware").mkdir()
    (tmp_path / "firmware/config.txt").write_text("dtparam=audio=on\n")
    (tmp_path / "firmware/cmdline.txt").write_text(CMDLINE)
    serial_port_step(tmp_path, "/dev/serial0")  # the stubs and a first UART block
    script = f"""
        BOOT_DIR={tmp_path}; VENV={tmp_path}/venv; CONF_FILE={tmp_path}/kiosk.toml; STEPS=2
        MODULES_CONF={tmp_path}/modules.conf; WATCHDOG_CONF={tmp_path}/watchdog.conf
        conf_value() {{ [[ "$1" == gate.backend ]] && echo osdp || echo /dev/serial0; }}
        systemctl() {{ echo masked; }}
        configure_boot; free_serial_port
        echo "CHANGES=$CHANGED"
    """
    assert "CHANGES=3" in bash(script).stdout  # the boot block, modules, watchdog
    again = bash(script)
    assert "CHANGES=0" in again.stdout, again.stdout
    text = (tmp_path / "firmware/config.txt").read_text()
    assert text.count("enable_uart=1") == 1 and text.count("dtparam=watchdog=on") == 1


@needs_root
def test_the_controllers_key_made_by_root_is_given_to_the_kiosk_user(tmp_path: Path) -> None:
    """'sudo kiosk mcu flash' left the key root's (mode 600): the kiosk could not read it."""
    key = tmp_path / "gate.key"
    key.write_text("00" * 16 + "\n")
    key.chmod(0o644)
    (tmp_path / "venv/bin").mkdir(parents=True)
    (tmp_path / "venv/bin/python").touch(mode=0o755)
    (tmp_path / "kiosk.toml").touch()
    script = f"""
        KIOSK_USER=daemon; VENV={tmp_path}/venv; CONF_FILE={tmp_path}/kiosk.toml; STEPS=1
        conf_value() {{ [[ "$1" == gate.key_file ]] && echo {key} || echo osdp; }}
        flash_gate_controller
        echo "CHANGES=$CHANGED"
    """
    first = bash(script)
    assert "CHANGES=1" in first.stdout, first.stdout + first.stderr
    stat = key.stat()
    assert (stat.st_uid, stat.st_gid, stat.st_mode & 0o777) == (1, 1, 0o600)  # daemon:daemon
    assert "CHANGES=0" in bash(script).stdout


# What dpkg-query lists on trixie after 'apt-get install libzbar0': apt picked libzbar0t64.
TRIXIE_DPKG = (
    "install ok installed\tlibzbar0t64\tlibzbar0 (= 0.23.93-7)\n"
    "deinstall ok config-files\tlibfoo1\t\n"
    "install ok installed\tlibstdc++6\t\n"
    "install ok installed\tmawk\tawk\n"
)


def with_packages(listing: str, script: str) -> subprocess.CompletedProcess[str]:
    """``script`` with dpkg-query answering ``listing`` and apt-get only printing."""
    return bash(f"""
        dpkg-query() {{ printf '%s' '{listing}'; }}
        apt-get() {{ echo "APT-GET $*"; }}
        STEPS=1
        {script}
    """)


def test_a_package_apt_installed_under_another_name_is_not_installed_again() -> None:
    """libzbar0 is a name libzbar0t64 provides on trixie: every run re-installed it, counted a
    change and restarted the kiosk, so a second run always changed something."""
    result = with_packages(TRIXIE_DPKG, "apt_ensure libzbar0 libstdc++6 awk; echo CHANGES=$CHANGED")
    assert "CHANGES=0" in result.stdout and "APT-GET" not in result.stdout, result.stdout
    missing = with_packages(TRIXIE_DPKG, "apt_ensure libzbar0 libfoo1; echo CHANGES=$CHANGED")
    assert "APT-GET install -y -q --no-install-recommends libfoo1" in missing.stdout
    assert "CHANGES=1" in missing.stdout
    # A name alone on the line, not a prefix of it: libzbar0t64 does not provide libzbar.
    assert with_packages(TRIXIE_DPKG, "pkg_installed libzbar").returncode == 1


def on_a_system_offering(apt: str, script: str, installed: str = "") -> str:
    """``script``'s output where apt can install the words of ``apt``, and dpkg has every package
    of setup.sh's APT_DEVICE list (plus ``installed``)."""
    listing = bash('printf "install ok installed\\t%s\\t\\n" "${APT_DEVICE[@]}"').stdout
    listing += "".join(f"install ok installed\t{name}\t\n" for name in installed.split())
    result = with_packages(
        listing,
        f"""
        apt-cache() {{
            [[ "$1" == policy ]] || return 0
            if [[ " {apt} " == *" $2 "* ]]; then echo "  Candidate: 1.0"
            else echo "  Candidate: (none)"; fi
        }}
        {script}
    """,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


PI_OS = "python3-rpi-lgpio raspi-utils python3-lgpio python3-picamera2 espeak-ng gpiod"


def test_raspberry_pis_own_packages_are_used_where_the_system_has_them() -> None:
    out = on_a_system_offering(PI_OS + " liblgpio-dev", "install_packages")
    assert (
        "APT-GET install -y -q --no-install-recommends "
        "python3-rpi-lgpio raspi-utils python3-lgpio python3-picamera2\n"
    ) in out, out
    assert "WARNING" not in out
    assert "PYPI=0" in on_a_system_offering("", "lgpio_build_env", installed="python3-lgpio")


@pytest.mark.parametrize(
    ("suite", "debian", "fallbacks", "build"),
    [
        ("trixie", "gpiod liblgpio-dev", "gpiod liblgpio-dev", "PYPI=0"),
        ("bookworm", "gpiod", "gpiod", "PYPI=1"),
    ],
)
def test_plain_debian_gets_its_own_packages_in_place_of_the_pis(
    suite: str, debian: str, fallbacks: str, build: str
) -> None:
    """Without Raspberry Pi's repository: libgpiod's tools for kiosk-relay-off, and lgpio built
    against Debian's liblgpio where it has one, else with lgpio's own C sources."""
    out = on_a_system_offering(debian, "install_packages")
    assert f"APT-GET install -y -q --no-install-recommends {fallbacks}\n" in out, out
    assert (
        "raspi-utils is not in this system's apt sources (Raspberry Pi's repository): gpiod" in out
    )
    assert "python3-picamera2 is not in this system's apt sources" in out  # a warning, not fatal
    assert "python3-rpi-lgpio is not in this system's apt sources" in out
    assert build in on_a_system_offering("", "lgpio_build_env", installed=fallbacks), suite


@pytest.mark.parametrize(("pins", "needs_gpiod"), [("libgpiod_pin", True), ("lgpio_pin", False)])
def test_python3_libgpiod_is_installed_where_blinka_imports_gpiod_for_a_pi(
    tmp_path: Path, pins: str, needs_gpiod: bool
) -> None:
    """Blinka 8.23 to 8.55 drive the Pi 5's pins with gpiod, which only apt provides."""
    blinka = tmp_path / "site/adafruit_blinka"
    (blinka / "microcontroller/bcm2712").mkdir(parents=True)
    (blinka / "__init__.py").touch()
    (blinka / "microcontroller/bcm2712/pin.py").write_text(
        f"from adafruit_blinka.microcontroller.generic_linux.{pins} import Pin\n"
    )
    (tmp_path / "venv/bin").mkdir(parents=True)
    (tmp_path / "venv/bin/python").symlink_to(sys.executable)
    out = with_packages(
        "",
        f"""
        VENV={tmp_path}/venv; export PYTHONPATH={tmp_path}/site
        gpiod_for_blinka; echo CHANGES=$CHANGED
    """,
    ).stdout
    installs = "APT-GET install -y -q --no-install-recommends python3-libgpiod" in out
    assert installs == needs_gpiod and f"CHANGES={int(needs_gpiod)}" in out, out


def test_random_pin_is_six_digits() -> None:
    pins = bash("for i in 1 2 3 4 5; do random_pin; echo; done").stdout.split()
    assert len(pins) == 5 and all(len(p) == 6 and p.isdigit() for p in pins)


# --- deploy/devconfig.py ------------------------------------------------------------------------
def devconfig(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "kiosk.toml"
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy/devconfig.py"), *args, "--output", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_devconfig_merges_fleet_file_answers_and_pin(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[device]\ncompound = "C01"\n\n[gpio]\nrelay_active_high = false\n'
        'open_s = 4.0\n\n[trust]\nfiles = ["/etc/kiosk/office.json"]\n'
    )
    result = devconfig(
        tmp_path,
        "--base",
        str(fleet),
        "--set",
        "device.id=gate-3",
        "--set",
        "sync.server_url=https://office.example",
        "--guard-pin-sha256",
        PIN_HASH,
    )
    assert result.returncode == 0, result.stderr
    written = tmp_path / "kiosk.toml"
    data = tomllib.loads(written.read_text())
    assert data["device"] == {"compound": "C01", "id": "gate-3"}
    assert data["gpio"] == {"relay_active_high": False, "open_s": 4.0}
    assert data["ui"]["guard_pin_sha256"] == PIN_HASH
    config = load_config(written)  # what `kiosk config check` does
    assert config.ui.pin_matches("482913") and not config.ui.default_pin


def test_devconfig_refuses_bad_input_clearly(tmp_path: Path) -> None:
    assert (
        "section.key=value"
        in devconfig(tmp_path, "--set", "id=x", "--guard-pin-sha256", PIN_HASH).stderr
    )
    assert "64 lower-case hex" in devconfig(tmp_path, "--guard-pin-sha256", "1234").stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[device\n")
    result = devconfig(tmp_path, "--base", str(broken), "--guard-pin-sha256", PIN_HASH)
    assert result.returncode == 2 and "broken.toml" in result.stderr


PI_WATCHDOG_MAX_S = 15.0  # bcm2835-wdt's longest timeout
HARDWARE_WATCHDOG = re.compile(r"^\s*((?:Runtime|Reboot|KExec)WatchdogSec)=(.+)$", re.MULTILINE)


def systemd_seconds(span: str) -> float:
    """A systemd time span ("15", "15s", "2min", "1min 30s", "500ms") in seconds."""
    units = {"ms": 0.001, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "": 1.0}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", span.strip().strip("'\""))
    assert parts, span
    return sum(float(number) * units[unit] for number, unit in parts)


def test_hardware_watchdog_settings_are_within_the_pis_limit() -> None:
    """Every Runtime/Reboot/KExecWatchdogSec that setup.sh writes or deploy/ ships is <= 15 s."""
    written = bash("watchdog_conf").stdout
    found = dict(HARDWARE_WATCHDOG.findall(written))
    assert {"RuntimeWatchdogSec", "RebootWatchdogSec"} <= set(found), written
    sources = [SETUP, *(p for p in (ROOT / "deploy").iterdir() if p.is_file())]
    for path in sources:
        text = path.read_text(encoding="utf-8", errors="replace").replace("\\n", "\n")
        found |= {f"{path.name}: {k}": v for k, v in HARDWARE_WATCHDOG.findall(text)}
    for name, value in found.items():
        assert systemd_seconds(value) <= PI_WATCHDOG_MAX_S, f"{name}={value}"
    assert systemd_seconds("2min") == 120 and systemd_seconds("1min 30s") == 90


def test_an_existing_install_moves_to_the_a_b_layout_once(tmp_path: Path) -> None:
    """The pre-update single venv becomes a link to the release "current" names; run twice,
    the second run changes nothing; the update guard is beside the links."""
    legacy = tmp_path / "venv"
    (legacy / "bin").mkdir(parents=True)
    (legacy / "bin" / "kiosk").write_text("old")
    setup_venv = tmp_path / "app/releases/setup/venv/bin"
    setup_venv.mkdir(parents=True)
    (setup_venv / "kiosk").write_text("new")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    script = f"""
        KIOSK_USER={user}; PREFIX={tmp_path}; APP_DIR={tmp_path}/app
        SETUP_RELEASE={tmp_path}/app/releases/setup; LEGACY_VENV={legacy}; STEPS=1
        use_setup_release
        echo "CHANGES=$CHANGED"
    """
    first = bash(script)
    assert "CHANGES=1" in first.stdout, first.stdout + first.stderr
    assert os.readlink(tmp_path / "app/current") == "releases/setup"
    assert (legacy / "bin" / "kiosk").read_text() == "new"
    assert os.readlink(legacy) == "app/current/venv"  # relative: it holds in a chroot too
    assert (tmp_path / "app/ab.py").read_bytes() == (ROOT / "kiosk/update/ab.py").read_bytes()
    assert (tmp_path / "app/releases/setup/.installed").is_file()
    assert "CHANGES=0" in bash(script).stdout


@pytest.mark.parametrize(
    ("toml", "extras"),
    [
        (None, "pi"),
        ('[lane]\nkind = "person"\n', "pi"),
        ('[ui]\nkind = "vehicle"\n[lane]\nkind = "person"\n', "pi"),
        ('[lane]\nkind = "vehicle"   # the car gate\n', "pi,plates"),
        ("[device]\nid = 'k1'\n[lane]\n  kind='vehicle'\n", "pi,plates"),
    ],
)
def test_only_a_car_gate_installs_the_plate_reader(
    tmp_path: Path, toml: str | None, extras: str
) -> None:
    """The plate reader's OCR engine (about 100 MB) goes only where [lane] kind = "vehicle"."""
    conf = tmp_path / "kiosk.toml"
    if toml is not None:
        conf.write_text(toml)
    result = bash(f"CONF_FILE={conf}; kiosk_extras")
    assert result.stdout.strip() == extras, result.stderr


def os_updates_step(tmp_path: Path, updates: str) -> subprocess.CompletedProcess[str]:
    """configure_os_updates with [updates] ``updates`` and apt's /etc in ``tmp_path``."""
    (tmp_path / "kiosk.toml").write_text(f"[updates]\n{updates}\n")
    (tmp_path / "venv/bin").mkdir(parents=True, exist_ok=True)
    if not (tmp_path / "venv/bin/python").exists():
        (tmp_path / "venv/bin/python").symlink_to(sys.executable)
    return bash(
        f"""
        CONF_FILE={tmp_path}/kiosk.toml; VENV={tmp_path}/venv; APT_ETC={tmp_path}/apt
        UNATTENDED_CONF={tmp_path}/apt/apt.conf.d/52kiosk; UPGRADE_TIMER_CONF={tmp_path}/timer.conf
        STEPS=1
        configure_os_updates
        echo "CHANGES=$CHANGED"
        """,
        env={"PYTHONPATH": str(ROOT)},
    )


@needs_root
def test_security_updates_install_before_the_reboot_window_and_settle(tmp_path: Path) -> None:
    first = os_updates_step(tmp_path, 'reboot_window = "00:15"\nautomatic_reboot = false')
    assert "CHANGES=2" in first.stdout, first.stdout + first.stderr
    conf = (tmp_path / "apt/apt.conf.d/52kiosk").read_text()
    assert 'Automatic-Reboot "false";' in conf and 'Automatic-Reboot-Time "00:15";' in conf
    assert 'APT::Periodic::Unattended-Upgrade "1";' in conf
    assert "Raspberry Pi" not in conf  # no Raspberry Pi archive among these sources
    assert "OnCalendar=*-*-* 23:15\n" in (tmp_path / "timer.conf").read_text()  # the hour before
    second = os_updates_step(tmp_path, 'reboot_window = "00:15"\nautomatic_reboot = false')
    assert "CHANGES=0" in second.stdout, second.stdout


@needs_root
def test_raspberry_pis_archive_is_an_update_origin_where_the_system_uses_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "apt/sources.list.d").mkdir(parents=True)
    (tmp_path / "apt/sources.list.d/raspi.sources").write_text(
        "Types: deb\nURIs: http://archive.raspberrypi.com/debian/\nSuites: trixie\n"
    )
    result = os_updates_step(tmp_path, "unattended = false")
    assert "CHANGES=2" in result.stdout, result.stdout + result.stderr
    conf = (tmp_path / "apt/apt.conf.d/52kiosk").read_text()
    assert '"origin=Raspberry Pi Foundation,codename=${distro_codename}";' in conf
    assert 'APT::Periodic::Unattended-Upgrade "0";' in conf  # switched off, still written
    assert 'Automatic-Reboot-Time "03:00";' in conf  # the default window


@pytest.mark.skipif(shutil.which("apt-config") is None, reason="apt-config is not installed")
def test_only_the_security_archive_is_left_of_debians_default_origins(tmp_path: Path) -> None:
    """apt reads our file after Debian's 50unattended-upgrades: '#clear' drops its stable
    point-release origin, so only security fixes install by themselves."""
    parts = tmp_path / "apt.conf.d"
    parts.mkdir()
    (tmp_path / "apt.conf").write_text(f'Dir::Etc::Parts "{parts}";\n')
    (parts / "50unattended-upgrades").write_text(
        'Unattended-Upgrade::Origins-Pattern {\n'
        '  "origin=Debian,codename=${distro_codename},label=Debian";\n'
        '  "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";\n};\n'
    )
    (parts / "52kiosk").write_text(bash("unattended_conf 1 03:00 true").stdout)
    dump = subprocess.run(
        ["apt-config", "dump", "Unattended-Upgrade::Origins-Pattern"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "APT_CONFIG": str(tmp_path / "apt.conf")},
    ).stdout  # fmt: skip
    assert re.findall(r':: "([^"]*)"', dump) == [
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security"
    ]
