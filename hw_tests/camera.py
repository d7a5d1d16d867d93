"""Camera check: frames arrive, are neither black nor frozen, are in focus, and a pass decodes.

    python -m hw_tests.camera [--sim] [--timeout S] [--non-interactive]

Hold a pass (any QR code) 20-40 cm in front of the camera when asked. At a car gate
(``[lane] kind = "vehicle"``) the frames are in colour and a licence plate is read instead, with
the reader the kiosk makes for the camera's measured placement: drive a car up to the barrier,
or hold a plate about 3 m in front of the camera, 0.5 m above the road.
"""

from __future__ import annotations

import numpy as np

from drivers.base import FrameSource, GreyFrame
from drivers.camera_webcam import luminance
from drivers.qr import make_decoder
from hw_tests.harness import CheckFailed, Options, Person, Skipped, wait_until
from hw_tests.rig import Rig

FRAMES = 8
BLACK_MAX = 24  # brightest pixel of a frame from a capped or unplugged camera
MIN_FOCUS = 40.0  # variance of the Laplacian; a sharp indoor scene gives hundreds
TEST_TEXT = "KIOSK-CAMERA-TEST"
TEST_PLATE = "京A12345"  # the simulated car's


def focus_metric(frame: GreyFrame) -> float:
    """Variance of the 4-neighbour Laplacian: high for sharp edges, low for a blurred image
    (of the luminance of a car gate's RGB frame)."""
    f = (luminance(frame) if frame.ndim == 3 else frame).astype(np.float32)
    lap = f[1:-1, :-2] + f[1:-1, 2:] + f[:-2, 1:-1] + f[2:, 1:-1] - 4 * f[1:-1, 1:-1]
    return float(lap.var())


def grab(camera: FrameSource, count: int, timeout_s: float) -> list[GreyFrame]:
    """``count`` frames, or CheckFailed when they do not arrive in time."""
    frames: list[GreyFrame] = []

    def more() -> bool:
        frame = camera.read()
        if frame is not None:
            frames.append(np.array(frame))
        return len(frames) >= count

    wait_until(more, timeout_s, f"the camera gave {len(frames)} of {count} frames: is the "
               "ribbon cable seated the right way round and camera_auto_detect=1 set?")
    return frames


def judge(frames: list[GreyFrame], focus_for: str = "20-40 cm") -> str:
    """Refuse black, frozen and blurred frames; describe good ones."""
    brightest = max(int(f.max()) for f in frames)
    if brightest <= BLACK_MAX:
        raise CheckFailed(f"every frame is black (brightest pixel {brightest}): lens cap? light?")
    if all(np.array_equal(frames[0], f) for f in frames[1:]):
        raise CheckFailed(f"{len(frames)} frames are identical: the camera stream is stuck")
    focus = max(focus_metric(f) for f in frames)
    if focus < MIN_FOCUS:
        raise CheckFailed(
            f"the image is blurred (focus {focus:.0f} < {MIN_FOCUS:g}): clean the lens; a "
            f"fixed-focus module must be refocused for {focus_for}, or use Camera Module 3"
        )
    h, w = frames[0].shape[:2]
    return f"{len(frames)} frames {w}x{h}, mean {np.mean(frames[-1]):.0f}, focus {focus:.0f}"


def decode_pass(rig: Rig, camera: FrameSource, person: Person, timeout_s: float) -> str:
    """Wait for a QR code held up to the camera; return its text."""
    decoder = make_decoder(rig.config.camera.decoder)
    person.ask_to("hold a pass (any QR code) 20-40 cm in front of the camera",
                  lambda: rig.sim_camera.present(TEST_TEXT))
    found: list[str] = []

    def decoded() -> bool:
        frame = camera.read()
        if frame is not None:
            found.extend(decoder.decode(frame))
        return bool(found)

    seconds = wait_until(decoded, timeout_s, f"no QR code was read ({decoder.name})")
    return f"decoded {found[0][:24]!r} in {seconds:.1f} s"


def read_plate(rig: Rig, camera: FrameSource, person: Person, timeout_s: float) -> str:
    """Wait for a licence plate in front of the car gate's camera; say what was read where."""
    from kiosk.app import plate_camera
    from kiosk.plates.reader import PlateReader
    from kiosk.vehicles.camera import as_rgb

    reader = PlateReader.placed(plate_camera(rig.config))
    person.ask_to("drive a car up to the barrier, or hold a plate 3 m in front of the camera "
                  "and 0.5 m above the road", lambda: rig.sim_camera.present(TEST_PLATE, 3.0))
    found = []

    def read() -> bool:
        frame = camera.read()
        if frame is not None:
            found.extend(reader.read(as_rgb(frame)))
        return bool(found)

    where = "the whole frame" if reader.roi is None else f"rows {reader.roi[1]}-{reader.roi[3]}"
    seconds = wait_until(read, timeout_s, f"no plate was read (searched {where}): is the plate "
                         "in the picture, lit, and [lane] camera_* as the camera is mounted?")
    left, top, right, bottom = found[0].box
    return (f"read plate {found[0].text} in {seconds:.1f} s, {right - left}x{bottom - top} px "
            f"at ({left}, {top})")


def check(rig: Rig, person: Person, options: Options) -> str:
    """Frames, then a decoded pass, or at a car gate a plate read (skipped without a person)."""
    camera = rig.camera()
    if rig.config.lane.kind == "vehicle":
        result = judge(grab(camera, FRAMES, options.timeout_s), focus_for="3-8 m")
        try:
            return f"{result}; {read_plate(rig, camera, person, options.timeout_s)}"
        except Skipped:
            return f"{result}; reading a plate skipped (needs a car or a plate)"
    result = judge(grab(camera, FRAMES, options.timeout_s))
    try:
        return f"{result}; {decode_pass(rig, camera, person, options.timeout_s)}"
    except Skipped:
        return f"{result}; decoding skipped (needs a person)"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("camera", check))
