"""Arm64 Debian root file systems for tests: built once with mmdebstrap, cached, copied to use.

``cached_rootfs(apt_mirror(), "trixie")`` returns a finished, never-modified root file system
(what a Raspberry Pi OS Lite image has before setup.sh: systemd, Python, CA certificates), built
under qemu-aarch64 emulation the first time and kept under ``CACHE/<suite>-arm64-<key>``, where
<key> is a hash of every build parameter. ``Chroot`` is a throwaway copy of it with /proc, /sys
and /dev mounted, to run setup.sh and the kiosk in. tests/test_rootfs.py proves setup.sh with
them; the emulated whole-machine boot makes its disk image from one.

mmdebstrap, not debootstrap: it resolves and downloads with the host's (native) apt and runs
dpkg inside the root only to unpack and configure, in few calls, under eatmydata (no fsync: a
throwaway build), without documentation or translations. debootstrap's trixie second stage
under emulation did not finish in 85 minutes on the 2-core CI machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("KIOSK_ROOTFS_CACHE", "/var/cache/kiosk-rootfs"))
# Each suite with the Python it brings, which the kiosk's venv must run on.
SUITES = {"bookworm": (3, 11), "trixie": (3, 13)}
ARCH, VARIANT = "arm64", "minbase"
# What a Raspberry Pi OS Lite image has before setup.sh runs.
INCLUDE = "systemd,systemd-sysv,python3,ca-certificates"
# Stays in the root's /etc/dpkg/dpkg.cfg.d, so setup.sh's own packages skip them too.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
)
BUILDER = "mmdebstrap"
EATMYDATA_HOOKS = Path("/usr/share/mmdebstrap/hooks/eatmydata")
BINFMT = Path("/proc/sys/fs/binfmt_misc")
QEMU = "qemu-aarch64-static"
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The kiosk's own packages: they change with nearly every commit and reinstalling them costs
# seconds, so a cache of a provisioned system is not keyed by them (nor by tests/, docs/, bench/).
PACKAGES = ("kiosk", "drivers", "ui", "sync", "server", "hw_tests")
NOT_THE_SYSTEM = ("tests/", "docs/", "bench/", *(f"{package}/" for package in PACKAGES))


# --- prerequisites -------------------------------------------------------------------------
def _binfmt_ready() -> bool:
    entry = BINFMT / "qemu-aarch64"
    if not (BINFMT / "status").exists():
        subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
            capture_output=True,
            check=False,
        )
    if not entry.exists() and shutil.which("update-binfmts"):
        subprocess.run(
            ["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True, check=False
        )
    return entry.exists() and entry.read_text().startswith("enabled")


def missing_prerequisite() -> str | None:
    """Why this machine cannot build or enter an arm64 root file system, or None."""
    if os.geteuid() != 0:
        return "needs root (mmdebstrap, chroot and mounts): run pytest as root, as CI does"
    for tool in (BUILDER, "arch-test", QEMU, "chroot", "mount", "umount"):
        if shutil.which(tool) is None:
            return f"{tool} is missing: apt-get install mmdebstrap arch-test qemu-user-static"
    if not EATMYDATA_HOOKS.is_dir():
        return f"{EATMYDATA_HOOKS} is missing: mmdebstrap 1.3 or later ships it"
    if not _binfmt_ready():
        return (
            "binfmt_misc has no enabled qemu-aarch64 entry, even after "
            "'update-binfmts --enable qemu-aarch64' (apt-get install binfmt-support "
            "qemu-user-static; in a container, the host must provide binfmt_misc)"
        )
    return None


# --- the Debian mirror, from this host's apt sources ------------------------------------------
def apt_mirror(etc: Path = Path("/etc/apt")) -> str:
    """The URI of the first apt source that serves a Debian release itself (not its -security
    or -updates): a Debian mirror, which serves every suite."""
    for path in [etc / "sources.list", *sorted((etc / "sources.list.d").glob("*"))]:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        uris = _deb822_uris(text) if path.suffix == ".sources" else _one_line_uris(text)
        for uri in uris:
            return uri.rstrip("/")
    raise RuntimeError(f"no apt source for Debian {' or '.join(SUITES)} under {etc}")


def _deb822_uris(text: str) -> Iterator[str]:
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if ":" in line and not line.lstrip().startswith("#"):
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
        if _a_release(fields.get("suites", "").split()) and "deb" in fields.get("types", ""):
            yield from fields.get("uris", "").split()[:1]


def _one_line_uris(text: str) -> Iterator[str]:
    for line in text.splitlines():
        words = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
        if len(words) >= 3 and words[0] == "deb" and _a_release(words[2:3]):
            yield words[1]


def _a_release(suites: list[str]) -> bool:
    return any(suite in SUITES for suite in suites)  # "bookworm", not "bookworm-security"


# --- building and caching the root file system ---------------------------------------------------
def hash_checkout(digest: hashlib._Hash, outside: tuple[str, ...] = (), root: Path = ROOT) -> None:
    """Feed ``digest`` with the name and content of each of this checkout's files (tracked and
    new, not ignored) that shapes a provisioned system: setup.sh, deploy/, pyproject.toml … but
    not ``NOT_THE_SYSTEM`` nor the paths that start with one of ``outside``."""
    files = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root).stdout
    skipped = (*NOT_THE_SYSTEM, *outside)
    for name in sorted(n for n in files.split("\0") if n and not n.startswith(".venv")):
        path = root / name
        if path.is_file() and not name.startswith(skipped):
            digest.update(name.encode() + b"\0" + path.read_bytes())


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a host command; fail with the end of its output when it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def cache_dir(name: str) -> Path:
    """A download cache shared by every build and copy (apt's .debs, pip's wheels)."""
    path = CACHE / name
    (path / "partial").mkdir(parents=True, exist_ok=True)  # apt wants archives/partial
    return path


def rootfs_path(mirror: str, suite: str) -> Path:
    """Where the root file system for these parameters is (or will be) cached."""
    parameters = "|".join([BUILDER, suite, ARCH, VARIANT, INCLUDE, *DPKG_OPTIONS, mirror])
    key = hashlib.sha256(parameters.encode()).hexdigest()
    return CACHE / f"{suite}-{ARCH}-{key[:16]}"


def cached_rootfs(mirror: str, suite: str, timings: dict[str, float] | None = None) -> Path:
    """The root file system for these parameters, built when not cached. Never modify it:
    copy it (``Chroot``) first. ``timings["build_s"]`` gets the build's seconds if it ran."""
    target = rootfs_path(mirror, suite)
    if (target / ".complete").exists():
        return target
    build = target.with_name(f"build-{target.name}-{os.getpid()}")
    shutil.rmtree(build, ignore_errors=True)
    started = time.monotonic()
    run(_mmdebstrap_command(mirror, suite, build))
    if timings is not None:
        timings["build_s"] = time.monotonic() - started
    (build / ".complete").write_text(json.dumps({"mirror": mirror, "built": time.time()}))
    build.rename(target)  # only a finished build ever gets the cache's name
    return target


def _mmdebstrap_command(mirror: str, suite: str, build: Path) -> list[str]:
    debs = cache_dir(f"apt-{ARCH}")
    return [
        BUILDER,
        "--mode=root",
        f"--architectures={ARCH}",
        f"--variant={VARIANT}",
        f"--include={INCLUDE}",
        f"--hook-directory={EATMYDATA_HOOKS}",
        *(f"--dpkgopt={option}" for option in DPKG_OPTIONS),
        # Reuse and refill the shared .deb cache; keep apt's own copy out of the root.
        "--skip=essential/unlink",
        '--setup-hook=mkdir -p "$1"/var/cache/apt/archives/',
        f"--setup-hook=sync-in {debs} /var/cache/apt/archives/",
        f"--customize-hook=sync-out /var/cache/apt/archives {debs}",
        suite,
        str(build),
        mirror,
    ]


def _share(source: Path, dest: Path) -> None:
    """The .debs of ``source`` that ``dest`` lacks, hard-linked (copied across file systems)
    under a temporary name and renamed, so a reader never sees half a file."""
    (dest / "partial").mkdir(parents=True, exist_ok=True)
    for deb in source.glob("*.deb"):
        if (dest / deb.name).exists():
            continue
        temporary = dest / "partial" / f"{deb.name}.{os.getpid()}"
        try:
            os.link(deb, temporary)
        except OSError:
            shutil.copy2(deb, temporary)
        temporary.rename(dest / deb.name)


# --- a working copy, mounted for chroot --------------------------------------------------------
class Chroot:
    """A throwaway copy of a cached root file system with /proc, /sys and /dev mounted."""

    def __init__(self, base: Path, where: Path, suite: str) -> None:
        self.suite = suite
        self.timings: dict[str, float] = {}
        self.root = where / "rootfs"
        run(["cp", "-a", "--reflink=auto", f"{base}/.", str(self.root)])
        self.mounts: list[Path] = []

    def copy_checkout(self) -> None:
        """This checkout's files (tracked and new, not ignored) to /opt/src, with the host's
        DNS and CA certificates."""
        files = run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT).stdout
        names = [
            n for n in files.split("\0") if n and not n.startswith(".venv") and (ROOT / n).is_file()
        ]
        dest = self.root / "opt/src"
        for name in names:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
        shutil.copy2("/etc/resolv.conf", self.root / "etc/resolv.conf")
        # A throwaway copy: dpkg need not fsync every file it unpacks (what a power cut would
        # need); the packages, and so the proof, are the same.
        dpkg_cfg = self.root / "etc/dpkg/dpkg.cfg.d"
        dpkg_cfg.mkdir(parents=True, exist_ok=True)
        (dpkg_cfg / "kiosk-test-unsafe-io").write_text("force-unsafe-io\n")
        # Trust what this host trusts (a TLS-inspecting CI proxy's CA, say) for pip.
        host_ca = Path(os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"))
        if host_ca.is_file():
            shutil.copy2(host_ca, self.root / "etc/ssl/host-ca.crt")

    def mount(self) -> None:
        """/proc, /sys, the host's /dev, the shared pip cache and the shared .debs (linked in,
        not mounted: apt's lock in a shared folder would stop another copy's apt-get)."""
        _share(cache_dir(f"apt-{ARCH}"), self.root / "var/cache/apt/archives")
        for kind, source, target in (
            (["-t", "proc"], "proc", "proc"),
            (["-t", "sysfs"], "sysfs", "sys"),
            (["--bind"], "/dev", "dev"),
            (["--bind"], "/dev/pts", "dev/pts"),
            (["--bind"], str(cache_dir(f"pip-{ARCH}")), "root/.cache/pip"),
        ):
            point = self.root / target
            point.mkdir(parents=True, exist_ok=True)
            run(["mount", *kind, source, str(point)])
            self.mounts.append(point)

    def unmount(self) -> None:
        """Undo ``mount``; the .debs apt fetched meanwhile join the shared cache."""
        _share(self.root / "var/cache/apt/archives", cache_dir(f"apt-{ARCH}"))
        for point in reversed(self.mounts):
            if subprocess.run(["umount", str(point)], check=False).returncode != 0:
                subprocess.run(["umount", "-l", str(point)], check=False)
        self.mounts.clear()

    def still_mounted(self) -> list[str]:
        table = Path("/proc/mounts").read_text().split("\n")
        prefix = f"{self.root}/"
        return [
            line for line in table if len(line.split()) > 1 and line.split()[1].startswith(prefix)
        ]

    def run(
        self, *command: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside, with a clean environment (plus ``env``); never raises."""
        base = {"PATH": CHROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8", "CI": "true"}
        if (self.root / "etc/ssl/host-ca.crt").exists():
            base["PIP_CERT"] = "/etc/ssl/host-ca.crt"
        variables = [f"{k}={v}" for k, v in {**base, **(env or {})}.items()]
        return subprocess.run(
            ["chroot", str(self.root), "/usr/bin/env", "-i", *variables, *command],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def remove(self) -> None:
        left = self.still_mounted()
        if left:  # never rm -rf through a bind mount of the host's /dev
            raise AssertionError(f"not removing {self.root}: still mounted: {left}")
        shutil.rmtree(self.root)
