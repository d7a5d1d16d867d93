"""What to tell a person whose code the camera sees but cannot read: closer, or hold still."""

from __future__ import annotations

from collections.abc import Sequence

from drivers.base import Sighting
from kiosk.view import Aim

__all__ = ["AIM_EVERY_S", "AIM_HOLD_S", "CLOSER_SHARE", "aim_for"]

AIM_EVERY_S = 0.2  # how often an unread frame is searched for a code
AIM_HOLD_S = 1.0  # a hint stays this long after the last sighting, so it does not flicker
# A pass is a QR code of about 53 modules (version 9); below about 2.5 pixels a module the
# decoder misses codes (see drivers.frames.within_spec), which at 640 pixels is a fifth of
# the frame's width: a code narrower than that is too far away, a wider one is blurred.
CLOSER_SHARE = 0.2


def aim_for(sightings: Sequence[Sighting], frame_width: int) -> Aim | None:
    """The hint for codes seen but not read in a frame ``frame_width`` pixels wide."""
    if not sightings:
        return None
    widest = max(max(s.width, s.height) for s in sightings)
    return Aim.CLOSER if widest < CLOSER_SHARE * frame_width else Aim.HOLD_STILL
