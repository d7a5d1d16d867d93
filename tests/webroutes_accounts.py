"""Access table rows for the account life cycle: an admin's staff account page, and everyone's
own password page."""

from __future__ import annotations

from sqlalchemy import select

from server.web import auth
from server.web.auth import UserRole
from server.web.tables import User
from tests.webtools import PASSWORD, World

ADMIN, LOGGED_IN, CLERK = "admin", "logged_in", "clerk"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/admin/users/{user_id}"): ADMIN,
    ("POST", "/admin/users/{user_id}/disable"): ADMIN,
    ("POST", "/admin/users/{user_id}/enable"): ADMIN,
    ("POST", "/admin/users/{user_id}/reset"): ADMIN,
    ("POST", "/admin/users/{user_id}/compounds"): ADMIN,
    ("GET", "/account/password"): LOGGED_IN,
    ("POST", "/account/password"): LOGGED_IN,
    ("POST", "/p/{holder_id}/reactivate"): CLERK,
}


def params(world: World) -> dict[str, str]:
    """A clerk account of its own for the admin's buttons (disabling clerk1 would change the
    answers the walk expects for clerk1)."""
    with world.office.session() as s:
        found = s.scalar(select(User.id).where(User.username == "walk-clerk"))
        if found is None:
            made = auth.add_user(
                s, "walk-clerk", PASSWORD, UserRole.CLERK, now=world.clock(), compounds=("c1",)
            )
            s.flush()
            found = made.id
    return {"user_id": str(found)}
