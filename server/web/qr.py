"""Pass QR codes as images for web pages (as ``kiosk.passes.write_qr_png`` draws them)."""

from __future__ import annotations

import segno

SCALE = 10  # pixels per module: a version 9-10 pass is ~570 px, sharp on a phone at full width


def qr_data_uri(text: str, *, scale: int = SCALE, border: int = 4) -> str:
    """A PNG ``data:`` URI: the page carries its own QR, so a cached copy shows it offline."""
    qr = segno.make_qr(text, error="m", mode="alphanumeric", boost_error=False)
    uri: str = qr.png_data_uri(scale=scale, border=border)
    return uri
