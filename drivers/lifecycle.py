"""The lifecycle every driver shares: ``close()``, ``closed``, context manager, DeviceClosed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from kiosk.exc import DeviceClosed


class Device:
    """Base of every driver: close once, refuse use after close.

    Subclasses put their clean-up in ``_release()`` and call ``_check_open()`` at the top of
    every public operation.
    """

    _closed: bool = False

    @property
    def closed(self) -> bool:
        """True once ``close()`` has been called."""
        return self._closed

    def close(self) -> None:
        """Release the hardware; calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        self._release()

    def _release(self) -> None:
        """Give the hardware back (override)."""

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceClosed(f"{type(self).__name__} was used after close()")

    def __enter__(self) -> Self:
        self._check_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
