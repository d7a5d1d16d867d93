"""A resident's photo from a phone camera: checked, turned upright, stripped, cropped, shrunk.

Phones send multi-megabyte JPEGs (or HEIC-converted ones) with EXIF: GPS position, device,
orientation. We keep none of it: the picture is decoded, rotated as EXIF says, cropped to a
3:4 portrait around the centre, resized to 300x400 and encoded afresh as a plain JPEG, which
also fits the kiosk's photo limit (office.MAX_PHOTO_BYTES).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = (300, 400)  # width, height: a 3:4 portrait, as on a paper pass
MIN_SIDE = 120  # smaller than this cannot show a face a guard can compare
MAX_UPLOAD = 12 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
FORMATS = ("JPEG", "PNG", "WEBP")


class PhotoInvalid(ValueError):
    """The upload is not a usable photo: ``key`` names the words in the catalogue (with
    ``values``); the message is the English words, for logs and the command line."""

    def __init__(self, key: str, english: str, **values: object) -> None:
        super().__init__(english.format(**values))
        self.key = key
        self.values = values


def prepare(data: bytes) -> bytes:
    """The photo as a metadata-free 300x400 JPEG, or PhotoInvalid."""
    if not data:
        raise PhotoInvalid(
            "photo.err.missing", "no photo was sent; take one with the camera button"
        )
    if len(data) > MAX_UPLOAD:
        raise PhotoInvalid(
            "photo.err.large", "the photo is larger than {mib} MiB", mib=MAX_UPLOAD >> 20
        )
    image = _open(data)
    upright = ImageOps.exif_transpose(image) or image
    if min(upright.size) < MIN_SIDE:
        raise PhotoInvalid(
            "photo.err.small",
            "the photo is too small ({width}×{height}); at least {least} pixels each side",
            width=upright.width,
            height=upright.height,
            least=MIN_SIDE,
        )
    portrait = ImageOps.fit(upright.convert("RGB"), SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    portrait.save(out, "JPEG", quality=85, optimize=True)  # no exif=, no icc: nothing carried
    return out.getvalue()


def _open(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise PhotoInvalid(
                    "photo.err.format",
                    "a {kind} file is not a photo we take; use JPEG or PNG",
                    kind=image.format,
                )
            if image.width * image.height > MAX_PIXELS:
                raise PhotoInvalid("photo.err.pixels", "the photo has too many pixels")
            image.load()
    except PhotoInvalid:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise PhotoInvalid(
            "photo.err.unreadable", "the file is not a readable photo (JPEG or PNG)"
        ) from None
    return image
