"""What the camera shows the lane: codes to handle, the held-code filter and the aim hint.

A code just handled is ignored while it stays in view and ``cooldown_s`` after it was last
seen, so a phone still held up is not a second pass; a different code is read at once. The
cooldown runs from the moment the code left the view, never from the end of a screen: a code
lowered and raised again after ``cooldown_s`` is a new presentation and is read again. While
a code is seen but not read, the decoder's sightings give the viewfinder a hint (``Aim``).
"""

from __future__ import annotations

from drivers.base import FrameSource, GreyFrame, QrDecoder
from kiosk.aim import AIM_EVERY_S, AIM_HOLD_S, aim_for
from kiosk.view import Aim

__all__ = ["CodeReader"]


class CodeReader:
    """Reads one camera frame at a time for the state machine (which owns the camera)."""

    def __init__(self, cooldown_s: float) -> None:
        self.cooldown_s = cooldown_s
        self.frame: GreyFrame | None = None  # the newest camera frame (the viewfinder's)
        self.aim: Aim | None = None
        self.held_in_view = False  # the held code was in the newest frame
        self._held: tuple[str, float] | None = None  # (code, monotonic last seen)
        self._aim_until = float("-inf")
        self._aim_next = float("-inf")

    def read(self, camera: FrameSource, decoder: QrDecoder, mono: float) -> list[str]:
        """Codes in the newest frame, less one still held up since it was last handled.

        Raises the camera's ``HardwareError``."""
        frame = camera.read()
        if frame is None:
            return []
        texts = decoder.decode(frame)
        self.frame = frame
        held = self._held
        self.held_in_view = (
            held is not None and held[0] in texts and self._still_held(held[0], mono)
        )
        if self.held_in_view and held is not None:
            self._held = (held[0], mono)  # seen again: the cooldown starts when it leaves
        self._watch_aim(texts, frame, decoder, mono)
        return [t for t in texts if not self._still_held(t, mono)]

    def hold(self, text: str, mono: float) -> None:
        """``text`` is being handled: ignore it while it stays in view."""
        self._held, self.held_in_view = (text, mono), True

    def held_gone_for(self, mono: float) -> float:
        """Seconds since the held code was last seen (0 while it is in view)."""
        return 0.0 if self._held is None or self.held_in_view else mono - self._held[1]

    @property
    def held(self) -> str | None:
        """The code handled last, while it is still ignored or not."""
        return None if self._held is None else self._held[0]

    def _watch_aim(
        self, texts: list[str], frame: GreyFrame, decoder: QrDecoder, mono: float
    ) -> None:
        """Keep the viewfinder's hint while a code is seen but not read (and a moment after).

        The decoder is asked what it saw at most every ``AIM_EVERY_S``: a hint needs no more,
        and the camera's full frame rate stays with decoding."""
        if texts:
            self.aim, self._aim_until = None, float("-inf")
            return
        if mono >= self._aim_next:
            self._aim_next = mono + AIM_EVERY_S
            aim = aim_for(decoder.unread(), frame.shape[1])
            if aim is not None:
                self.aim, self._aim_until = aim, mono + AIM_HOLD_S
        if mono >= self._aim_until:
            self.aim = None

    def _still_held(self, text: str, mono: float) -> bool:
        """True for the code just handled while it stays in view (and ``cooldown_s`` after)."""
        if self._held is None or text != self._held[0]:
            return False
        return mono - self._held[1] < self.cooldown_s
