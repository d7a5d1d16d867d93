"""Accounts and logins: argon2 password hashes, session tokens, and a login rate limit.

Pure database work on a Session (no HTTP here): ``server.web.access`` turns a cookie into a
``Viewer`` with these functions, and ``server.cli`` makes the first admin with ``add_user``.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.exc import AlreadyExists, NotFound, ServerConfigError
from server.invisible import has_invisible
from server.models import Compound
from server.office import token_hash
from server.web import passwords
from server.web.tables import LoginFailure, User, UserCompound, WebSession

HASHER = PasswordHasher()
MIN_PASSWORD = passwords.MIN_PASSWORD
STAFF_SESSION = timedelta(hours=12)
RESIDENT_SESSION = timedelta(days=180)  # the resident's phone keeps showing the pass
FAILURE_WINDOW = timedelta(minutes=15)
# Failed log-ins of one user name from one address: these many are free, then each next try
# waits twice as long as the last (1 s, 2 s, 4 s ... at most MAX_DELAY). Nobody elsewhere is
# slowed, so guessing a clerk's password cannot lock the clerk out.
FREE_FAILURES = 3
MAX_DELAY = timedelta(minutes=5)
MAX_FAILURES_PER_ADDRESS = 30


class UserRole(StrEnum):
    ADMIN = "admin"  # the whole office: every compound
    CLERK = "clerk"  # the compounds given to them
    SUPERVISOR = "supervisor"  # read-only gate log and alarms of their compounds
    RESIDENT = "resident"  # their own household


STAFF = (UserRole.ADMIN, UserRole.CLERK, UserRole.SUPERVISOR)


class TooManyAttempts(ServerConfigError):
    """Too many failed logins lately for this user name or this address."""

    status = 429

    def __init__(self, wait: timedelta) -> None:
        minutes = max(1, int(wait.total_seconds() // 60) + 1)
        super().__init__(f"too many failed logins; try again in {minutes} min")
        self.minutes = minutes
        self.seconds = max(1, math.ceil(wait.total_seconds()))


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: User
    token: str  # the cookie value; only its hash is stored
    expires_at: datetime
    lifetime: timedelta  # for the cookie's Max-Age: the browser's clock need not agree with ours


def hash_password(password: str, username: str = "") -> str:
    """The argon2 hash of a password the policy accepts (else passwords.WeakPassword)."""
    passwords.check(password, username)
    return HASHER.hash(password)


def add_user(
    session: Session,
    username: str,
    password: str,
    role: UserRole,
    *,
    now: datetime,
    compounds: tuple[str, ...] = (),
    display_name: str = "",
    holder_id: int | None = None,
    household_id: str | None = None,
) -> User:
    """A new account; clerks and supervisors need at least one compound."""
    username = username.strip()
    if not username:
        raise ServerConfigError("a user needs a user name")
    if not username_ok(username):
        raise ServerConfigError(f"user name {username!r}: no spaces or control characters")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AlreadyExists(f"user {username!r} already exists")
    if role in (UserRole.CLERK, UserRole.SUPERVISOR) and not compounds:
        raise ServerConfigError(f"a {role.value} needs a compound (--compound)")
    for compound_id in compounds:
        if session.get(Compound, compound_id) is None:
            raise NotFound(f"no compound {compound_id!r}; add it first")
    user = User(
        username=username,
        password_hash=hash_password(password, username),
        role=role.value,
        display_name=display_name or username,
        holder_id=holder_id,
        household_id=household_id,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    session.add_all(UserCompound(user_id=user.id, compound_id=c) for c in compounds)
    return user


def username_ok(username: str) -> bool:
    """Typed at every log-in and shown in the audit log: nothing invisible, no spaces."""
    return not (has_invisible(username) or any(c.isspace() for c in username))


def login(
    session: Session, username: str, password: str, address: str, now: datetime
) -> User | None:
    """The user whose password this is, or None (the failure is recorded: commit it).

    Raises TooManyAttempts while this user name has failed too often lately from this address
    (a growing wait) or this address has failed too often with any name. An unknown or disabled
    user costs the same argon2 work as a real one, so the answer's time tells nothing.
    """
    name = username.strip()
    pair = "pair:" + token_hash(f"{address}\n{name.lower()}")[:48]
    by_address = f"addr:{address}"[:120]
    _wait_for(session, pair, now)
    check_attempts(session, by_address, MAX_FAILURES_PER_ADDRESS, FAILURE_WINDOW, now)
    user = session.scalar(select(User).where(User.username == name))
    right = verify_password(_dummy_hash() if user is None else user.password_hash, password)
    if user is None or not right or not user.active:
        for key in (pair, by_address):
            count_attempt(session, key, now)
        return None
    session.execute(delete(LoginFailure).where(LoginFailure.key == pair))
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    return user


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the argon2 hash ``stored`` (False for a damaged hash)."""
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: dict[int, str] = {}


def _dummy_hash() -> str:
    """A hash made with the current hasher's cost that no password matches."""
    key = id(HASHER)
    if key not in _DUMMY:
        _DUMMY.clear()
        _DUMMY[key] = HASHER.hash(secrets.token_urlsafe(24))
    return _DUMMY[key]


def _wait_for(session: Session, key: str, now: datetime) -> None:
    """Raise TooManyAttempts until the growing wait after ``key``'s latest failure is over."""
    query = select(func.count(), func.max(LoginFailure.at)).where(
        LoginFailure.key == key, LoginFailure.at > now - FAILURE_WINDOW
    )
    count, latest = session.execute(query).one()
    if count < FREE_FAILURES:
        return
    wait = min(timedelta(seconds=2 ** min(count - FREE_FAILURES, 20)), MAX_DELAY)
    if now < latest + wait:
        raise TooManyAttempts(latest + wait - now)


def check_attempts(
    session: Session, key: str, limit: int, window: timedelta, now: datetime
) -> None:
    """Raise TooManyAttempts when ``key`` was counted ``limit`` times within ``window``."""
    query = select(func.count(), func.min(LoginFailure.at)).where(
        LoginFailure.key == key, LoginFailure.at > now - window
    )
    count, oldest = session.execute(query).one()
    if count >= limit:
        raise TooManyAttempts(oldest + window - now)


def count_attempt(session: Session, key: str, now: datetime) -> None:
    """Count one attempt of ``key`` (a failed login, a self-registration) for the limits."""
    session.add(LoginFailure(key=key[:120], at=now))


def start_session(session: Session, user: User, now: datetime) -> LoginResult:
    token = secrets.token_urlsafe(32)
    lasts = RESIDENT_SESSION if user.role == UserRole.RESIDENT else STAFF_SESSION
    row = WebSession(
        token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + lasts
    )
    session.add(row)
    return LoginResult(user, token, row.expires_at, lasts)


def session_user(session: Session, token: str | None, now: datetime) -> User | None:
    """The active user of a session cookie, or None (unknown, expired or deactivated)."""
    if not token:
        return None
    row = session.get(WebSession, token_hash(token))
    if row is None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def end_sessions(session: Session, user_id: int, keep: str | None = None) -> None:
    """Log a user out everywhere (but the browser whose session token is ``keep``)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep:
        query = query.where(WebSession.token_hash != token_hash(keep))
    session.execute(query)


def user_compounds(session: Session, user: User) -> frozenset[str]:
    rows = session.scalars(select(UserCompound.compound_id).where(UserCompound.user_id == user.id))
    return frozenset(rows)
