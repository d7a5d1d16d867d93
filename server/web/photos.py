"""A resident's photo from a phone camera: checked, turned upright, stripped, cropped, shrunk.

Phones send multi-megabyte JPEGs (or HEIC-converted ones) with EXIF: GPS position, device,
orientation. We keep none of it: the picture is decoded, rotated as EXIF says, cropped to a
3:4 portrait around the centre, resized to 300x400 and encoded afresh as a plain JPEG, which
also fits the kiosk's photo limit (office.MAX_PHOTO_BYTES).

Decoding is the one costly step a stranger can ask for, so it is bounded three ways: the
header's width and height are checked before a pixel is decoded; a JPEG is decoded as a
reduced draft (1/2 to 1/8 scale, no bigger than twice the card needs), while a PNG or WebP,
which has no draft, may have far fewer pixels; and at most DECODERS photos decode at once,
however many sign-ups arrive together.
"""

from __future__ import annotations

import io
import threading
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = (300, 400)  # width, height: a 3:4 portrait, as on a paper pass
MIN_SIDE = 120  # smaller than this cannot show a face a guard can compare
MAX_UPLOAD = 12 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a JPEG's header may say this much: it is decoded as a small draft
MAX_FULL_PIXELS = 16_000_000  # a PNG or WebP is decoded whole: 64 MB as RGBA at most
DRAFT = (SIZE[0] * 2, SIZE[1] * 2)
DECODERS = 2  # photos decoding at once, whatever the number of sign-ups arriving together
FORMATS = ("JPEG", "PNG", "WEBP")
_decoding = threading.BoundedSemaphore(DECODERS)


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
        raise too_large()
    with _decoding:
        return _prepared(_open(data))


def too_large() -> PhotoInvalid:
    return PhotoInvalid(
        "photo.err.large", "the photo is larger than {mib} MiB", mib=MAX_UPLOAD >> 20
    )


def _prepared(image: Image.Image) -> bytes:
    if min(image.size) < MIN_SIDE:
        raise PhotoInvalid(
            "photo.err.small",
            "the photo is too small ({width}×{height}); at least {least} pixels each side",
            width=image.width,
            height=image.height,
            least=MIN_SIDE,
        )
    # Shrunk by a whole factor (the copy keeps the EXIF orientation), so the cover crop below
    # still has at least the draft's size on its shorter side.
    factor = int(min(image.width / DRAFT[0], image.height / DRAFT[1]))
    smaller = image.reduce(factor) if factor >= 2 else image
    upright = ImageOps.exif_transpose(smaller) or smaller
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
            limit = MAX_PIXELS if image.format == "JPEG" else MAX_FULL_PIXELS
            if image.width * image.height > limit:  # from the header: nothing decoded yet
                raise PhotoInvalid("photo.err.pixels", "the photo has too many pixels")
            if image.format == "JPEG":
                image.draft("RGB", DRAFT)  # DCT scaling: decodes at 1/2, 1/4 or 1/8 size
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
