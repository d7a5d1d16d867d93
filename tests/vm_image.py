"""A bootable arm64 disk image of a kiosk, for the emulated whole-machine boot.

It starts from the tree setup.sh's first run leaves in the root file system tests/rootfs_build.py
builds, run as tests/test_rootfs.py proves it (device mode as a fleet installs it: the kiosk
service installed and enabled; tests/rootfs_provisioned.py), taken from that proof's cache or
made here by the same run. To it come what a Raspberry Pi OS image has and a root file system
lacks: Debian's arm64 kernel with its modules (virtio-gpu, the i6300esb watchdog, virtio disks
and network), an initrd, networking (systemd-networkd, DHCP from QEMU's user network), an fstab
with the kiosk's data partition (docs/hardware.md, "Data partition"), and a kernel console on
the first serial port. The test writes the kiosk's configuration (simulated camera,
thermometer and relay, and the real screen: SDL's kmsdrm on the emulated GPU, through the Mesa
setup.sh installed).

The image is cached under /var/cache/kiosk-rootfs (or $KIOSK_ROOTFS_CACHE) with the kernel and
initrd beside it, keyed by the provisioned tree's key (the base root file system, this
checkout's files that setup.sh and the install read: setup.sh, deploy/, pyproject.toml …, not
the kiosk's own Python packages nor tests/, docs/, bench/) and the recipe below (bump FORMAT
when a step changes). The kiosk's own packages change with nearly every commit, and
reinstalling them costs seconds where provisioning costs minutes under emulation: each boot
disk (``VmImage.boot_disk``) takes the cached tree with this checkout's packages put in place of
the installed ones (as ``pip install`` of the same pure-Python wheel would), compiled, and made
an ext4 image with ``mkfs.ext4 -d`` (no loop mount).
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.rootfs_build import CACHE, PACKAGES, Chroot
from tests.rootfs_provisioned import FLEET_TOML, MARKER, RECIPE, SETUP_ARGS, provisioned_path

__all__ = ["DATA_LABEL", "KIOSK_CONFIG", "VmImage", "cached_image", "image_key"]

ROOT = Path(__file__).resolve().parents[1]

# Bump when the steps below change in a way the other inputs do not show.
FORMAT = 3
# What Raspberry Pi OS Lite has and a minbase debootstrap does not.
KERNEL_PACKAGES = ("linux-image-arm64", "initramfs-tools", "kmod", "udev", "e2fsprogs")
ROOT_SIZE = "3G"  # sparse: the tree is about 1.5 GB
DATA_LABEL = "kioskdata"
# The kiosk's own config as the image ships it; the test writes its office's address in.
KIOSK_CONFIG = "/etc/kiosk/kiosk.toml"
FSTAB = f"""\
/dev/vda / ext4 defaults,noatime 0 1
LABEL={DATA_LABEL} /var/lib/kiosk ext4 defaults,noatime,commit=5 0 2
"""
NETWORK = "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n"
# The emulated machine's watchdog; systemd arms it (RuntimeWatchdogSec, setup.sh) once loaded.
MODULES = "i6300esb\n"
# The initrd needs only what mounts the root: copying "most" modules under emulation took
# minutes. initramfs-tools adds their dependencies.
INITRD_CONF = "MODULES=list\n"
INITRD_MODULES = "virtio_pci\nvirtio_blk\next4\n"


@dataclass(frozen=True)
class VmImage:
    """A cached kiosk disk image with the kernel and initrd to boot it."""

    folder: Path
    kiosk_uid: int

    @property
    def tree(self) -> Path:
        return self.folder / "tree"

    @property
    def kernel(self) -> Path:
        return self.folder / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.folder / "initrd.img"

    def boot_disk(self, where: Path) -> Path:
        """A root image to boot, of the cached system with this checkout's kiosk installed."""
        install_checkout(self.tree)
        disk = where / "root.img"
        _run(["mkfs.ext4", "-q", "-L", "kioskroot", "-d", str(self.tree), str(disk), ROOT_SIZE])
        return disk


def install_checkout(tree: Path) -> None:
    """This checkout's packages in place of those installed in ``tree``'s kiosk venvs."""
    venvs = sorted(tree.glob("opt/kiosk/app/releases/*/venv/lib/python3*/site-packages"))
    if not venvs:
        raise AssertionError("no kiosk venv under /opt/kiosk/app/releases in the image")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for site in venvs:
        for package in PACKAGES:
            shutil.rmtree(site / package, ignore_errors=True)
            shutil.copytree(ROOT / package, site / package, ignore=skip)
        # As pip would leave it. Bytecode is only portable to the same Python version.
        if site.parent.name == f"python{sys.version_info.major}.{sys.version_info.minor}":
            for package in PACKAGES:
                compileall.compile_dir(site / package, quiet=1)


def image_key(provisioned: Path) -> str:
    """A hash of everything the image is made of: the provisioned system (its cache name says
    what shaped it, tests/rootfs_provisioned.py) and the machine's recipe here."""
    recipe = (
        FORMAT,
        KERNEL_PACKAGES,
        ROOT_SIZE,
        FSTAB,
        NETWORK,
        MODULES,
        INITRD_CONF,
        INITRD_MODULES,
    )
    return hashlib.sha256(f"{provisioned.name}|{recipe!r}".encode()).hexdigest()[:16]


def cached_image(base: Path, work: Path, timings: dict[str, float]) -> VmImage:
    """The kiosk image made from ``base`` (a cached root file system), built when not cached.

    It starts from the tree setup.sh's first run left in ``base`` as tests/test_rootfs.py
    proves it (same fleet file and arguments), taken from that proof's cache when it is there,
    else made here by the same run; only the machine's own parts are added here."""
    provisioned = provisioned_path(base, RECIPE)
    folder = CACHE / f"vm-{base.name}-{image_key(provisioned)}"
    if (folder / ".complete").exists():
        return VmImage(folder, json.loads((folder / ".complete").read_text())["kiosk_uid"])
    started = time.monotonic()
    work.mkdir(parents=True, exist_ok=True)
    cached = (provisioned / MARKER).exists()
    box = Chroot(provisioned if cached else base, work, base.name.split("-")[0])
    timings["image_from_provisioned_cache"] = float(cached)
    try:
        box.copy_checkout()
        box.mount()
        if not cached:
            _setup(box)
        _add_the_machine(box)
    finally:
        box.unmount()
    timings["image_provision_s"] = time.monotonic() - started
    build = CACHE / f"build-vm-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    uid = _finish_tree(box.root, build)
    shutil.move(box.root, build / "tree")  # unmounted above: nothing of the host's inside
    (build / ".complete").write_text(json.dumps({"kiosk_uid": uid, "built": time.time()}))
    timings["image_build_s"] = time.monotonic() - started
    shutil.rmtree(folder, ignore_errors=True)
    build.rename(folder)  # only a finished image ever gets the cache's name
    return VmImage(folder, uid)


def _setup(box: Chroot) -> None:
    """setup.sh's first run, as tests/test_rootfs.py runs it."""
    (box.root / "root/fleet.toml").write_text(FLEET_TOML)
    setup = box.run("bash", "/opt/src/setup.sh", *SETUP_ARGS)
    if setup.returncode != 0:
        raise AssertionError(f"setup.sh failed:\n{setup.stdout[-6000:]}\n{setup.stderr[-4000:]}")


def _add_the_machine(box: Chroot) -> None:
    """What a Pi's system has and a root file system lacks: the kernel, an initrd, networking."""
    initrd = box.root / "etc/initramfs-tools"
    (initrd / "conf.d").mkdir(parents=True, exist_ok=True)
    (initrd / "conf.d/emulated-machine.conf").write_text(INITRD_CONF)
    (initrd / "modules").write_text(INITRD_MODULES)
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    installed = box.run(
        "apt-get", "install", "-y", "-q", "--no-install-recommends", *KERNEL_PACKAGES, env=env
    )
    if installed.returncode != 0:
        raise AssertionError(f"kernel packages:\n{installed.stdout[-4000:]}{installed.stderr}")
    enabled = box.run("systemctl", "enable", "systemd-networkd")
    if enabled.returncode != 0:
        raise AssertionError(f"systemctl enable systemd-networkd: {enabled.stderr}")


def _finish_tree(root: Path, build: Path) -> int:
    """Write the machine's files, take the kernel and initrd out; the kiosk user's uid."""
    (root / "etc/fstab").write_text(FSTAB)
    (root / "etc/hostname").write_text("gate-emu-1\n")
    (root / "etc/systemd/network").mkdir(parents=True, exist_ok=True)
    (root / "etc/systemd/network/20-wired.network").write_text(NETWORK)
    (root / "etc/modules-load.d/emulated-watchdog.conf").write_text(MODULES)
    for name in ("etc/dpkg/dpkg.cfg.d/kiosk-test-unsafe-io", "etc/resolv.conf"):
        (root / name).unlink(missing_ok=True)
    (root / "etc/resolv.conf").symlink_to("/run/systemd/resolve/resolv.conf")
    for kind, target in (("vmlinuz-*", "vmlinuz"), ("initrd.img-*", "initrd.img")):
        found = sorted((root / "boot").glob(kind))
        if not found:
            raise AssertionError(f"no /boot/{kind} in the image: did linux-image-arm64 install?")
        shutil.copy2(found[-1], build / target)
    shutil.rmtree(root / "opt/src")
    shutil.rmtree(root / "var/lib/apt/lists", ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True)
    for line in (root / "etc/passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == "kiosk":
            return int(fields[2])
    raise AssertionError("setup.sh made no 'kiosk' user")


def data_disk(where: Path, uid: int, files: dict[str, bytes], size: str = "256M") -> Path:
    """The kiosk's data partition (ext4, label kioskdata), holding ``files``, owned by the
    kiosk user as setup.sh leaves /var/lib/kiosk (mode 750)."""
    tree = where / "data-tree"
    tree.mkdir()
    for name, content in files.items():
        path = tree / name
        for folder in [*reversed(path.relative_to(tree).parents)][1:]:
            if not (tree / folder).exists():
                (tree / folder).mkdir(mode=0o750)
                os.chown(tree / folder, uid, uid)
        path.write_bytes(content)
        os.chown(path, uid, uid)
        os.chmod(path, 0o600)
    os.chmod(tree, 0o750)
    disk = where / "data.img"
    _run(
        [
            "mkfs.ext4",
            "-q",
            "-L",
            DATA_LABEL,
            "-E",
            f"root_owner={uid}:{uid}",
            "-d",
            str(tree),
            str(disk),
            size,
        ]
    )
    _debugfs(disk, "sif / mode 040750\n")  # mkfs copies the owner, not the mode
    return disk


def write_file(disk: Path, path: str, content: bytes, uid: int, gid: int, mode: int) -> None:
    """Put ``content`` at ``path`` in an ext4 image, its folder made if missing (debugfs: no
    mount, no root)."""
    local = disk.parent / f".put-{Path(path).name}"
    local.write_bytes(content)
    requests = (
        f"mkdir {Path(path).parent}\nrm {path}\nwrite {local} {path}\n"
        f"sif {path} uid {uid}\nsif {path} gid {gid}\nsif {path} mode 0{0o100000 | mode:o}\n"
    )
    _debugfs(disk, requests)
    local.unlink()


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr[-4000:]}"
        )
    return result


def _debugfs(disk: Path, requests: str) -> None:
    result = subprocess.run(
        ["debugfs", "-w", "-f", "-", str(disk)],
        input=requests,
        capture_output=True,
        text=True,
        check=False,
    )
    # debugfs exits 0 whatever happened; its complaints name the request.
    trouble = [
        line
        for line in result.stderr.splitlines()
        if ":" in line
        and "debugfs" not in line
        and "File not found by ext2_lookup" not in line
        and "already exists" not in line
    ]
    if result.returncode != 0 or trouble:
        raise AssertionError(f"debugfs could not change {disk}: {requests}{result.stderr}")
