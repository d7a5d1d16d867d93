"""Errors a web page answers with: each has an HTTP status and words for the person."""

from __future__ import annotations


class WebError(Exception):
    """A request the office web app refuses; shown as a page with ``message``."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class LoginNeeded(WebError):
    """No valid session: GET pages redirect to the login page."""

    status = 401


class Forbidden(WebError):
    """Logged in, but this role or compound may not see or change this."""

    status = 403


class PasswordChangeNeeded(Forbidden):
    """An admin reset this password: GET pages lead to the page that changes it."""


class PageNotFound(WebError):
    """No such page, or nothing with that id."""

    status = 404


class CsrfFailed(Forbidden):
    """The form's CSRF token is missing or wrong (a stale page or another site's form)."""


class FormInvalid(WebError):
    """A form field's value is wrong; ``errors`` maps field name to message."""

    status = 422

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
