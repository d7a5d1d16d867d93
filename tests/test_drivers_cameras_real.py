"""The picamera2 and webcam back ends against fake modules that record what they are asked."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from drivers.base import FrameSource
from drivers.camera_picamera2 import Picamera2Camera
from drivers.camera_webcam import WebcamCamera, luminance
from kiosk.exc import CameraError, DeviceClosed

LIBCAMERA = SimpleNamespace(controls=SimpleNamespace(AfModeEnum=SimpleNamespace(Continuous="AF-C")))
STRIDE = 704  # the ISP pads rows


class FakePicamera2:
    """Records calls like picamera2.Picamera2 would receive them."""

    def __init__(self, camera_num: int, *, autofocus: bool) -> None:
        self.calls: list[tuple[str, Any]] = [("open", camera_num)]
        self.camera_controls: dict[str, tuple[int, int, int]] = {"ExposureTime": (1, 66666, 0)}
        if autofocus:
            self.camera_controls["AfMode"] = (0, 2, 0)

    def create_preview_configuration(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("create_preview_configuration", kwargs))
        return dict(kwargs)

    def configure(self, config: dict[str, Any]) -> None:
        self.calls.append(("configure", config))

    def set_controls(self, controls: dict[str, Any]) -> None:
        self.calls.append(("set_controls", controls))

    def start(self) -> None:
        self.calls.append(("start", None))

    def capture_array(self, name: str) -> np.ndarray:
        self.calls.append(("capture_array", name))
        if name == "main":  # RGB888: B, G, R in memory
            return np.tile(np.array([10, 20, 30], np.uint8), (480, 640, 1))
        yuv = np.full((480 * 3 // 2, STRIDE), 128, np.uint8)
        yuv[:480, :640] = np.arange(640, dtype=np.uint8)  # Y plane: a ramp
        return yuv

    def stop(self) -> None:
        self.calls.append(("stop", None))

    def close(self) -> None:
        self.calls.append(("close", None))


def _module(autofocus: bool) -> tuple[SimpleNamespace, list[FakePicamera2]]:
    made: list[FakePicamera2] = []

    def factory(camera_num: int) -> FakePicamera2:
        made.append(FakePicamera2(camera_num, autofocus=autofocus))
        return made[-1]

    return SimpleNamespace(Picamera2=factory), made


def _names(camera: FakePicamera2) -> list[str]:
    return [name for name, _ in camera.calls]


def test_picamera2_configures_lores_yuv_without_queue() -> None:
    module, made = _module(autofocus=False)
    Picamera2Camera((640, 480), module, libcamera_module=LIBCAMERA, fps=10)
    fake = made[0]
    config = dict(fake.calls)["create_preview_configuration"]
    assert config["lores"] == {"size": (640, 480), "format": "YUV420"}
    assert config["queue"] is False
    assert config["buffer_count"] <= 3
    assert config["controls"]["FrameDurationLimits"] == (100_000, 100_000)
    assert _names(fake) == ["open", "create_preview_configuration", "configure", "start"]


def test_picamera2_sets_continuous_autofocus_only_when_available() -> None:
    module, made = _module(autofocus=True)
    camera = Picamera2Camera((640, 480), module, libcamera_module=LIBCAMERA)
    assert camera.autofocus
    assert ("set_controls", {"AfMode": "AF-C"}) in made[0].calls
    assert _names(made[0]).index("set_controls") < _names(made[0]).index("start")


def test_picamera2_reads_the_y_plane_of_lores() -> None:
    module, made = _module(autofocus=False)
    with Picamera2Camera((640, 480), module, libcamera_module=LIBCAMERA) as camera:
        assert isinstance(camera, FrameSource)
        frame = camera.read()
        assert frame.shape == (480, 640) and frame.dtype == np.uint8
        assert frame[0, 5] == 5 and frame[479, 639] == 127
        assert ("capture_array", "lores") in made[0].calls
    assert _names(made[0])[-2:] == ["stop", "close"]
    with pytest.raises(DeviceClosed):
        camera.read()


def test_picamera2_missing_camera_is_a_camera_error() -> None:
    def no_camera(camera_num: int) -> None:
        raise IndexError("list index out of range")

    with pytest.raises(CameraError, match="no Pi camera 0 found"):
        Picamera2Camera(
            picamera2_module=SimpleNamespace(Picamera2=no_camera), libcamera_module=LIBCAMERA
        )


def test_picamera2_missing_library_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "picamera2", None)  # makes the import fail
    with pytest.raises(CameraError, match="apt install python3-picamera2"):
        Picamera2Camera()


def test_picamera2_for_the_car_gate_reads_rgb_from_the_main_stream() -> None:
    module, made = _module(autofocus=False)
    with Picamera2Camera((640, 480), module, libcamera_module=LIBCAMERA, colour=True) as camera:
        frame = camera.read()
        assert frame.shape == (480, 640, 3) and tuple(frame[7, 9]) == (30, 20, 10)
        assert ("capture_array", "main") in made[0].calls
    config = dict(made[0].calls)["create_preview_configuration"]
    assert config["main"] == {"size": (640, 480), "format": "RGB888"}


class FakePygameCamera:
    def __init__(self, device: str, size: tuple[int, int], mode: str) -> None:
        self.device, self.size, self.mode = device, size, mode
        self.ready = True
        self.started = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.started = False

    def query_image(self) -> bool:
        return self.ready

    def get_image(self) -> np.ndarray:
        surface = np.zeros((self.size[0], self.size[1], 3), np.uint8)  # (x, y, rgb)
        surface[:, :, 0] = 255  # red
        surface[3, 1] = (255, 255, 255)  # one white pixel at x=3, y=1
        return surface


def _pygame(cameras: list[str]) -> tuple[SimpleNamespace, list[FakePygameCamera]]:
    made: list[FakePygameCamera] = []

    def camera(device: str, size: tuple[int, int], mode: str) -> FakePygameCamera:
        made.append(FakePygameCamera(device, size, mode))
        return made[-1]

    module = SimpleNamespace(
        camera=SimpleNamespace(init=lambda: None, list_cameras=lambda: cameras, Camera=camera),
        surfarray=SimpleNamespace(pixels3d=lambda surface: surface),
    )
    return module, made


def test_webcam_gives_luminance_frames_row_major() -> None:
    module, made = _pygame(["/dev/video0"])
    with WebcamCamera((8, 6), "/dev/video0", pygame_module=module) as camera:
        assert made[0].device == "/dev/video0" and made[0].started
        frame = camera.read()
        assert frame is not None and frame.shape == (6, 8)
        assert frame[0, 0] == 76 and frame[1, 3] == 255
        made[0].ready = False
        assert camera.read() is None
    assert not made[0].started


def test_webcam_for_the_car_gate_gives_rgb_frames_row_major() -> None:
    module, _ = _pygame(["/dev/video0"])
    with WebcamCamera((8, 6), "/dev/video0", pygame_module=module, colour=True) as camera:
        frame = camera.read()
        assert frame is not None and frame.shape == (6, 8, 3)
        assert tuple(frame[0, 0]) == (255, 0, 0) and tuple(frame[1, 3]) == (255, 255, 255)


def _pi_video_nodes(by_id: Path, *usb: str) -> None:
    """/dev/v4l/by-id as udev makes it on a Pi: platform nodes plus the USB cameras named."""
    by_id.mkdir()
    for name in ("platform-fe801000.csi-video-index0", "platform-bcm2835-codec-video-index0", *usb):
        (by_id / name).symlink_to("../../video0")


def test_webcam_auto_takes_the_usb_capture_node_never_the_pis_own(tmp_path: Path) -> None:
    # pygame lists /dev/video0 first: on a Pi that is the CSI receiver (unicam).
    module, made = _pygame(["/dev/video0", "/dev/video1", "/dev/video10"])
    by_id = tmp_path / "by-id"
    _pi_video_nodes(
        by_id,
        "usb-Logitech_C270_200901010001-video-index1",
        "usb-Logitech_C270_200901010001-video-index0",
    )
    with WebcamCamera((8, 6), pygame_module=module, by_id=by_id):
        assert made[0].device == str(by_id / "usb-Logitech_C270_200901010001-video-index0")


def test_webcam_absent_is_a_camera_error_that_names_the_setting(tmp_path: Path) -> None:
    module, made = _pygame(["/dev/video0"])  # only the Pi's own nodes
    _pi_video_nodes(tmp_path / "by-id")
    with pytest.raises(CameraError, match=r"no USB webcam.*\[camera\] device"):
        WebcamCamera(pygame_module=module, by_id=tmp_path / "by-id")
    assert made == []


def test_luminance_weights() -> None:
    rgb = np.array([[[255, 255, 255], [0, 0, 0], [0, 255, 0]]], np.uint8)
    assert luminance(rgb).tolist() == [[255, 0, 149]]
