"""Staff accounts after they are made: disabled and enabled again, a password reset by an admin
(a temporary one the person must change at their next log-in), their compounds changed.

Every change that takes something away ends the account's sessions in the same transaction,
so a disabled clerk's open pages stop working at their next click.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server import office
from server.exc import AlreadyDone
from server.models import Compound
from server.web import auth, passwords
from server.web.auth import UserRole
from server.web.errors import FormInvalid, WebError
from server.web.tables import User, UserCompound


def set_active(session: Session, user: User, active: bool, by: int) -> None:
    """Disable (logged out everywhere at once) or enable an account; once, not twice."""
    if not active and user.id == by:
        raise WebError("err.account_self", 409)  # the last admin must not lock the office out
    state = "enabled" if active else "disabled"
    try:
        office.transition(
            session,
            update(User)
            .where(User.id == user.id, User.active.is_(not active))
            .values(active=active),
            f"user {user.username} is already {state}",
        )
    except AlreadyDone:
        raise WebError(f"err.account_already_{state}", 409) from None
    if not active:
        auth.end_sessions(session, user.id)


def reset_password(session: Session, user: User) -> str:
    """A new temporary password (returned once, stored only hashed) that must be changed at the
    next log-in; the account's sessions end, so whoever knew the old password is out."""
    temporary = passwords.temporary()
    user.password_hash = auth.HASHER.hash(temporary)
    user.must_change_password = True
    auth.end_sessions(session, user.id)
    return temporary


def change_password(
    session: Session, user: User, current: str, new: str, repeat: str, token: str | None
) -> None:
    """The person's own new password; other browsers of theirs are logged out."""
    errors = {}
    if not auth.verify_password(user.password_hash, current):
        errors["current"] = "account.err.current"
    key = passwords.problem(new, user.username)
    if key:
        errors["password"] = key
    elif new == current:
        errors["password"] = "account.err.same"
    elif new != repeat:
        errors["repeat"] = "account.err.repeat"
    if errors:
        raise FormInvalid(errors)
    user.password_hash = auth.HASHER.hash(new)
    user.must_change_password = False
    auth.end_sessions(session, user.id, keep=token)


def set_compounds(session: Session, user: User, compounds: list[str]) -> tuple[str, ...]:
    """The compounds a clerk or supervisor works for from now on; returns them sorted."""
    if user.role == UserRole.ADMIN.value:
        raise FormInvalid({"compound": "account.err.admin_compounds"})
    chosen = tuple(sorted(set(compounds)))
    known = set(session.scalars(select(Compound.id).where(Compound.id.in_(chosen))))
    if not chosen or set(chosen) - known:
        raise FormInvalid({"compound": "admin.err.compound"})
    session.execute(delete(UserCompound).where(UserCompound.user_id == user.id))
    session.add_all(UserCompound(user_id=user.id, compound_id=c) for c in chosen)
    return chosen
