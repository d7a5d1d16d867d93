"""QR decoders on synthetic frames: what they read, what they must not read, bad names."""

from __future__ import annotations

import numpy as np
import pytest
import segno
import zxingcpp

from drivers.base import GreyFrame, QrDecoder
from drivers.frames import FrameStyle, qr_modules, render_frame, within_spec
from drivers.qr import PyzbarDecoder, ZxingDecoder, make_decoder, sharpened_upscale
from kiosk.exc import ConfigError, HardwareError
from kiosk.passes.issuer import issue_pass
from kiosk.passes.testing import fixed_issuer_key, sample_claims

TEXT = "KIOSK1:household-42:abcdef0123456789"


def _plain_frame(text: str, module_px: int = 6, dark_on_light: bool = True) -> np.ndarray:
    """A 640x480 grey frame with one axis-aligned code on a mid-grey background."""
    matrix = np.array(segno.make_qr(text, error="m").matrix, dtype=bool)
    code = np.pad(np.where(matrix, 0, 255).astype(np.uint8), 4, constant_values=255)
    code = code.repeat(module_px, 0).repeat(module_px, 1)
    if not dark_on_light:
        code = 255 - code
    frame = np.full((480, 640), 128, np.uint8)
    frame[40 : 40 + code.shape[0], 60 : 60 + code.shape[1]] = code
    return frame


@pytest.mark.parametrize("name", ["zxing", "pyzbar"])
def test_make_decoder_reads_a_plain_code(name: str) -> None:
    decoder = make_decoder(name)
    assert isinstance(decoder, QrDecoder)
    assert decoder.name == name
    assert decoder.decode(_plain_frame(TEXT)) == [TEXT]


@pytest.mark.parametrize("name", ["zxing", "pyzbar"])
def test_empty_and_noise_frames_give_nothing(name: str) -> None:
    decoder = make_decoder(name)
    rng = np.random.default_rng(1)
    assert decoder.decode(np.zeros((480, 640), np.uint8)) == []
    assert decoder.decode(rng.integers(0, 256, (480, 640), dtype=np.uint8)) == []


def test_zxing_reads_inverted_code() -> None:
    assert ZxingDecoder().decode(_plain_frame(TEXT, dark_on_light=False)) == [TEXT]


def _small_blurred_pass(seed: int = 0) -> tuple[str, np.ndarray]:
    """A real pass (53 modules) at 2.8 px a module, blurred by 0.48 of a module: in spec."""
    text = issue_pass(fixed_issuer_key(), sample_claims())
    code_px = 150.0
    blur_px = 0.48 * code_px / qr_modules(text)
    style = FrameStyle(
        code_px=code_px,
        blur_px=blur_px,
        noise=4.0,
        contrast=0.7,
        rotation_deg=5.0,
        background_seed=3,
    )
    assert within_spec(text, style)
    return text, render_frame(text, style, np.random.default_rng(seed))


@pytest.mark.parametrize("seed", [0, 1])
def test_zxing_reads_small_blurred_pass_only_with_enhanced_retry(seed: int) -> None:
    text, frame = _small_blurred_pass(seed)
    assert ZxingDecoder(enhance=None).decode(frame) == []
    assert ZxingDecoder().decode(frame) == [text]


class _CountingEnhance:
    """``sharpened_upscale`` that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, crop: GreyFrame) -> GreyFrame:
        self.calls += 1
        return sharpened_upscale(crop)


def test_zxing_enhances_only_frames_with_an_unreadable_candidate() -> None:
    enhance = _CountingEnhance()
    decoder = ZxingDecoder(enhance=enhance)
    background = render_frame(None, FrameStyle(background_seed=3), np.random.default_rng(0))
    assert decoder.decode(background) == []
    assert decoder.decode(_plain_frame(TEXT)) == [TEXT]
    assert enhance.calls == 0
    text, blurred = _small_blurred_pass()
    assert decoder.decode(blurred) == [text]
    assert enhance.calls == 1


def test_zxing_returns_no_micro_qr_text() -> None:
    micro = np.array(segno.make_micro("KIOSK1").matrix, dtype=bool)
    code = np.pad(np.where(micro, 0, 255).astype(np.uint8), 2, constant_values=255)
    code = code.repeat(8, 0).repeat(8, 1)
    frame = np.full((480, 640), 128, np.uint8)
    frame[100 : 100 + code.shape[0], 100 : 100 + code.shape[1]] = code
    assert [found.text for found in zxingcpp.read_barcodes(frame)] == ["KIOSK1"]  # zxing sees it
    assert ZxingDecoder().decode(frame) == []


def test_pyzbar_reads_inverted_code_only_with_second_pass() -> None:
    frame = _plain_frame(TEXT, dark_on_light=False)
    assert PyzbarDecoder().decode(frame) == []
    assert PyzbarDecoder(try_invert=True).decode(frame) == [TEXT]


def test_unknown_decoder_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="pyzbar, zxing"):
        make_decoder("opencv")


def test_missing_zbar_library_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pyzbar(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("pyzbar"):
            raise ImportError("Unable to find zbar shared library")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pyzbar)
    with pytest.raises(HardwareError, match="libzbar0"):
        make_decoder("pyzbar")


@pytest.mark.parametrize("name", ["zxing", "pyzbar"])
def test_colour_frame_is_refused_clearly(name: str) -> None:
    with pytest.raises(ValueError, match="2-D uint8"):
        make_decoder(name).decode(np.zeros((480, 640, 3), np.uint8))
