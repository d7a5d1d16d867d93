"""``kiosk scan``: find QR codes in image files, verify each, print one JSON line per code.

    kiosk scan --trust office.json [--decoder zxing|pyzbar] [--at ISO8601] IMAGE...

An image without a code prints one line with ``decoded`` false and reason ``no_qr_code``;
an unreadable image, reason ``bad_image``. Exit status: 0 all valid, 1 any invalid or not
decoded, 2 usage, trust-file or decoder error.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from drivers.base import GreyFrame, QrDecoder
from drivers.qr import DECODERS, make_decoder
from kiosk.commands.verify import add_common_arguments, make_verifier, result_line
from kiosk.exc import KioskError
from kiosk.passes.verify import Verifier


def add_parser(sub: Any, name: str) -> None:
    p = sub.add_parser(name, help="decode QR codes in image files and verify them")
    add_common_arguments(p)
    p.add_argument(
        "--decoder", choices=sorted(DECODERS), default="zxing", help="QR decoder (default zxing)"
    )
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="PNG, JPEG, ... files")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    verifier = make_verifier(args.trust)
    if verifier is None:
        return 2
    try:
        decoder = make_decoder(args.decoder)
    except KioskError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    at = args.at or datetime.now(UTC)
    lines = [line for image in args.images for line in scan_image(image, decoder, verifier, at)]
    for line, _ in lines:
        print(line)
    return 0 if all(valid for _, valid in lines) else 1


def scan_image(
    path: Path, decoder: QrDecoder, verifier: Verifier, at: datetime
) -> list[tuple[str, bool]]:
    """The output lines for one image file, each with whether its code is valid."""
    try:
        grey = load_grey(path)
    except (OSError, UnidentifiedImageError) as error:
        line = result_line(
            str(path), None, text=None, decode_ms=None, reason="bad_image", detail=str(error)
        )
        return [(line, False)]
    started = time.perf_counter()
    texts = decoder.decode(grey)
    decode_ms = round((time.perf_counter() - started) * 1000, 3)
    if not texts:
        line = result_line(
            str(path),
            None,
            text=None,
            decode_ms=decode_ms,
            reason="no_qr_code",
            detail="no QR code found",
        )
        return [(line, False)]
    results = []
    for text in texts:
        v = verifier.verify(text, at)
        line = result_line(str(path), v, text=text, decode_ms=decode_ms)
        results.append((line, v.valid))
    return results


def load_grey(path: Path) -> GreyFrame:
    """An image file as an 8-bit grey array, as the kiosk camera delivers frames."""
    with Image.open(path) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)
