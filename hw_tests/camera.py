"""Camera check: frames arrive, are neither black nor frozen, are in focus, and a pass decodes.

    python -m hw_tests.camera [--sim] [--timeout S] [--non-interactive]

Hold a pass (any QR code) 20-40 cm in front of the camera when asked.
"""

from __future__ import annotations

import numpy as np

from drivers.base import FrameSource, GreyFrame
from drivers.qr import make_decoder
from hw_tests.harness import CheckFailed, Options, Person, Skipped, wait_until
from hw_tests.rig import Rig

FRAMES = 8
BLACK_MAX = 24  # brightest pixel of a frame from a capped or unplugged camera
MIN_FOCUS = 40.0  # variance of the Laplacian; a sharp indoor scene gives hundreds
TEST_TEXT = "KIOSK-CAMERA-TEST"


def focus_metric(frame: GreyFrame) -> float:
    """Variance of the 4-neighbour Laplacian: high for sharp edges, low for a blurred image."""
    f = frame.astype(np.float32)
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


def judge(frames: list[GreyFrame]) -> str:
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
            "fixed-focus module must be refocused for 20-40 cm, or use Camera Module 3"
        )
    h, w = frames[0].shape
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


def check(rig: Rig, person: Person, options: Options) -> str:
    """Frames, then a decoded pass (skipped without a person)."""
    camera = rig.camera()
    result = judge(grab(camera, FRAMES, options.timeout_s))
    try:
        return f"{result}; {decode_pass(rig, camera, person, options.timeout_s)}"
    except Skipped:
        return f"{result}; decoding skipped (needs a person)"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("camera", check))
