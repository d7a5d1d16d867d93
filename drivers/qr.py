"""QR decoders behind ``drivers.base.QrDecoder``: zxing-cpp and pyzbar (ZBar).

Both libraries are imported lazily, so a kiosk configured for one does not need the other,
and a missing library is reported with the package to install instead of an ImportError.
Both are restricted to QR symbols: every other symbology is a chance of a false read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from drivers.base import GreyFrame, QrDecoder, Sighting
from drivers.qrfinder import finder_sightings
from kiosk.exc import ConfigError, HardwareError

__all__ = ["DECODERS", "PyzbarDecoder", "ZxingDecoder", "make_decoder", "sharpened_upscale"]


def _checked(frame: GreyFrame) -> GreyFrame:
    """Return ``frame`` as a C-contiguous 2-D uint8 array, or raise ValueError."""
    if frame.ndim != 2 or frame.dtype != np.uint8:
        raise ValueError(
            f"a QR decoder wants a 2-D uint8 luminance frame, got {frame.dtype} {frame.shape}"
        )
    return np.ascontiguousarray(frame)


def _unique(texts: Iterable[str]) -> list[str]:
    """Drop repeats (the same code found twice) while keeping the order found."""
    return list(dict.fromkeys(texts))


# How far the enhanced region reaches beyond the candidates, as a share of their extent:
# a candidate is often one finder pattern, and the code lies within about half its
# size again of the three finders (measured on the decode bench: 0.5 reads as many
# codes as 1.0 at half the cost on frames beyond the spec).
REGION_GROW = 0.5
REGION_PAD_PX = 8


def _corners(position: Any) -> np.ndarray:
    """The four corners of a zxing ``Position`` as a 4x2 array of (x, y)."""
    points = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.array([[point.x, point.y] for point in points], dtype=float)


def _region(corners: list[np.ndarray], shape: tuple[int, ...]) -> tuple[slice, slice]:
    """Rows and columns of ``shape`` around all ``corners``, grown by ``REGION_GROW``."""
    points = np.concatenate(corners)
    low, high = points.min(axis=0), points.max(axis=0)
    margin = (high - low).max() * REGION_GROW + REGION_PAD_PX
    x0, y0 = np.maximum(low - margin, 0).astype(int)
    x1, y1 = np.minimum(high + margin, (shape[1], shape[0])).astype(int)
    return slice(y0, y1), slice(x0, x1)


def sharpened_upscale(
    crop: GreyFrame, scale: float = 1.5, radius: float = 2.0, percent: int = 200
) -> GreyFrame:
    """``crop`` enlarged ``scale`` times (bilinear), then unsharp-masked.

    Small codes (2.5-3.5 px modules) blurred by half a module defeat zxing's binarizers:
    the sharpening restores the edges, and the enlargement gives its sampling grid more
    pixels per module. On the decode bench each half alone reads fewer codes than both,
    and 1.5x reads as many as 2x (radius 3) at about two thirds of the cost.
    """
    image = Image.fromarray(crop)
    if scale != 1:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.BILINEAR)
    if percent:
        image = image.filter(ImageFilter.UnsharpMask(radius=radius, percent=percent, threshold=0))
    return np.asarray(image)


class ZxingDecoder:
    """QR decoding with zxing-cpp (``pip install zxing-cpp``); also reads inverted codes.

    ``try_invert`` lets it read light-on-dark codes (a phone in dark mode) in the same call;
    ``try_downscale`` helps with large, blurred codes. Both are on by default because the
    decode bench shows they cost little on a 640x480 frame.

    When the first pass reads nothing, the frame is tried again with the ``fallback``
    binarizers: they are cheap (about 0.4 ms on an empty frame, on the bench machine) and
    they find the finder patterns of small, blurred codes that the first pass misses.
    If some pass found a QR-like candidate but none could read it, the region around the
    candidates is cut out, prepared by ``enhance`` (default ``sharpened_upscale``; None
    turns this off) and read with ``enhanced_binarizers``. On the decode bench that lifts
    in-spec reads from about 95% to over 99%; empty frames never get that far.
    """

    name = "zxing"

    def __init__(
        self,
        *,
        try_invert: bool = True,
        try_downscale: bool = True,
        try_rotate: bool = False,
        fallback: tuple[str, ...] = ("FixedThreshold", "GlobalHistogram"),
        enhance: Callable[[GreyFrame], GreyFrame] | None = sharpened_upscale,
        enhanced_binarizers: tuple[str, ...] = ("LocalAverage", "FixedThreshold"),
        zxing_module: Any = None,
    ) -> None:
        self._zx = zxing_module if zxing_module is not None else _import_zxing()
        self._fallback = [getattr(self._zx.Binarizer, name) for name in fallback]
        self._enhance = enhance
        self._enhanced = [getattr(self._zx.Binarizer, name) for name in enhanced_binarizers]
        self._last: tuple[GreyFrame, list[Any]] | None = None  # an unread frame, its candidates
        self._options = dict(
            # In zxing-cpp 3 QRCode also means Micro QR and rMQR. They stay on because their
            # unreadable hits mark the finder patterns of a blurred code (see _region), but
            # only a full QR code can hold a pass, so _texts keeps no other symbol's text.
            formats=self._zx.BarcodeFormat.QRCode,
            try_invert=try_invert,
            try_downscale=try_downscale,
            # QR finder patterns are rotation invariant; try_rotate only helps 1-D codes.
            try_rotate=try_rotate,
        )

    def decode(self, frame: GreyFrame) -> list[str]:
        """Return the text of every QR code in ``frame`` (none -> empty list)."""
        frame = _checked(frame)
        found = list(self._zx.read_barcodes(frame, return_errors=True, **self._options))
        texts = self._texts(found)
        binarizers = iter(self._fallback)
        while not texts and (binarizer := next(binarizers, None)) is not None:
            retry = self._zx.read_barcodes(
                frame, binarizer=binarizer, return_errors=True, **self._options
            )
            texts = self._texts(retry)
            found.extend(retry)
        if not texts and found and self._enhance is not None:
            texts = self._read_enhanced(frame, found, self._enhance)
        self._last = None if texts else (frame, found)
        return texts

    def unread(self) -> tuple[Sighting, ...]:
        """Codes in the last frame that could not be read: zxing's own unreadable candidates,
        else finder patterns found by ``drivers.qrfinder`` (looked for only when asked)."""
        if self._last is None:
            return ()
        return self.candidate_sightings() or finder_sightings(self._last[0])

    def candidate_sightings(self) -> tuple[Sighting, ...]:
        """Where zxing found a QR code in the last frame but could not read it."""
        if self._last is None:
            return ()
        qr = self._zx.BarcodeFormat.QRCode
        return tuple(_box(c.position) for c in self._last[1] if c.format == qr)

    def _read_enhanced(
        self, frame: GreyFrame, candidates: list[Any], enhance: Callable[[GreyFrame], GreyFrame]
    ) -> list[str]:
        """Read the region around unreadable ``candidates`` once more, enhanced."""
        rows, columns = _region([_corners(code.position) for code in candidates], frame.shape)
        image = np.ascontiguousarray(enhance(frame[rows, columns]))
        for binarizer in self._enhanced:
            texts = self._texts(self._zx.read_barcodes(image, binarizer=binarizer, **self._options))
            if texts:
                return texts
        return []

    def _texts(self, found: Iterable[Any]) -> list[str]:
        qr = self._zx.BarcodeFormat.QRCode
        return _unique(code.text for code in found if code.valid and code.format == qr)


def _box(position: Any) -> Sighting:
    corners = _corners(position)
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    return Sighting(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


class PyzbarDecoder:
    """QR decoding with ZBar through pyzbar (needs the ``libzbar0`` apt package).

    ZBar cannot read inverted (light-on-dark) codes. With ``try_invert`` a frame in which
    nothing was found is decoded a second time inverted; that doubles the cost of every
    empty frame (see ``bench/decode.py``), so it is off unless asked for.
    """

    name = "pyzbar"

    def __init__(self, *, try_invert: bool = False, pyzbar_module: Any = None) -> None:
        self._pyzbar = pyzbar_module if pyzbar_module is not None else _import_pyzbar()
        self._symbols = [self._pyzbar.ZBarSymbol.QRCODE]
        self._try_invert = try_invert
        self._last: GreyFrame | None = None

    def decode(self, frame: GreyFrame) -> list[str]:
        """Return the text of every QR code in ``frame`` (none -> empty list)."""
        frame = _checked(frame)
        texts = self._scan(frame)
        if not texts and self._try_invert:
            texts = self._scan(255 - frame)
        self._last = None if texts else frame
        return texts

    def unread(self) -> tuple[Sighting, ...]:
        """Finder patterns in the last frame when nothing was read (``drivers.qrfinder``)."""
        return () if self._last is None else finder_sightings(self._last)

    def _scan(self, frame: GreyFrame) -> list[str]:
        found = self._pyzbar.decode(frame, symbols=self._symbols)
        # ZBar hands QR text over as UTF-8 bytes; a code that is not UTF-8 is not one of ours,
        # so undecodable bytes become U+FFFD and the pass verifier rejects the text.
        return _unique(symbol.data.decode("utf-8", errors="replace") for symbol in found)


def _import_zxing() -> Any:
    try:
        import zxingcpp
    except ImportError as error:
        raise HardwareError(
            f"the zxing decoder needs the zxing-cpp package: pip install zxing-cpp ({error})"
        ) from error
    return zxingcpp


def _import_pyzbar() -> Any:
    try:
        from pyzbar import pyzbar
    except ImportError as error:
        # pyzbar itself is pure Python; the usual failure is the missing C library.
        raise HardwareError(
            "the pyzbar decoder needs pyzbar and the ZBar library: "
            f"pip install pyzbar and apt install libzbar0 ({error})"
        ) from error
    return pyzbar


DECODERS: dict[str, Callable[[], QrDecoder]] = {
    "zxing": ZxingDecoder,
    "pyzbar": PyzbarDecoder,
}


def make_decoder(name: str) -> QrDecoder:
    """Return the decoder called ``name`` ("zxing" or "pyzbar").

    Raises ConfigError for an unknown name and HardwareError when its library is missing.
    """
    try:
        factory = DECODERS[name]
    except KeyError:
        choices = ", ".join(sorted(DECODERS))
        raise ConfigError(f"unknown QR decoder {name!r}; choose one of: {choices}") from None
    return factory()
