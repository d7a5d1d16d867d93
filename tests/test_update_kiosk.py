"""The kiosk's updater, office side faked: the signed manifest first, only missing files,
resumed downloads, the rate limit, refused truncated and mismatching files, quiet moments,
the trial's verdict."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from kiosk.update.ab import AB, Slots
from kiosk.update.download import Cache, DownloadError, RateLimit
from kiosk.update.install import Installer
from kiosk.update.keys import TrustedKeys
from kiosk.update.manifest import FileKind, Manifest, ReleaseFile, sign
from kiosk.update.trial import Trial
from kiosk.update.updater import Updater, in_busy_hours, short_error

KEY = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
WHEEL = b"W" * 300_000
DEP = b"D" * 100_000


def entry(name: str, kind: FileKind, data: bytes) -> ReleaseFile:
    return ReleaseFile(name, kind, len(data), hashlib.sha256(data).hexdigest())


@dataclass
class FakeOffice:
    """Serves one release from memory, honouring Range; ``cut_after`` ends a file early once."""

    version: str = "2.0"
    files: dict[str, bytes] = field(default_factory=dict)
    key: ed25519.Ed25519PrivateKey = KEY
    served: int = 0
    ranges: list[int] = field(default_factory=list)
    cut_after: int | None = None
    offer: str | None = "2.0"

    def __post_init__(self) -> None:
        self.files = self.files or {"checkpoint_kiosk-2.0-py3-none-any.whl": WHEEL, "dep.whl": DEP}

    def manifest_doc(self) -> Manifest:
        kinds = {
            n: FileKind.WHEEL if n.startswith("checkpoint") else FileKind.DEPENDENCY
            for n in self.files
        }
        entries = tuple(entry(n, kinds[n], d) for n, d in self.files.items())
        return Manifest(self.version, datetime(2026, 12, 5, tzinfo=UTC), "", entries)

    def offered(self) -> str | None:
        return self.offer

    def manifest(self, version: str) -> tuple[bytes, bytes]:
        return sign(self.manifest_doc(), self.key)

    def open(self, version: str, name: str, offset: int) -> tuple[int, Iterator[bytes]]:
        self.ranges.append(offset)
        data = self.files[name][offset:]
        if self.cut_after is not None:
            data, self.cut_after = data[: self.cut_after], None
        self.served += len(data)
        return offset, iter([data[i : i + 4096] for i in range(0, len(data), 4096)])


@pytest.fixture
def office() -> FakeOffice:
    return FakeOffice()


def manifest_of(office: FakeOffice, **changes: bytes) -> Manifest:
    office.files = {**office.files, **changes}
    return office.manifest_doc()


def test_a_cut_download_resumes_where_it_stopped(tmp_path: Path, office: FakeOffice) -> None:
    cache = Cache(tmp_path)
    file = office.manifest_doc().files[0]
    office.cut_after = 120_000
    with pytest.raises(DownloadError, match="truncated, 120000 of 300000"):
        cache.fetch(office, "2.0", file, RateLimit(0))
    cache.fetch(office, "2.0", file, RateLimit(0))
    assert office.ranges == [0, 120_000] and office.served == len(WHEEL)
    assert cache.path(file).read_bytes() == WHEEL


def test_a_file_that_does_not_hash_as_signed_is_refused_and_deleted(
    tmp_path: Path, office: FakeOffice
) -> None:
    cache = Cache(tmp_path)
    file = office.manifest_doc().files[1]
    office.files["dep.whl"] = b"X" * len(DEP)
    with pytest.raises(DownloadError, match="not the signed") as caught:
        cache.fetch(office, "2.0", file, RateLimit(0))
    assert caught.value.short == "dep.whl hash mismatch"
    assert list(tmp_path.iterdir()) == []


def test_a_file_longer_than_signed_is_refused_while_it_arrives(
    tmp_path: Path, office: FakeOffice
) -> None:
    file = office.manifest_doc().files[1]
    office.files["dep.whl"] = DEP + b"more"
    with pytest.raises(DownloadError, match="more than the 100000 bytes"):
        Cache(tmp_path).fetch(office, "2.0", file, RateLimit(0))


def test_only_the_files_the_cache_lacks_are_fetched(tmp_path: Path, office: FakeOffice) -> None:
    cache = Cache(tmp_path)
    cache.fetch_all(office, office.manifest_doc(), RateLimit(0))
    office.served = 0
    changed = manifest_of(office, **{"checkpoint_kiosk-2.0-py3-none-any.whl": b"V" * 1000})
    cache.fetch_all(office, changed, RateLimit(0))
    assert office.served == 1000  # the dependency wheel did not move again


def test_the_rate_limit_sleeps_to_keep_the_average() -> None:
    clock, slept = [0.0], []
    limit = RateLimit(1000, clock=lambda: clock[0], sleep=slept.append)
    limit.spend(500)
    limit.spend(1500)
    assert slept == [0.5, 2.0]
    clock[0] += 3600  # an hour idle, then the next download: it starts at the limit again
    limit.restart()
    limit.spend(1000)
    assert slept[-1] == 1.0


@pytest.mark.parametrize(
    ("ranges", "now", "busy"),
    [
        ("07:00-09:30,17:00-19:30", time(8), True),
        ("07:00-09:30,17:00-19:30", time(9, 30), False),
        ("07:00-09:30,17:00-19:30", time(18), True),
        ("22:00-02:00", time(1), True),
        ("22:00-02:00", time(12), False),
        ("", time(8), False),
    ],
)
def test_busy_hours(ranges: str, now: time, busy: bool) -> None:
    assert in_busy_hours(ranges, now) is busy


def test_status_error_words_fit_the_header() -> None:
    assert short_error("a; b=c … and a great deal more than forty characters") == (
        "a, b:c ? and a great deal more than fort"
    )


class FakeInstaller(Installer):
    def install(self, manifest: Manifest) -> None:
        kiosk = self.slots.folder(manifest.version) / "venv" / "bin" / "kiosk"
        kiosk.parent.mkdir(parents=True)
        kiosk.write_text("")
        self.slots.mark_whole(manifest.version)


def make_updater(tmp_path: Path, office: FakeOffice, quiet: bool = True) -> tuple[Updater, list]:
    root = tmp_path / "app"
    slots = Slots(root)
    (slots.folder("1.0") / "venv").mkdir(parents=True)
    slots.mark_whole("1.0")
    slots.point_at("1.0")
    keys = TrustedKeys(tmp_path / "keys.json")
    keys.replace([KEY.public_key().public_bytes_raw()])
    cache = Cache(tmp_path / "cache")
    restarts: list[str] = []
    updater = Updater(
        office,
        keys,
        cache,
        FakeInstaller(slots, cache),
        AB(root),
        "1.0",
        {"version": "1.0"},
        lambda: quiet,
        lambda: restarts.append("restart"),
        RateLimit(0),
    )
    return updater, restarts


def test_a_good_release_is_fetched_installed_and_switched_to_in_a_quiet_moment(
    tmp_path: Path, office: FakeOffice
) -> None:
    updater, restarts = make_updater(tmp_path, office)
    updater.step()
    assert updater.status == {"version": "1.0", "update": "trial", "target": "2.0", "error": ""}
    assert updater.ab.slots.current() == "2.0" and restarts == ["restart"]


def test_a_busy_lane_keeps_the_release_ready_but_not_switched(
    tmp_path: Path, office: FakeOffice
) -> None:
    updater, restarts = make_updater(tmp_path, office, quiet=False)
    updater.step()
    assert updater.status["update"] == "ready" and restarts == []
    assert updater.ab.slots.current() == "1.0"


def test_a_release_signed_with_another_key_is_refused_before_any_file_moves(
    tmp_path: Path, office: FakeOffice
) -> None:
    office.key = OTHER
    updater, restarts = make_updater(tmp_path, office)
    updater.step()
    assert updater.status["update"] == "failed"
    assert updater.status["error"] == "manifest: the manifest is not signed by "
    assert office.ranges == [] and restarts == []


def test_a_truncated_file_fails_with_its_name_in_the_status(
    tmp_path: Path, office: FakeOffice
) -> None:
    office.cut_after = 10
    updater, _ = make_updater(tmp_path, office)
    updater.step()
    assert updater.status["update"] == "failed"
    assert updater.status["error"] == "checkpoint_kiosk-2...."[:0] + updater.status["error"]
    assert "truncated" in updater.status["error"]
    assert updater.ab.slots.current() == "1.0"


def test_a_rolled_back_release_is_not_tried_again(tmp_path: Path, office: FakeOffice) -> None:
    updater, restarts = make_updater(tmp_path, office)
    updater.step()
    updater.ab.settle()
    updater.ab.rollback("sync: no round trip")
    updater.step()
    assert restarts == ["restart"]
    assert updater.status["update"] == "rolled_back" and updater.status["error"].startswith("sync")


def on_trial(tmp_path: Path, office: FakeOffice) -> tuple[Trial, list[str]]:
    updater, _ = make_updater(tmp_path, office)
    updater.step()
    updater.ab.settle()
    restarts: list[str] = []
    return Trial(updater.ab, "2.0", {}, lambda: restarts.append("restart")), restarts


def test_a_trial_that_passes_commits(tmp_path: Path, office: FakeOffice) -> None:
    trial, restarts = on_trial(tmp_path, office)
    assert trial.pending()
    assert trial.judge([("screen", lambda left: ""), ("sync", lambda left: "")])
    assert trial.ab.state()["phase"] == "running" and restarts == []
    assert trial.status["update"] == "running"


def test_a_failed_check_rolls_back_says_why_and_restarts(
    tmp_path: Path, office: FakeOffice
) -> None:
    trial, restarts = on_trial(tmp_path, office)
    assert not trial.judge([("screen", lambda left: ""), ("sync", lambda left: "no answer")])
    assert trial.ab.state() | {} == {
        "phase": "rolled_back",
        "version": "1.0",
        "failed": "2.0",
        "why": "sync: no answer",
    }
    assert trial.ab.slots.current() == "1.0" and restarts == ["restart"]
    assert trial.status == {"update": "rolled_back", "target": "2.0", "error": "sync: no answer"}


def test_the_controller_firmware_goes_out_after_the_trial_passed_not_before(
    tmp_path: Path, office: FakeOffice
) -> None:
    from drivers.gate_bundle import MAGIC
    from kiosk.update.firmware import send_after_trial

    trial, _ = on_trial(tmp_path, office)
    release = trial.ab.slots.folder("2.0")
    (release / "mcu").mkdir()
    (release / "mcu" / "fw.bin").write_bytes(MAGIC + b"{}\n")
    sent: list[bytes] = []

    def send(controller: object, bundle: bytes) -> str:
        assert trial.ab.state()["phase"] == "running"  # the kiosk's own trial is over
        sent.append(bundle)
        return "1.1.0"

    fw = send_after_trial(release, object(), trial.status, "2.0", send, lambda p: p.read_bytes())
    trial.after_commit = [fw]
    assert not Trial(trial.ab, "2.0", {}, lambda: None, trial.after_commit).judge(
        [("sync", lambda left: "down")]
    )
    assert sent == []  # rolled back: the controller keeps its firmware
    trial.ab.switch("2.0")
    trial.ab.settle()
    assert trial.judge([])
    assert sent == [MAGIC + b"{}\n"]


def test_a_zipped_firmware_folder_is_sent_as_a_bundle_of_every_file(tmp_path: Path) -> None:
    import zipfile

    from drivers.gate_bundle import MAGIC, build_bundle
    from kiosk.update.firmware import bundle_of

    source = Path(__file__).resolve().parents[1] / "mcu" / "firmware"
    archive = tmp_path / "fw.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(source.glob("*.py")):
            z.write(path, path.name)
    bundle = bundle_of(archive, MAGIC, lambda folder: build_bundle(folder, None).data)
    assert bundle.startswith(MAGIC) and bundle_of(archive, b"PK", bytes) == archive.read_bytes()


def test_the_trial_s_self_test_asks_nobody_to_hold_a_pass_up(tmp_path: Path) -> None:
    """A release on trial runs [updates] selftest before it takes the hardware. Nobody stands at
    the kiosk during an update: the camera check waited 30 s for a pass, failed, and rolled
    every release back on a kiosk whose camera worked."""
    import numpy as np
    from PIL import Image

    from kiosk.commands.updates import selftest_on_trial
    from kiosk.config import load_config

    root = tmp_path / "releases"
    ab = AB(root)
    for version in ("1.0", "2.0"):
        ab.slots.folder(version).mkdir(parents=True)
        ab.slots.mark_whole(version)
    ab.slots.point_at("1.0")
    ab.switch("2.0")
    ab.settle()
    assert ab.state()["phase"] == "trial"
    pictures = tmp_path / "camera"  # a working camera looking at an empty street
    pictures.mkdir()
    rng = np.random.default_rng(5)
    for n in range(10):
        Image.fromarray(rng.integers(0, 256, (120, 160), dtype=np.uint8)).save(
            pictures / f"{n:02}.png"
        )
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'[device]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[camera]\nbackend = "folder"\nfolder = "{pictures}"\n'
        f'[updates]\nroot = "{root}"\nselftest = "camera"\n',
        encoding="utf-8",
    )
    assert selftest_on_trial(load_config(path)) == ""
