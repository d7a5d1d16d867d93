"""Errors of the office server. Each carries the HTTP status and stable code of its reply."""

from __future__ import annotations

from sync.protocol import ErrorCode


class ServerError(Exception):
    """Root of every error the office server raises on purpose."""

    status = 500
    code = ErrorCode.INTERNAL


class ServerConfigError(ServerError, ValueError):
    """A database URL, file or setting given to the server is unusable."""


class Refused(ServerConfigError):
    """Input the office does not take, with its words in the catalogue (``key``, ``values``)
    for a page in the clerk's language, and in English as the message."""

    status = 400

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message.format(**values))
        self.key = key
        self.values = values


class NotFound(ServerError, LookupError):
    """A compound, household, holder, pass or kiosk does not exist."""

    status = 404
    code = ErrorCode.NOT_FOUND


class AlreadyExists(ServerError, ValueError):
    """Something with that id already exists."""

    status = 409
    code = ErrorCode.DEVICE_TAKEN


class AlreadyDone(ServerError, ValueError):
    """A state change someone else made first (a second click, a second clerk): not made twice."""

    status = 409


class Unauthorized(ServerError, PermissionError):
    """No credential, or one the server does not know."""

    status = 401
    code = ErrorCode.UNAUTHORIZED


class KioskRevoked(ServerError, PermissionError):
    """The office locked this kiosk out; enroll it again with a new code."""

    status = 403
    code = ErrorCode.KIOSK_REVOKED


class DeviceMismatch(ServerError, PermissionError):
    """A kiosk sent events in another device's name."""

    status = 403
    code = ErrorCode.DEVICE_MISMATCH


class CodeInvalid(ServerError, PermissionError):
    """An enrollment code that is unknown, already used or expired."""

    status = 403
    code = ErrorCode.CODE_INVALID
