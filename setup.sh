#!/usr/bin/env bash
# setup.sh: install the checkpoint kiosk.
#
#   On the kiosk (Raspberry Pi OS trixie or bookworm, as root; also in a root file system's chroot):
#     sudo ./setup.sh                                   # asks for device id, compound, server
#     sudo ./setup.sh --unattended --config fleet.toml [--enroll-code CODE]
#     sudo ./setup.sh --dry-run                         # print every action, change nothing
#   On a laptop or in CI:
#     ./setup.sh --sim                                  # ./.venv with the dev extras
#     ./setup.sh --sim --test                           # ... and run ruff, mypy and pytest
#
# Device mode is idempotent: each step checks before it acts and reports "ok (unchanged)" or
# "changed"; a second run with the same input changes nothing and says so at the end.
set -Eeuo pipefail

######## VARIABLES ########
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KIOSK_USER="kiosk"
# dialout: the gate controller's serial port (/dev/ttyAMA0, /dev/ttyUSB0, ...) is root:dialout.
# audio: espeak-ng's spoken prompts ([ui] speech) open the ALSA device, root:audio; a system
# user has no login seat, so no logind ACL gives it the sound card instead.
KIOSK_GROUPS=(gpio i2c video input render dialout audio)
PREFIX="/opt/kiosk"
# Fleet updates (docs/updates.md): releases side by side under APP_DIR, owned by the kiosk user,
# and the link "current" naming the one systemd starts. setup.sh installs the checkout as the
# release "setup"; the old single venv, ${PREFIX}/venv, becomes a link to the current one.
APP_DIR="${PREFIX}/app"
SETUP_RELEASE="${APP_DIR}/releases/setup"
VENV="${SETUP_RELEASE}/venv"
LEGACY_VENV="${PREFIX}/venv"
CONF_DIR="/etc/kiosk"
CONF_FILE="${CONF_DIR}/kiosk.toml"
CREDENTIAL_FILE="${CONF_DIR}/credential"
DATA_DIR="/var/lib/kiosk"
LOG_FILE="/var/log/kiosk-setup.log"
UNIT_NAME="kiosk.service"
UNIT_FILE="/etc/systemd/system/${UNIT_NAME}"
WATCHDOG_CONF="/etc/systemd/system.conf.d/kiosk-watchdog.conf"
ENROLL_LIMIT_S=400 # kiosk enroll gives up after 3 x sync.timeout_s (at most 360 s)
MODULES_CONF="/etc/modules-load.d/kiosk.conf"
APT_ETC="/etc/apt"
UNATTENDED_CONF="${APT_ETC}/apt.conf.d/52kiosk-unattended-upgrades"
UPGRADE_TIMER_CONF="/etc/systemd/system/apt-daily-upgrade.timer.d/kiosk.conf"
STAMP_FILE="${SETUP_RELEASE}/installed.sha256"
BLOCK_BEGIN="# >>> checkpoint-kiosk (setup.sh) >>>"
BLOCK_END="# <<< checkpoint-kiosk <<<"
UART_BLOCK_BEGIN="# >>> checkpoint-kiosk: gate controller on the UART (setup.sh) >>>"
UART_BLOCK_END="# <<< checkpoint-kiosk: gate controller on the UART <<<"
BOOT_DIR="/boot"
# The Pi's own UARTs (serial0 is a link to one of them; ttyAMA10 is the Pi 5's debug header):
# Raspberry Pi OS puts the kernel console and a login prompt on them.
PI_UARTS="serial0|ttyAMA0|ttyS0|ttyAMA10"
SERIAL_GETTYS=(serial-getty@serial0.service serial-getty@ttyAMA0.service
    serial-getty@ttyS0.service serial-getty@ttyAMA10.service)

# Runtime packages of the kiosk, named as bookworm and trixie both know them (pkg_installed also
# finds a name that another package provides: libzbar0 is libzbar0t64's on trixie). Build tools
# are needed because lgpio (the `pi` extra) has no aarch64 wheel on PyPI for every Python (none
# for 3.13, trixie's): pip builds it from its sdist when Raspberry Pi OS's python3-lgpio is
# absent (see lgpio_build_env). SDL in pygame-ce's wheel draws through KMS/DRM and loads Mesa's
# GBM, EGL, GLES and DRI drivers at run time: without them the screen stays black.
APT_DEVICE=(python3 python3-venv python3-dev build-essential swig libzbar0 fonts-wqy-microhei
    i2c-tools ca-certificates libgbm1 libegl1 libgles2 libgl1-mesa-dri python3-gpiozero)
APT_DEVICE+=(espeak-ng alsa-utils)  # spoken verdicts: rendered to WAV once, played by aplay
# The vehicle lane's plate reader (the plates extra): rapidocr needs opencv-python, whose wheel
# links libGL and GLib (trixie: libglib2.0-0t64, which provides the name).
APT_PLATES=(libgl1 libglib2.0-0)
APT_DEVICE+=("${APT_PLATES[@]}")
APT_DEVICE+=(unattended-upgrades)  # the OS's security fixes at night ([updates])
# From Raspberry Pi's own apt repository: its gpiozero (patched for the Pi 5's GPIO chip; the
# one on PyPI hardcodes gpiochip4), lgpio and its RPi.GPIO shim, pinctrl (raspi-utils) and the
# camera stack. Installed whenever apt knows them; missing on a Pi, they are a warning.
APT_PI=(python3-rpi-lgpio raspi-utils python3-lgpio python3-picamera2)
# What Debian has in their place, installed only when the Pi's package is not to be had:
# libgpiod's tools (gpioinfo, gpioset) for kiosk-relay-off, liblgpio to build lgpio against.
declare -A PI_FALLBACK=([raspi-utils]=gpiod [python3-lgpio]=liblgpio-dev)
APT_OPTIONAL=()  # installed when apt knows them
APT_SIM=(python3 python3-venv libzbar0 fonts-wqy-microhei "${APT_PLATES[@]}")
APT_TEST=(postgresql shellcheck qemu-user-static binfmt-support)
# tests/rootfs_build.py builds arm64 root file systems (tests/test_rootfs.py) with mmdebstrap.
APT_TEST+=(mmdebstrap arch-test)
APT_TEST+=(strace)  # tests/test_store_durability.py watches the event log flush to disk
APT_TEST+=(espeak-ng)  # tests/test_ui_speech.py renders the spoken verdicts with the real voice
# tests/test_gate_rs485.py compiles against the kernel's struct serial_rs485 to check our layout.
APT_TEST+=(gcc libc6-dev linux-libc-dev)
APT_TEST+=(e2fsprogs mount)  # tests/test_log_disk_faults.py loop-mounts a small ext4 "card"
# tests/test_emulated_boot.py boots the kiosk image on an emulated arm64 machine (-M virt).
APT_TEST+=(qemu-system-arm)
# The office web app is tested in a real browser: Debian's Chromium, driven by Playwright.
APT_TEST+=(chromium)

######## OPTIONS ########
MODE="device"
RUN_TESTS=false
DRY_RUN=false
UNATTENDED=false
SELFTEST=true
USER_CONFIG=""
WHEEL=""
DEVICE_ID=""
COMPOUND=""
SERVER_URL=""
CA_FILE=""
ENROLL_CODE="${KIOSK_ENROLL_CODE:-}"
PIN_FILE=""
FLASH_MCU=false

usage() {
    cat <<'EOF'
Usage: setup.sh [options]

Device mode (default, as root on the kiosk or inside a chroot):
  --unattended           never prompt (fleets, CI); values come from --config and flags
  --config FILE          kiosk TOML to install as /etc/kiosk/kiosk.toml (checked first)
  --device-id ID         [device] id           --compound NAME   [device] compound
  --server URL           [sync] server_url     --ca-file FILE    [sync] ca_file
  --enroll-code CODE     enroll with the office server (or env KIOSK_ENROLL_CODE)
  --wheel FILE           install this wheel instead of the checkout
  --pin-file FILE        also write the new guard PIN to FILE (mode 600) for fleet tooling
  --skip-selftest        do not run the hardware self-test at the end
  --flash-mcu            flash the gate controller (a Pico on USB, [gate] backend "osdp")
  --dry-run              print every action without doing it
Laptop / CI mode:
  --sim                  install into ./.venv with the dev extras (no root needed)
  --sim --test           also install the test packages and run ruff, mypy and pytest
  -h, --help             this text
EOF
}

need_value() {
    [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value (see --help)"
}

parse_args() {
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --sim) MODE="sim" ;;
            --test) RUN_TESTS=true ;;
            --dry-run) DRY_RUN=true ;;
            --unattended) UNATTENDED=true ;;
            --skip-selftest) SELFTEST=false ;;
            --flash-mcu) FLASH_MCU=true ;;
            --config) need_value "$@"; USER_CONFIG="$2"; shift ;;
            --wheel) need_value "$@"; WHEEL="$2"; shift ;;
            --device-id) need_value "$@"; DEVICE_ID="$2"; shift ;;
            --compound) need_value "$@"; COMPOUND="$2"; shift ;;
            --server) need_value "$@"; SERVER_URL="$2"; shift ;;
            --ca-file) need_value "$@"; CA_FILE="$2"; shift ;;
            --enroll-code) need_value "$@"; ENROLL_CODE="$2"; shift ;;
            --pin-file) need_value "$@"; PIN_FILE="$2"; shift ;;
            -h | --help) usage; exit 0 ;;
            *) die "unknown option '$1' (see --help)" ;;
        esac
        shift
    done
    if [[ "$RUN_TESTS" == true && "$MODE" != sim ]]; then
        die "--test only goes with --sim"
    fi
    if [[ -n "$USER_CONFIG" && ! -r "$USER_CONFIG" ]]; then
        die "--config $USER_CONFIG: no such file, or not readable"
    fi
}

######## OUTPUT ########
STEP=0
STEPS=0
STEP_NAME="start-up"
CHANGED=0

say() { printf '%s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

step() {
    STEP=$((STEP + 1))
    STEP_NAME="$1"
    say ""
    say "[${STEP}/${STEPS}] ${STEP_NAME}   (${SECONDS}s)"
}

unchanged() { say "  ok (unchanged): $*"; }

changed() {
    CHANGED=$((CHANGED + 1))
    if [[ "$DRY_RUN" == true ]]; then
        say "  would change: $*"
    else
        say "  changed: $*"
    fi
}

on_error() {
    local status=$?
    # A failing command substitution reports here too; only the main shell tells the person.
    [[ "$BASHPID" == "$$" ]] || exit "$status"
    printf '\nERROR: step [%s/%s] "%s" failed (exit %s) at line %s: %s\n' \
        "$STEP" "$STEPS" "$STEP_NAME" "$status" "${BASH_LINENO[0]}" "$BASH_COMMAND" >&2
    if [[ "$MODE" == device && "$DRY_RUN" == false ]]; then
        printf 'The full log is in %s. Fix the cause and run setup.sh again: ' "$LOG_FILE" >&2
        printf 'finished steps are skipped.\n' >&2
    fi
    exit "$status"
}

# Run a command, or only print it with --dry-run.
run() {
    if [[ "$DRY_RUN" == true ]]; then
        say "  would run: $*"
        return 0
    fi
    say "  + $*"
    "$@"
}

# Put the text on stdin into FILE (mode, owner) unless FILE already holds exactly that text.
# Mode "vfat": a file on the boot partition, which has no owners and shows every file as 0755
# whatever install asked for, so only the content is compared and written.
# Returns 0 when the file changed (or would change), 1 when it was already right.
put_file() {
    local file="$1" mode="$2" owner="$3" tmp
    tmp="$(mktemp)"
    cat >"$tmp"
    if [[ -f "$file" ]] && cmp -s "$tmp" "$file" && { [[ "$mode" == vfat ]] ||
        [[ "$(stat -c '%a %U:%G' "$file")" == "${mode} ${owner}" ]]; }; then
        rm -f "$tmp"
        return 1
    fi
    if [[ "$DRY_RUN" == true ]]; then
        say "  would write: $file"
        rm -f "$tmp"
        return 0
    fi
    mkdir -p "$(dirname "$file")"
    if [[ "$mode" == vfat ]]; then
        cp "$tmp" "$file"
    else
        install -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$tmp" "$file"
    fi
    rm -f "$tmp"
    return 0
}

######## CHECKS ########
in_chroot() {
    local status=0
    if command -v systemd-detect-virt >/dev/null 2>&1; then
        systemd-detect-virt --quiet --chroot 2>/dev/null || status=$?
        case "$status" in
            0) return 0 ;;
            1) return 1 ;;
        esac
    fi
    # No answer (no systemd-detect-virt, or not allowed to look): compare / with PID 1's /.
    local ours theirs
    ours="$(stat -c %d:%i / 2>/dev/null)" || return 1
    theirs="$(stat -Lc %d:%i /proc/1/root/. 2>/dev/null)" || return 1
    [[ "$ours" != "$theirs" ]]
}

systemd_running() { [[ -d /run/systemd/system ]] && ! in_chroot; }

is_pi() { [[ -r /proc/device-tree/model ]] && grep -qa "Raspberry Pi" /proc/device-tree/model; }

# Installed under its own name or through a package that provides it. On trixie libzbar0 is
# only a name that libzbar0t64 provides (the 64-bit time_t rename): asked for by that name
# alone, dpkg never had it, and every run installed it again and restarted the kiosk.
pkg_installed() {
    dpkg-query -W -f='${Status}\t${Package}\t${Provides}\n' 2>/dev/null |
        awk -F'\t' -v want="$1" '$1 == "install ok installed" {
            if ($2 == want) found = 1
            n = split($3, provided, /, */)  # "libzbar0 (= 0.23.93-4), ..."
            for (i = 1; i <= n; i++) if (split(provided[i], word, " ") && word[1] == want) found = 1
        }
        END { exit !found }'
}

# apt can install it: a package of that name, or one that provides the name.
pkg_available() {
    local candidate
    candidate="$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p')"
    [[ -n "$candidate" && "$candidate" != "(none)" ]] && return 0
    apt-cache showpkg "$1" 2>/dev/null | sed -n '/^Reverse Provides:/,$p' | sed 1d | grep -q .
}

as_root() {
    if [[ $EUID -eq 0 ]]; then
        run "$@"
    else
        run sudo -n "$@"
    fi
}

# Install the missing packages among "$@" (apt-get update only when something is missing).
apt_ensure() {
    local missing=() pkg
    for pkg in "$@"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        unchanged "apt packages present: $*"
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
    changed "installed ${missing[*]}"
}

can_apt() {
    command -v apt-get >/dev/null 2>&1 || return 1
    [[ $EUID -eq 0 ]] && return 0
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

######## DEVICE STEPS ########
check_system() {
    step "check the system"
    local codename="unknown" arch
    if [[ -r /etc/os-release ]]; then
        # shellcheck disable=SC1091
        codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")"
    fi
    arch="$(uname -m)"
    case "$codename" in
        trixie | bookworm) ;;
        *) warn "made for Raspberry Pi OS (or Debian) trixie and bookworm, this is $codename" ;;
    esac
    case "$arch" in
        aarch64 | armv7l) say "  architecture: $arch" ;;
        *) warn "architecture $arch is not a Raspberry Pi's (aarch64/armv7l); continuing" ;;
    esac
    if is_pi; then
        say "  board: $(tr -d '\0' </proc/device-tree/model)"
    else
        warn "not a Raspberry Pi (no /proc/device-tree/model): a test root file system?" \
            "Hardware steps write their files; the self-test runs against simulated hardware."
    fi
    if in_chroot; then
        say "  inside a chroot: services are enabled, never started"
    fi
    unchanged "system checked ($codename, $arch)"
}

install_packages() {
    step "install apt packages"
    apt_ensure "${APT_DEVICE[@]}"
    local pkg fallback available=()
    for pkg in "${APT_PI[@]}" "${APT_OPTIONAL[@]}"; do
        if pkg_installed "$pkg" || pkg_available "$pkg"; then
            available+=("$pkg")
            continue
        fi
        fallback="${PI_FALLBACK[$pkg]:-}"
        if [[ -n "$fallback" ]] && { pkg_installed "$fallback" || pkg_available "$fallback"; }; then
            say "  $pkg is not in this system's apt sources (Raspberry Pi's repository): $fallback"
            available+=("$fallback")
            continue
        fi
        case "$pkg" in
            python3-picamera2) warn "python3-picamera2 is not in this system's apt sources" \
                "(it comes from Raspberry Pi's repository): the Pi camera back end will not work" ;;
            python3-lgpio) say "  python3-lgpio and liblgpio-dev not in apt: pip builds lgpio" \
                "with its own C sources" ;;
            python3-rpi-lgpio | raspi-utils) warn "$pkg is not in this system's apt sources" \
                "(Raspberry Pi's repository): on a Pi 5 GPIO and kiosk-relay-off need it" ;;
            *) say "  optional $pkg not in apt: skipped" ;;
        esac
    done
    if [[ ${#available[@]} -gt 0 ]]; then
        apt_ensure "${available[@]}"
    fi
}

# How pip gets lgpio: Raspberry Pi OS's python3-lgpio is already in the venv's view (system site
# packages), liblgpio-dev is linked against where apt has it (Debian's trixie and bookworm do
# not, nor does PyPI have a 3.13 aarch64 wheel), and without either lgpio's sdist
# compiles its own copy of the library in (PYPI=1, static).
lgpio_build_env() {
    if pkg_installed python3-lgpio || pkg_installed liblgpio-dev; then
        echo PYPI=0
    else
        echo PYPI=1
    fi
}

config_txt_path() {
    if [[ -f "$BOOT_DIR/firmware/config.txt" ]]; then
        echo "$BOOT_DIR/firmware/config.txt"
    elif [[ -f "$BOOT_DIR/config.txt" ]]; then
        echo "$BOOT_DIR/config.txt"  # before bookworm
    else
        echo "$BOOT_DIR/firmware/config.txt"  # a fresh root file system: written for first boot
    fi
}

# The kernel's command line; nothing when there is none (a root file system without its boot
# partition). Since bookworm /boot/cmdline.txt is only a note saying where the real one went.
cmdline_txt_path() {
    if [[ -f "$BOOT_DIR/firmware/cmdline.txt" ]]; then
        echo "$BOOT_DIR/firmware/cmdline.txt"
    elif [[ -f "$BOOT_DIR/cmdline.txt" ]]; then
        echo "$BOOT_DIR/cmdline.txt"  # before bookworm
    fi
}

# FILE with the marked block BEGIN..END replaced by stdin where it stands (appended when there is
# none), so two blocks in one file keep their places and a second run writes the same bytes.
with_block() {
    local file="$1" begin="$2" end="$3"
    [[ -f "$file" ]] || file=/dev/null
    BLOCK="$(cat)" BEGIN="$begin" END="$end" awk '
        $0 == ENVIRON["BEGIN"] { skipping = 1; if (!done) print ENVIRON["BLOCK"]; done = 1; next }
        skipping { if ($0 == ENVIRON["END"]) skipping = 0; next }
        { print }
        END { if (!done) print ENVIRON["BLOCK"] }' "$file"
}

config_txt_block() {
    # [all] first: appended after a [pi4] or [cm5] section, our lines would apply to that board only.
    cat <<EOF
${BLOCK_BEGIN}
[all]
# I2C for the MLX90614 at 100 kHz (it misbehaves at 400 kHz), camera, hardware watchdog.
dtparam=i2c_arm=on,i2c_arm_baudrate=100000
camera_auto_detect=1
dtparam=watchdog=on
${BLOCK_END}
EOF
}

configure_boot() {
    step "enable I2C (100 kHz), the camera and the hardware watchdog"
    local file new
    file="$(config_txt_path)"
    if command -v raspi-config >/dev/null 2>&1 && [[ "$(raspi-config nonint get_i2c)" != 0 ]]; then
        run raspi-config nonint do_i2c 0  # also unblacklists i2c-dev
        changed "raspi-config enabled I2C"
    fi
    # Our lines live in one marked block: replace the block, keep everything else.
    new="$(mktemp)"
    config_txt_block | with_block "$file" "$BLOCK_BEGIN" "$BLOCK_END" >"$new"
    if put_file "$file" vfat root:root <"$new"; then
        changed "$file (reboot to apply)"
    else
        unchanged "$file"
    fi
    rm -f "$new"
    if printf 'i2c-dev\n' | put_file "$MODULES_CONF" 644 root:root; then
        changed "$MODULES_CONF loads i2c-dev"
    else
        unchanged "$MODULES_CONF"
    fi
    if watchdog_conf | put_file "$WATCHDOG_CONF" 644 root:root; then
        changed "$WATCHDOG_CONF (RuntimeWatchdogSec=15, RebootWatchdogSec=15)"
    else
        unchanged "$WATCHDOG_CONF"
    fi
}

# The gate controller's port when it is one of the Pi's own UARTs (also behind a link such as
# /dev/serial0), else nothing.
gate_on_pi_uart() {
    [[ -f "$CONF_FILE" && -x "${VENV}/bin/python" ]] || return 0
    [[ "$(conf_value gate.backend)" == osdp ]] || return 0
    local port name target
    port="$(conf_value gate.serial_port)"
    name="${port##*/}"
    target="$(readlink -f "$port" 2>/dev/null || true)"
    if [[ "$name" =~ ^($PI_UARTS)$ || "${target##*/}" =~ ^($PI_UARTS)$ ]]; then
        echo "$port"
    fi
}

free_serial_port() {
    step "keep the serial console off the gate controller's bus"
    local port
    port="$(gate_on_pi_uart)"
    if [[ -z "$port" ]]; then
        unchanged "the gate controller is not on the Pi's own UART: serial console left as it is"
        return 0
    fi
    say "  $port is the Pi's own UART: kernel messages and a login prompt there would" \
        "go onto the bus"
    drop_serial_console
    local new file
    file="$(config_txt_path)"
    new="$(mktemp)"
    printf '%s\n[all]\nenable_uart=1\n%s\n' "$UART_BLOCK_BEGIN" "$UART_BLOCK_END" |
        with_block "$file" "$UART_BLOCK_BEGIN" "$UART_BLOCK_END" >"$new"
    if put_file "$file" vfat root:root <"$new"; then
        changed "$file: enable_uart=1 (reboot to apply)"
    else
        unchanged "$file has enable_uart=1"
    fi
    rm -f "$new"
    local unit
    for unit in "${SERIAL_GETTYS[@]}"; do
        if [[ "$(systemctl is-enabled "$unit" 2>/dev/null || true)" == masked ]]; then
            unchanged "$unit masked"
            continue
        fi
        if systemd_running; then
            run systemctl mask --now "$unit"
        else
            run systemctl mask "$unit"
        fi
        changed "$unit masked: no login prompt on the bus"
    done
}

# Take console=serial0,... (and the other UARTs' names) off the kernel's command line.
drop_serial_console() {
    local file
    file="$(cmdline_txt_path)"
    if [[ -z "$file" ]]; then
        unchanged "no cmdline.txt in $BOOT_DIR: nothing to take the serial console off"
        return 0
    fi
    if ! grep -Eq "(^|[[:space:]])console=($PI_UARTS)(,|[[:space:]]|\$)" "$file"; then
        unchanged "$file has no serial console"
        return 0
    fi
    # cmdline.txt is one line of words; every other word stays as it was.
    UARTS="$PI_UARTS" awk 'NR == 1 {
            pattern = "^console=(" ENVIRON["UARTS"] ")(,|$)"
            for (i = 1; i <= NF; i++) if ($i !~ pattern) line = line (line == "" ? "" : " ") $i
            print line
        }' "$file" | put_file "$file" vfat root:root || true
    changed "$file: serial console removed (reboot to apply)"
}

watchdog_conf() {
    # systemd pats the hardware watchdog. The Pi's (bcm2835-wdt) longest timeout is 15 s:
    # a longer value is not taken (RebootWatchdogSec=2min left a hung reboot unguarded).
    printf '[Manager]\nRuntimeWatchdogSec=15\nRebootWatchdogSec=15\n'
}

create_user() {
    step "create the '${KIOSK_USER}' system user"
    local group
    for group in "${KIOSK_GROUPS[@]}"; do
        if getent group "$group" >/dev/null; then
            continue
        fi
        run groupadd --system "$group"
        changed "created missing group $group"
    done
    if ! id -u "$KIOSK_USER" >/dev/null 2>&1; then
        run useradd --system --home-dir "$DATA_DIR" --no-create-home \
            --shell /usr/sbin/nologin --user-group "$KIOSK_USER"
        changed "created user $KIOSK_USER"
    fi
    local wanted have
    wanted="$(printf '%s\n' "${KIOSK_GROUPS[@]}" | sort | paste -sd,)"
    have="$(id -nG "$KIOSK_USER" 2>/dev/null | tr ' ' '\n' | grep -vx "$KIOSK_USER" | sort | paste -sd, || true)"
    if [[ "$have" != "$wanted" ]]; then
        run usermod --groups "$wanted" "$KIOSK_USER"
        changed "$KIOSK_USER is in groups $wanted"
    else
        unchanged "user $KIOSK_USER in groups $wanted"
    fi
}

make_data_dir() {
    step "prepare the data folder ${DATA_DIR}"
    if [[ -d "$DATA_DIR" && "$(stat -c '%a %U' "$DATA_DIR")" == "750 ${KIOSK_USER}" ]]; then
        unchanged "$DATA_DIR"
    else
        run install -d -m 750 -o "$KIOSK_USER" -g "$KIOSK_USER" "$DATA_DIR"
        changed "$DATA_DIR owned by $KIOSK_USER"
    fi
    # The event log must outlive a read-only or overlay root (docs/hardware.md).
    if [[ "$(findmnt -no FSTYPE / 2>/dev/null || true)" == overlay ]] &&
        ! findmnt -n "$DATA_DIR" >/dev/null 2>&1; then
        warn "the root file system is an overlay and $DATA_DIR is not a separate mount:" \
            "events would be lost at reboot. Mount the data partition there (docs/hardware.md)."
    fi
}

make_venv() {
    step "create the virtual environment ${VENV}"
    if [[ -x "${VENV}/bin/python" ]] && "${VENV}/bin/python" -c 'import sys' 2>/dev/null &&
        grep -q '^include-system-site-packages = true' "${VENV}/pyvenv.cfg"; then
        unchanged "$VENV"
        return 0
    fi
    # --system-site-packages: picamera2 and libcamera come from apt, not PyPI.
    run install -d -m 755 "$PREFIX"
    run install -d -m 755 -o "$KIOSK_USER" -g "$KIOSK_USER" "$APP_DIR" "${APP_DIR}/releases"
    run python3 -m venv --system-site-packages "$VENV"
    changed "$VENV"
}

# The release setup.sh installed becomes the one that runs: whole (.installed), owned by the
# kiosk user (its updater prunes old releases), "current" renamed onto it (atomic), the update
# guard beside it (the unit's ExecStartPre), and the old ${PREFIX}/venv a link to it.
use_setup_release() {
    step "make the installed release the current one (${APP_DIR}/current)"
    local link="${APP_DIR}/current"
    if [[ "$(readlink "$link" 2>/dev/null)" == releases/setup && -f "${SETUP_RELEASE}/.installed" ]] &&
        cmp -s "$SRC_DIR/kiosk/update/ab.py" "${APP_DIR}/ab.py" && [[ -L "$LEGACY_VENV" ]]; then
        unchanged "$link -> releases/setup"
        return 0
    fi
    if [[ "$DRY_RUN" == true ]]; then
        changed "$link -> releases/setup"
        return 0
    fi
    echo setup >"${SETUP_RELEASE}/.installed"
    chown -R "${KIOSK_USER}:${KIOSK_USER}" "$SETUP_RELEASE"
    install -m 644 -o "$KIOSK_USER" -g "$KIOSK_USER" "$SRC_DIR/kiosk/update/ab.py" "${APP_DIR}/ab.py"
    rm -f "${APP_DIR}/current.new"
    ln -s releases/setup "${APP_DIR}/current.new"
    chown -h "${KIOSK_USER}:${KIOSK_USER}" "${APP_DIR}/current.new"
    mv -T "${APP_DIR}/current.new" "$link"
    # A journal of another release's trial would judge this one: setup.sh's install runs as is.
    rm -f "${APP_DIR}/ab.json"
    if [[ -d "$LEGACY_VENV" && ! -L "$LEGACY_VENV" ]]; then
        rm -rf "$LEGACY_VENV"  # the pre-A/B venv; a restart before the unit is renewed uses the link
    fi
    # Relative, so the link also holds inside a chroot or image mounted elsewhere (test_rootfs).
    ln -sfn "${APP_DIR#"${PREFIX}"/}/current/venv" "$LEGACY_VENV"
    changed "$link -> releases/setup ($LEGACY_VENV links to it)"
}

source_fingerprint() {
    # What gets installed: the wheel, or every packaged file of the checkout.
    if [[ -n "$WHEEL" ]]; then
        sha256sum "$WHEEL" | cut -d' ' -f1
        return 0
    fi
    local paths=() path
    for path in pyproject.toml README.md kiosk drivers ui sync server hw_tests; do
        [[ -e "$SRC_DIR/$path" ]] && paths+=("$path")
    done
    (cd "$SRC_DIR" && find "${paths[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 2>/dev/null |
        LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

# The extras a device needs: 'pi' always, and 'plates' (the offline plate reader, about 100 MB
# of OCR engine and models) only at a car gate, as kiosk.toml's [lane] kind says.
kiosk_extras() {
    local kind=""
    if [[ -f "$CONF_FILE" ]]; then
        kind="$(awk -F= '/^[[:space:]]*\[/ { lane = ($0 ~ /^[[:space:]]*\[lane\]/) }
            lane && $1 ~ /^[[:space:]]*kind[[:space:]]*$/ { sub(/#.*/, "", $2); gsub(/[[:space:]"\047]/, "", $2); print $2 }' \
            "$CONF_FILE")"
    fi
    if [[ "$kind" == vehicle ]]; then echo "pi,plates"; else echo "pi"; fi
}

install_kiosk() {
    local want target extras
    extras="$(kiosk_extras)"
    step "install the kiosk software (with the '${extras}' extras)"
    want="$(source_fingerprint) ${extras}"
    if [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$want" ]] &&
        "${VENV}/bin/python" -c 'import kiosk, drivers, hw_tests' 2>/dev/null; then
        unchanged "kiosk package ($(cut -c1-12 <<<"$want"))"
        prefer_apt_gpiozero
        gpiod_for_blinka
        return 0
    fi
    target="${WHEEL:-$SRC_DIR}"
    [[ -e "$target" ]] || die "--wheel $WHEEL: no such file"
    local build
    build="$(lgpio_build_env)"
    if ! "${VENV}/bin/python" -c 'import lgpio' 2>/dev/null; then
        case "$build" in
            PYPI=1) say "  lgpio is built from source with its own copy of liblgpio (PYPI=1)" ;;
            *) say "  lgpio is built from source against Debian's liblgpio" ;;
        esac
    fi
    run "${VENV}/bin/pip" install --quiet --upgrade pip
    drop_classic_pygame "$VENV"
    run env "$build" "${VENV}/bin/pip" install --quiet "${target}[${extras}]"
    if [[ "$DRY_RUN" == false ]]; then
        printf '%s\n' "$want" >"$STAMP_FILE"
    fi
    changed "kiosk installed from ${target}"
    prefer_apt_gpiozero
    gpiod_for_blinka
}

# Blinka ([thermometer] driver = "adafruit") takes a Pi's pins from the library its version
# picks: RPi.GPIO (Pi 1-4) and lgpio (Pi 5) from 8.56 on, but libgpiod's Python binding (gpiod)
# for the Pi 5 in 8.23 to 8.55, which none of its requirements pulls in: python3-libgpiod does.
gpiod_for_blinka() {
    local blinka
    blinka="$("${VENV}/bin/python" -c 'import importlib.util as u
spec = u.find_spec("adafruit_blinka")
print(spec.submodule_search_locations[0] if spec else "")' 2>/dev/null || true)"
    if [[ -n "$blinka" ]] && grep -qs "libgpiod_pin" "$blinka"/microcontroller/bcm27*/pin.py; then
        say "  this Blinka drives a Pi's pins through libgpiod (gpiod)"
        apt_ensure python3-libgpiod
    fi
}

# Raspberry Pi's python3-gpiozero (2.x) is patched for the Pi 5's GPIO chip; PyPI's is not. A venv
# that pip filled before apt had it keeps PyPI's copy, which hides the system one: remove it.
prefer_apt_gpiozero() {
    local version origin
    version="$(dpkg-query -W -f='${Version}' python3-gpiozero 2>/dev/null || true)"
    [[ -n "$version" ]] && dpkg --compare-versions "$version" ge 2.0 || return 0
    origin="$("${VENV}/bin/python" -c 'import gpiozero; print(gpiozero.__file__)' 2>/dev/null ||
        true)"
    if [[ "$origin" == "${VENV}/"* ]]; then
        run "${VENV}/bin/pip" uninstall --quiet --yes gpiozero
        changed "the venv now uses apt's python3-gpiozero $version"
    fi
}

# pygame and pygame-ce both install the package "pygame"; a venv made before the switch has
# the classic one, whose SDL has no KMS/DRM. Remove both so pip installs pygame-ce cleanly.
drop_classic_pygame() {
    local venv="$1"
    if "${venv}/bin/python" -m pip show pygame >/dev/null 2>&1; then
        run "${venv}/bin/pip" uninstall --quiet --yes pygame pygame-ce
        changed "removed pygame from $venv (pygame-ce replaces it)"
    fi
}

ask() {
    # ask VAR "question" default: prompt on a terminal unless --unattended.
    local var="$1" question="$2" default="$3" answer
    if [[ "$UNATTENDED" == false && -t 0 ]]; then
        read -r -p "  ${question} [${default}]: " answer
        printf -v "$var" '%s' "${answer:-$default}"
    else
        printf -v "$var" '%s' "$default"
    fi
}

fleet_value() {
    # fleet_value section.key: a value of the --config file, or nothing.
    [[ -n "$USER_CONFIG" ]] || return 0
    python3 - "$USER_CONFIG" "$1" <<'EOF'
import sys
import tomllib
section, key = sys.argv[2].split(".")
with open(sys.argv[1], "rb") as f:
    print(tomllib.load(f).get(section, {}).get(key, ""))
EOF
}

random_pin() {
    local n
    n="$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
    printf '%06d' $((n % 1000000))
}

write_config() {
    step "write the device configuration ${CONF_FILE}"
    if [[ -f "$CONF_FILE" ]]; then
        unchanged "$CONF_FILE exists and is kept (edit it by hand; never overwritten)"
        if [[ -n "$USER_CONFIG" ]] && ! cmp -s "$USER_CONFIG" "$CONF_FILE"; then
            say "  note: $USER_CONFIG differs from the installed file; the installed file wins"
        fi
        return 0
    fi
    # Flags win over the fleet file, which wins over the built-in suggestions.
    DEVICE_ID="${DEVICE_ID:-$(fleet_value device.id)}"
    COMPOUND="${COMPOUND:-$(fleet_value device.compound)}"
    SERVER_URL="${SERVER_URL:-$(fleet_value sync.server_url)}"
    ask DEVICE_ID "device id" "${DEVICE_ID:-$(hostname -s 2>/dev/null || echo kiosk-01)}"
    ask COMPOUND "compound" "${COMPOUND:-demo}"
    ask SERVER_URL "office server URL (empty: offline)" "$SERVER_URL"
    if [[ -n "$SERVER_URL" ]]; then
        ask ENROLL_CODE "enrollment code (empty: enroll later)" "$ENROLL_CODE"
    fi
    local pin tmp args=()
    pin="$(random_pin)"
    [[ -n "$USER_CONFIG" ]] && args+=(--base "$USER_CONFIG")
    [[ -n "$DEVICE_ID" ]] && args+=(--set "device.id=$DEVICE_ID")
    [[ -n "$COMPOUND" ]] && args+=(--set "device.compound=$COMPOUND")
    [[ -n "$SERVER_URL" ]] && args+=(--set "sync.server_url=$SERVER_URL")
    [[ -n "$SERVER_URL" ]] && args+=(--set "sync.credential_file=$CREDENTIAL_FILE")
    [[ -n "$CA_FILE" ]] && args+=(--set "sync.ca_file=$CA_FILE")
    args+=(--set "device.data_dir=$DATA_DIR")
    if [[ "$DRY_RUN" == true ]]; then
        say "  would run: python3 deploy/devconfig.py ${args[*]} --guard-pin-sha256 (new PIN)"
        changed "$CONF_FILE"
        return 0
    fi
    tmp="$(mktemp)"
    python3 "$SRC_DIR/deploy/devconfig.py" "${args[@]}" --output "$tmp" \
        --guard-pin-sha256 "$(printf %s "$pin" | sha256sum | cut -d' ' -f1)"
    "${VENV}/bin/kiosk" config check --config "$tmp" >/dev/null ||
        die "the configuration is not valid (see above); nothing was written"
    install -d -m 755 "$CONF_DIR"
    install -m 640 -o root -g "$KIOSK_USER" "$tmp" "$CONF_FILE"
    rm -f "$tmp"
    changed "$CONF_FILE (checked with 'kiosk config check')"
    # The PIN goes to the terminal only (fd 3), never into the install log.
    printf '\n  GUARD PIN: %s   (shown once; only its SHA-256 is stored)\n\n' "$pin" >&3
    if [[ -n "$PIN_FILE" ]]; then
        (umask 077 && printf '%s\n' "$pin" >"$PIN_FILE")
        say "  guard PIN written to $PIN_FILE (mode 600): move it somewhere safe"
    fi
}

conf_value() {
    # conf_value section.key...: values of the installed config, defaults applied, one a line.
    "${VENV}/bin/python" - "$CONF_FILE" "$@" <<'EOF'
import sys
from pathlib import Path
from kiosk.config import load_config
config = load_config(Path(sys.argv[1]))
for name in sys.argv[2:]:
    section, key = name.split(".")
    value = getattr(getattr(config, section), key)
    print("" if value is None else value)
EOF
}

enroll() {
    step "enroll with the office server"
    if [[ -z "$ENROLL_CODE" ]]; then
        unchanged "no enrollment code given: offline, or enroll later with 'kiosk enroll'"
        return 0
    fi
    if [[ "$DRY_RUN" == true && ! -f "$CONF_FILE" ]]; then
        say "  would run: kiosk enroll --config $CONF_FILE ***"
        changed "enrollment"
        return 0
    fi
    local server credential
    server="$(conf_value sync.server_url)"
    credential="$(conf_value sync.credential_file)"
    [[ -n "$server" ]] || die "an enrollment code needs [sync] server_url in $CONF_FILE"
    if [[ -n "$credential" && -s "$credential" ]]; then
        unchanged "already enrolled ($credential exists)"
        return 0
    fi
    "${VENV}/bin/kiosk" enroll --help >/dev/null 2>&1 ||
        die "this kiosk version has no 'kiosk enroll' command; enroll later"
    say "  + kiosk enroll --config $CONF_FILE ***"
    if [[ "$DRY_RUN" == false ]]; then
        # kiosk enroll has a whole-request deadline (3 x sync.timeout_s); timeout(1) also
        # covers a name lookup that never returns, so an unattended install cannot hang here.
        timeout --kill-after=5 "$ENROLL_LIMIT_S" \
            "${VENV}/bin/kiosk" enroll --config "$CONF_FILE" "$ENROLL_CODE" ||
            die "enrolling with $server failed (the reason is above). The kiosk is installed" \
                "and runs offline; check the code and the network, then run:" \
                "kiosk enroll --config $CONF_FILE CODE"
        # Written by root (mode 600); the kiosk service reads it as its own user.
        chown "${KIOSK_USER}:${KIOSK_USER}" "$credential"
    fi
    changed "enrolled with $server"
}

# render_unit PIN ACTIVE_HIGH [BACKEND]: the unit for the relay on GPIO PIN, or, with backend
# "osdp", on the gate controller, which drops it by itself: then no pin is driven at stop, as
# the one [gpio] names may be in use (GPIO17 is the RTS of the UART on the RS-485 bus).
render_unit() {
    local pin="$1" active_high="$2" backend="${3:-gpio}" off_level no_pin=()
    off_level="$([[ "$active_high" == True ]] && echo dl || echo dh)"
    if [[ "$backend" == osdp ]]; then
        local note='# Not with [gate] backend "osdp": the controller drops its relay.'
        no_pin=(-e "s|^ExecStopPost=.*|${note}|")
    fi
    sed "${no_pin[@]}" \
        -e "s|@APP_DIR@|${APP_DIR}|g" -e "s|@PREFIX@|${PREFIX}|g" -e "s|@CONF_FILE@|${CONF_FILE}|g" \
        -e "s|@DATA_DIR@|${DATA_DIR}|g" -e "s|@USER@|${KIOSK_USER}|g" \
        -e "s|@GROUPS@|${KIOSK_GROUPS[*]}|g" \
        -e "s|@RELAY_PIN@|${pin}|g" -e "s|@RELAY_OFF@|${off_level}|g" \
        "$SRC_DIR/deploy/kiosk.service.in"
}

install_service() {
    step "install and enable ${UNIT_NAME}"
    local pin=17 active_high=True backend=gpio
    if [[ -f "$CONF_FILE" && -x "${VENV}/bin/python" ]]; then
        pin="$(conf_value gpio.relay_pin)"
        active_high="$(conf_value gpio.relay_active_high)"
        backend="$(conf_value gate.backend)"
    fi
    if put_file "${PREFIX}/bin/kiosk-relay-off" 755 root:root <"$SRC_DIR/deploy/kiosk-relay-off"; then
        changed "${PREFIX}/bin/kiosk-relay-off"
    else
        unchanged "${PREFIX}/bin/kiosk-relay-off"
    fi
    if render_unit "$pin" "$active_high" "$backend" | put_file "$UNIT_FILE" 644 root:root; then
        if [[ "$backend" == osdp ]]; then
            changed "$UNIT_FILE (relay on the gate controller)"
        else
            changed "$UNIT_FILE (relay pin $pin)"
        fi
        if systemd_running; then run systemctl daemon-reload; fi
    else
        unchanged "$UNIT_FILE"
    fi
    if [[ "$(systemctl is-enabled "$UNIT_NAME" 2>/dev/null || true)" == enabled ]]; then
        unchanged "$UNIT_NAME enabled"
    else
        # Works in a chroot too: enabling only creates the links.
        run systemctl enable "$UNIT_NAME"
        changed "$UNIT_NAME enabled"
    fi
}

start_service() {
    step "start the kiosk"
    if ! systemd_running; then
        unchanged "systemd is not running here (chroot or image): the kiosk starts at boot"
        return 0
    fi
    if [[ "$CHANGED" -eq 0 ]] && systemctl is-active --quiet "$UNIT_NAME"; then
        unchanged "$UNIT_NAME running"
        return 0
    fi
    run systemctl restart "$UNIT_NAME"
    say "  $UNIT_NAME (re)started; follow it with: journalctl -fu $UNIT_NAME"
}

self_test() {
    step "run the non-interactive hardware self-test"
    if [[ "$SELFTEST" == false ]]; then
        unchanged "skipped (--skip-selftest)"
        return 0
    fi
    local args=(--non-interactive)
    if ! is_pi; then
        args+=(--sim)
        say "  not a Pi: the checks run against the simulated hardware"
    elif systemd_running && systemctl is-active --quiet "$UNIT_NAME"; then
        # The checks need the camera and the pins the running kiosk holds.
        run systemctl stop "$UNIT_NAME"
    fi
    if [[ "$DRY_RUN" == true ]]; then
        say "  would run: kiosk selftest ${args[*]}"
        return 0
    fi
    local status=0
    # lgpio makes its notification pipe (.lgd-nfy*) in the working directory when imported:
    # run from the kiosk's own folder, as the unit does, never from wherever root started us.
    (cd "$DATA_DIR" && runuser -u "$KIOSK_USER" -- env HOME="$DATA_DIR" LG_WD="$DATA_DIR" \
        "${VENV}/bin/kiosk" selftest "${args[@]}") || status=$?
    if [[ $status -ne 0 ]]; then
        die "the hardware self-test failed (above); check the wiring (docs/hardware.md)" \
            "or run setup.sh with --skip-selftest and fix it later"
    fi
    unchanged "self-test passed"
}

device_mode() {
    STEPS=15
    if [[ "$DRY_RUN" == false ]]; then
        [[ $EUID -eq 0 ]] || die "device mode needs root (try: sudo $0, or $0 --sim on a laptop)"
        install -d -m 755 "$(dirname "$LOG_FILE")"
        exec 3>&1
        exec > >(tee -a "$LOG_FILE") 2>&1
        say "==== setup.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) ===="
    else
        exec 3>&1
        say "DRY RUN: nothing is changed"
    fi
    check_system
    install_packages
    configure_boot
    create_user
    make_data_dir
    make_venv
    install_kiosk
    use_setup_release
    write_config
    free_serial_port
    enroll
    install_service
    configure_os_updates
    flash_gate_controller  # before the self-test, which checks the controller with its key
    self_test
    start_service
    say ""
    if [[ "$CHANGED" -eq 0 ]]; then
        say "setup.sh: no changes: everything was already in place."
    elif [[ "$DRY_RUN" == true ]]; then
        say "setup.sh: dry run: $CHANGED change(s) would be made."
    else
        say "setup.sh: done, $CHANGED change(s). Reboot when config.txt changed."
    fi
}

######## OPERATING SYSTEM UPDATES ########
# The archives unattended-upgrades takes from: Debian's security archive, and Raspberry Pi's
# where this system uses it (the Pi's kernel, firmware and its own libraries come from there).
uses_raspberry_pi_archive() {
    grep -Eqs '^[^#]*archive\.raspberrypi\.(com|org)' "$APT_ETC/sources.list" \
        "$APT_ETC"/sources.list.d/*.list "$APT_ETC"/sources.list.d/*.sources
}

# unattended_conf ON HH:MM REBOOT: apt's settings for [updates]. "#clear" drops the archives
# Debian's 50unattended-upgrades lists (its stable point releases too): security fixes only.
unattended_conf() {
    local on="$1" window="$2" reboot="$3"
    cat <<EOF
// Written by the kiosk's setup.sh from [updates] in ${CONF_FILE}: change it there and run
// setup.sh again (this file is rewritten).
APT::Periodic::Update-Package-Lists "$on";
APT::Periodic::Unattended-Upgrade "$on";
#clear Unattended-Upgrade::Origins-Pattern;
Unattended-Upgrade::Origins-Pattern {
    "origin=Debian,codename=\${distro_codename}-security,label=Debian-Security";
EOF
    if uses_raspberry_pi_archive; then
        # shellcheck disable=SC2016  # unattended-upgrades fills in ${distro_codename}
        printf '    "origin=Raspberry Pi Foundation,codename=${distro_codename}";\n'
    fi
    cat <<EOF
};
Unattended-Upgrade::Automatic-Reboot "$reboot";
Unattended-Upgrade::Automatic-Reboot-WithUsers "true";
Unattended-Upgrade::Automatic-Reboot-Time "$window";
EOF
}

# The updates run in the hour before the reboot window, so a reboot they need falls in it
# (unattended-upgrades schedules it with shutdown -r HH:MM, which is tomorrow once past).
upgrade_timer_conf() {
    local hour="${1%%:*}" minute="${1##*:}"
    hour=$(((10#$hour + 23) % 24))
    cat <<EOF
# Written by the kiosk's setup.sh: security updates in the hour before [updates] reboot_window.
[Timer]
OnCalendar=
OnCalendar=*-*-* $(printf '%02d:%s' "$hour" "$minute")
RandomizedDelaySec=30m
EOF
}

configure_os_updates() {
    step "configure the system's unattended security updates"
    local values=(True 03:00:00 True) on=1 reboot=true window
    if [[ -f "$CONF_FILE" && -x "${VENV}/bin/python" ]]; then
        mapfile -t values < <(conf_value updates.unattended updates.reboot_window \
            updates.automatic_reboot)
    fi
    [[ "${values[0]}" == True ]] || on=0
    [[ "${values[2]}" == True ]] || reboot=false
    window="${values[1]:0:5}"  # HH:MM of Python's HH:MM:SS
    if unattended_conf "$on" "$window" "$reboot" | put_file "$UNATTENDED_CONF" 644 root:root; then
        changed "$UNATTENDED_CONF (unattended security updates: $on, reboot at $window: $reboot)"
    else
        unchanged "$UNATTENDED_CONF"
    fi
    if upgrade_timer_conf "$window" | put_file "$UPGRADE_TIMER_CONF" 644 root:root; then
        changed "$UPGRADE_TIMER_CONF (updates in the hour before $window)"
        if systemd_running; then run systemctl daemon-reload; fi
    else
        unchanged "$UPGRADE_TIMER_CONF"
    fi
}

######## GATE CONTROLLER (mcu/) ########
# Node.js runs the firmware in MicroPython (WebAssembly) for tests, `kiosk mcu sim` and
# `kiosk sim --gate osdp`; the Pico's stubs type-check it (mcu/mypy.ini).
MCU_STUBS="micropython-rp2-rpi-pico-stubs>=1.27"

install_mcu_sim() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        if ! can_apt; then
            warn "no Node.js/npm and no apt: the gate controller simulator will not run"
            return 0
        fi
        apt_ensure nodejs npm
    fi
    run npm ci --prefix "$SRC_DIR/mcu/sim" --no-audit --no-fund --loglevel=error
}

install_mcu_typings() {
    if [[ ! -f typings/rp2/machine.pyi ]]; then
        run .venv/bin/pip install --quiet --upgrade --target typings/rp2 "$MCU_STUBS"
    fi
    # mypy wants a typeshed folder: MicroPython's stdlib stubs plus mypy's own extensions.
    local shed
    shed="$(.venv/bin/python -c 'import mypy, os; print(os.path.dirname(mypy.__file__))')"
    run rm -rf typings/typeshed
    run mkdir -p typings/typeshed/stubs
    run cp -r typings/rp2/stdlib typings/typeshed/stdlib
    run cp -r "$shed/typeshed/stubs/mypy-extensions" typings/typeshed/stubs/
}

flash_gate_controller() {
    step "flash the gate controller (optional)"
    local reply="no"
    if [[ "$FLASH_MCU" == true ]]; then
        reply="yes"
    elif [[ -f "$CONF_FILE" && "$(conf_value gate.backend)" == osdp ]]; then
        ask reply "flash the gate controller firmware to a Pico on USB now? (yes/no)" "no"
    fi
    if [[ "$reply" == yes ]]; then
        if systemd_running && systemctl is-active --quiet "$UNIT_NAME"; then
            # It holds the serial port that the controller's maintenance boot is asked over.
            run systemctl stop "$UNIT_NAME"
        fi
        run "${VENV}/bin/kiosk" mcu flash --config "$CONF_FILE" --firmware "$SRC_DIR/mcu/firmware"
        changed "gate controller flashed"
    else
        unchanged "not flashed (later: kiosk mcu flash --config $CONF_FILE, then setup.sh again)"
    fi
    own_gate_key
}

# The kiosk reads the controller's key as its own user, but 'kiosk mcu flash' run as root (here,
# or by hand with sudo) leaves it root's: the kiosk then failed to start with EACCES.
own_gate_key() {
    [[ -f "$CONF_FILE" && -x "${VENV}/bin/python" ]] || return 0
    local key
    key="$(conf_value gate.key_file)"
    [[ -n "$key" && -f "$key" ]] || return 0
    if [[ "$(stat -c '%a %U:%G' "$key")" == "600 ${KIOSK_USER}:${KIOSK_USER}" ]]; then
        unchanged "$key belongs to $KIOSK_USER (mode 600)"
        return 0
    fi
    run chown "${KIOSK_USER}:${KIOSK_USER}" "$key"
    run chmod 600 "$key"
    changed "$key belongs to $KIOSK_USER, mode 600: the kiosk reads it, nobody else"
}

######## SIM MODE (laptop / CI) ########
sim_mode() {
    STEPS=3
    [[ "$RUN_TESTS" == true ]] && STEPS=5
    cd "$SRC_DIR"
    step "apt packages"
    local packages=("${APT_SIM[@]}")
    [[ "$RUN_TESTS" == true ]] && packages+=("${APT_TEST[@]}")
    if can_apt; then
        apt_ensure "${packages[@]}"
    else
        warn "neither root nor password-less sudo: skipping apt (${packages[*]})"
    fi
    step "virtual environment ./.venv"
    if [[ -x .venv/bin/python ]] && .venv/bin/python -c 'import sys' 2>/dev/null; then
        unchanged "reusing ./.venv"
    else
        run python3 -m venv .venv
        changed "created ./.venv"
    fi
    step "install the checkout (editable) with the dev extras"
    run .venv/bin/pip install --quiet --upgrade pip
    drop_classic_pygame .venv
    run .venv/bin/pip install --quiet -e ".[dev]"
    if [[ "$RUN_TESTS" == true ]]; then
        start_proofs
    fi
    install_mcu_sim
    if [[ "$RUN_TESTS" == false ]]; then
        say ""
        say "Ready. Next: .venv/bin/kiosk demo   (on a desktop: .venv/bin/kiosk sim; tests: ./setup.sh --sim --test)"
        return 0
    fi
    step "lint and type check"
    run .venv/bin/ruff check .
    run .venv/bin/mypy
    install_mcu_typings
    run .venv/bin/mypy --config-file mcu/mypy.ini
    step "tests"
    run_tests
    say ""
    say "setup.sh --sim --test: all checks passed."
}

# The arm64 proofs (marker "rootfs": root file systems for trixie and bookworm, the emulated
# machine) spend their time in emulation on one core and are the longest part of --test: they
# start as soon as the checkout is installed, beside the lint and the rest of the suite, and their
# report follows the suite's. Either failing fails the step; leaving early stops them (SIGTERM:
# pytest then unmounts its root file systems, tests/conftest.py).
PROOFS_LOG=.venv/arm64-proofs.log
PROOFS_PID=""

start_proofs() {
    say "  + .venv/bin/pytest -q -m rootfs  (in the background until the tests step; its report: ${PROOFS_LOG})"
    .venv/bin/pytest -q -m rootfs -p no:cacheprovider --durations=15 \
        --basetemp=.venv/arm64-proofs-tmp >"$PROOFS_LOG" 2>&1 &
    PROOFS_PID=$!
    trap stop_proofs EXIT
}

stop_proofs() {
    [[ -n "$PROOFS_PID" ]] || return 0
    kill "$PROOFS_PID" 2>/dev/null || true
    wait "$PROOFS_PID" 2>/dev/null || true
    PROOFS_PID=""
}

run_tests() {
    local status=0
    say "  + .venv/bin/pytest -q -m 'not rootfs'"
    .venv/bin/pytest -q -m "not rootfs" || status=$?
    if ((status != 0)); then
        stop_proofs
        die "the test suite failed (exit ${status}); the arm64 proofs were stopped"
    fi
    say "  the arm64 proofs (root file systems, the emulated machine):"
    wait "$PROOFS_PID" || status=$?
    PROOFS_PID=""
    cat "$PROOFS_LOG"
    ((status == 0)) || die "the arm64 proofs failed (exit ${status}): see above"
}

main() {
    parse_args "$@"
    trap on_error ERR
    if [[ "$MODE" == sim ]]; then
        sim_mode
    else
        device_mode
    fi
}

# Sourcing the script (tests) defines the functions without running anything.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi
