"""A resident who moves out, and back: deactivation (with a reason) takes away their log-in,
their passes and the visitor passes and cars they invited; reactivation undoes it.

Both are one conditional UPDATE of the resident (``office.transition``), so two clicks do it once;
the revocations go into the change log and reach every kiosk at its next download.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from kiosk.vehicles.model import VehicleKind
from server import office, vehicles
from server.exc import AlreadyDone
from server.models import Holder, Pass, VehicleRow
from server.web import auth
from server.web.errors import FormInvalid, WebError
from server.web.tables import Invitation, User

DEACTIVATED = "deactivated"  # revoke_reason of a resident's own passes: undoing lifts it
HOST_DEACTIVATED = "host deactivated"  # of the visitor passes they had invited


def deactivate(
    session: Session, holder: Holder, reason: str, confirmed: bool, now: datetime
) -> list[str]:
    """A resident who moved away: inactive (saying why), their web log-in disabled, their passes
    and the visitor passes they invited revoked (kiosks refuse them after their next download);
    returns the pass ids. Once: a second click is told the resident is already inactive."""
    errors = {}
    if not reason.strip():
        errors["reason"] = "reg.err.reason"
    if not confirmed:
        errors["confirm"] = "person.err.confirm"
    if errors:
        raise FormInvalid(errors)
    try:
        office.transition(
            session,
            update(Holder)
            .where(Holder.id == holder.id, Holder.active)
            .values(active=False, inactive_reason=reason.strip()[:300], inactive_since=now),
            f"resident {holder.id} is already inactive",
        )
    except AlreadyDone:
        raise WebError("err.already_inactive", 409) from None
    logins = session.scalars(select(User).where(User.holder_id == holder.id)).all()
    for user in logins:
        user.active = False
        auth.end_sessions(session, user.id)
    own = select(Pass).where(Pass.holder_id == holder.id, Pass.revoked.is_(False))
    invited = select(Pass).where(
        Pass.pass_id.in_(
            select(Invitation.pass_id).where(Invitation.created_by.in_([u.id for u in logins]))
        ),
        Pass.revoked.is_(False),
        Pass.expires_at > now,
    )
    _withdraw_cars(session, [u.id for u in logins], now)
    return _revoke_all(session, own, DEACTIVATED) + _revoke_all(session, invited, HOST_DEACTIVATED)


def _withdraw_cars(session: Session, user_ids: list[int], now: datetime) -> None:
    """The visitor cars they invited that may still come: off the registry, as their visitor
    passes are revoked (and, like those, not back on it when the deactivation is undone)."""
    invited = select(VehicleRow).where(
        VehicleRow.created_by.in_(user_ids), VehicleRow.kind == VehicleKind.VISITOR.value
    )
    for car in session.scalars(invited).all():
        if vehicles.current(car, now):
            vehicles.remove_vehicle(session, car.id)


def _revoke_all(session: Session, passes: Select[Pass], reason: str) -> list[str]:
    revoked = []
    for row in session.scalars(passes).all():
        office.revoke_pass(session, row.pass_id)
        row.revoke_reason = reason
        revoked.append(row.pass_id)
    return revoked


def reactivate(session: Session, holder: Holder, now: datetime) -> list[str]:
    """Undo a deactivation: active again, their log-in enabled, and their own passes that the
    deactivation revoked valid again (if not expired); returns those pass ids. Visitor passes
    stay revoked: the visits they were for are best invited again."""
    try:
        office.transition(
            session,
            update(Holder)
            .where(Holder.id == holder.id, Holder.active.is_(False))
            .values(active=True, inactive_reason="", inactive_since=None),
            f"resident {holder.id} is already active",
        )
    except AlreadyDone:
        raise WebError("err.already_active", 409) from None
    for user in session.scalars(select(User).where(User.holder_id == holder.id)):
        user.active = True
    restored = []
    for row in session.scalars(
        select(Pass).where(
            Pass.holder_id == holder.id,
            Pass.revoked,
            Pass.revoke_reason == DEACTIVATED,
            Pass.expires_at > now,
        )
    ).all():
        office.revoke_pass(session, row.pass_id, revoked=False)
        row.revoke_reason = ""
        restored.append(row.pass_id)
    return restored
