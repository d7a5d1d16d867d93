"""Errors of the kiosk. Each also inherits a builtin so callers can catch either."""

from __future__ import annotations


class KioskError(Exception):
    """Root of every error the kiosk raises on purpose."""


class ConfigError(KioskError, ValueError):
    """The configuration file is missing, malformed or holds a bad value."""


class PassError(KioskError, ValueError):
    """A credential could not be parsed or verified; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class TrustListError(KioskError, ValueError):
    """A trust-list or key file is malformed."""


class HardwareError(KioskError, OSError):
    """A hardware part failed."""


class SensorFault(HardwareError):
    """The thermometer gave no reading or a reading that cannot be a real temperature."""


class CameraError(HardwareError):
    """The camera gave no frames."""


class DeviceClosed(KioskError, RuntimeError):
    """A device was used after close()."""


class StoreError(KioskError, OSError):
    """The event log could not be read or written (disk full, corrupt file).

    ``kind`` names the cause for the alarm: "full", "read_only", "corrupt", "cannot_open",
    "newer", "replaced", "busy" or "other" (``kiosk.datafile``).
    """

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        self.kind = kind


class SyncError(KioskError, ConnectionError):
    """The office server could not be reached or refused a request."""


class FontMissing(KioskError, FileNotFoundError):
    """No installed font can draw Chinese text (install fonts-wqy-microhei)."""


class PlateReaderMissing(KioskError, ImportError):
    """The OCR engine that reads licence plates is not installed."""


class DisplayError(HardwareError):
    """The screen could not be opened (no display, wrong SDL video driver)."""


class KioskWarning(UserWarning):
    """Root of warnings about degraded-but-working modes."""


class ClockUntrustedWarning(KioskWarning):
    """The wall clock is behind the last trusted time seen; timestamps are provisional."""
