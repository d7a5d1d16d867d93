"""Office admins: the accounts of clerks and gate supervisors (residents register themselves)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from server.exc import ServerError
from server.models import Compound
from server.web.access import ADMINS, Viewer, require, web_of
from server.web.audit import audit
from server.web.auth import STAFF, UserRole, add_user
from server.web.render import PREFIX, page
from server.web.tables import User, UserCompound

router = APIRouter()
Admin = Annotated[Viewer, Depends(require(ADMINS))]
Text = Annotated[str, Form(max_length=200)]


def _listing(request: Request) -> dict[str, Any]:
    with web_of(request).transaction() as s:
        users = s.scalars(
            select(User).where(User.role != UserRole.RESIDENT.value).order_by(User.username)
        ).all()
        links = s.execute(select(UserCompound.user_id, UserCompound.compound_id)).all()
        compounds = s.scalars(select(Compound).order_by(Compound.id)).all()
    where: dict[int, list[str]] = {}
    for user_id, compound_id in links:
        where.setdefault(user_id, []).append(compound_id)
    return {
        "users": users,
        "where": where,
        "compounds": compounds,
        "roles": [r.value for r in STAFF],
    }


@router.get("/admin/users")
def users(request: Request, viewer: Admin) -> object:
    return page(request, "users.html", viewer, **_listing(request))


@router.post("/admin/users")
def create(
    request: Request,
    viewer: Admin,
    username: Text = "",
    password: Text = "",
    role: Text = "",
    compound: Text = "",
) -> object:
    web = web_of(request)
    form = {"username": username, "role": role, "compound": compound}
    try:
        if role not in [r.value for r in STAFF]:
            raise ServerError("admin.err.role")
        with web.transaction() as s:
            user = add_user(
                s,
                username,
                password,
                UserRole(role),
                now=web.now(),
                compounds=(compound,) if compound and role != UserRole.ADMIN.value else (),
            )
            audit(
                s,
                viewer,
                "add_user",
                f"user {user.username}",
                web.now(),
                role=role,
                compound=compound or None,
            )
    except ServerError as error:
        return page(
            request,
            "users.html",
            viewer,
            status=422,
            form=form,
            errors={"username": str(error)},
            **_listing(request),
        )
    return RedirectResponse(PREFIX + "/admin/users", status_code=303)
