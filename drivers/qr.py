"""QR decoders behind ``drivers.base.QrDecoder``: zxing-cpp and pyzbar (ZBar).

Both libraries are imported lazily, so a kiosk configured for one does not need the other,
and a missing library is reported with the package to install instead of an ImportError.
Both are restricted to QR symbols: every other symbology is a chance of a false read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from drivers.base import GreyFrame, QrDecoder
from kiosk.exc import ConfigError, HardwareError

__all__ = ["DECODERS", "PyzbarDecoder", "ZxingDecoder", "make_decoder"]


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


class ZxingDecoder:
    """QR decoding with zxing-cpp (``pip install zxing-cpp``); also reads inverted codes.

    ``try_invert`` lets it read light-on-dark codes (a phone in dark mode) in the same call;
    ``try_downscale`` helps with large, blurred codes. Both are on by default because the
    decode bench shows they cost little on a 640x480 frame.

    When the first pass finds a QR symbol but cannot decode it (small, blurred, low
    contrast), it is tried again with the ``fallback`` binarizers: on the decode bench that
    lifts in-spec reads by several points, and empty frames (nothing found) cost no more.
    """

    name = "zxing"

    def __init__(
        self,
        *,
        try_invert: bool = True,
        try_downscale: bool = True,
        try_rotate: bool = False,
        fallback: tuple[str, ...] = ("FixedThreshold", "GlobalHistogram"),
        zxing_module: Any = None,
    ) -> None:
        self._zx = zxing_module if zxing_module is not None else _import_zxing()
        self._fallback = [getattr(self._zx.Binarizer, name) for name in fallback]
        self._options = dict(
            formats=self._zx.BarcodeFormat.QRCode,
            try_invert=try_invert,
            try_downscale=try_downscale,
            # QR finder patterns are rotation invariant; try_rotate only helps 1-D codes.
            try_rotate=try_rotate,
        )

    def decode(self, frame: GreyFrame) -> list[str]:
        """Return the text of every QR code in ``frame`` (none -> empty list)."""
        frame = _checked(frame)
        found = self._zx.read_barcodes(frame, return_errors=True, **self._options)
        texts = _unique(code.text for code in found if code.valid)
        binarizers = iter(self._fallback if found else ())
        while not texts and (binarizer := next(binarizers, None)) is not None:
            retry = self._zx.read_barcodes(frame, binarizer=binarizer, **self._options)
            texts = _unique(code.text for code in retry if code.valid)
        return texts


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

    def decode(self, frame: GreyFrame) -> list[str]:
        """Return the text of every QR code in ``frame`` (none -> empty list)."""
        frame = _checked(frame)
        texts = self._scan(frame)
        if not texts and self._try_invert:
            texts = self._scan(255 - frame)
        return texts

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
