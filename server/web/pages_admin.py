"""Office admins: accounts of clerks and gate supervisors (residents register themselves) and
each compound's settings: name, time zone of its pages, most entries a visitor pass may allow,
how long its gate log and visitor data are kept."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from server import retention
from server.exc import NotFound, ServerError
from server.models import Compound
from server.web import i18n, logwords, passwords
from server.web.access import ADMINS, Viewer, require, web_of
from server.web.audit import audit
from server.web.auth import STAFF, UserRole, add_user, username_ok
from server.web.lookup import get_or_404
from server.web.render import PREFIX, language_of, page
from server.web.tables import AuditEntry, User, UserCompound
from server.web.timefmt import DEFAULT_ZONE

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
    errors = _account_errors(username, password, role, compound)
    if errors:
        return _users_page(request, viewer, form, errors)
    try:
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
    except NotFound as error:
        return _users_page(request, viewer, form, {"compound": str(error)})
    except ServerError as error:
        return _users_page(request, viewer, form, {"username": str(error)})
    return RedirectResponse(PREFIX + "/admin/users", status_code=303)


def _account_errors(username: str, password: str, role: str, compound: str) -> dict[str, str]:
    """Field -> catalogue key, checked before the database (each beside its own field)."""
    errors = {}
    if not username.strip():
        errors["username"] = "reg.err.required"
    elif not username_ok(username.strip()):
        errors["username"] = "admin.err.username"
    if passwords.problem(password, username):
        errors["password"] = passwords.problem(password, username)
    if role not in [r.value for r in STAFF]:
        errors["role"] = "admin.err.role"
    elif role != UserRole.ADMIN.value and not compound:
        errors["compound"] = "admin.err.compound"
    return errors


def _users_page(
    request: Request, viewer: Viewer, form: dict[str, str], errors: dict[str, str]
) -> object:
    return page(
        request, "users.html", viewer, status=422, form=form, errors=errors, **_listing(request)
    )


AdminOf = Annotated[Viewer, Depends(require(ADMINS, compound_from="compound_id"))]


@router.get("/c/{compound_id}/settings")
def settings_page(request: Request, compound_id: str, viewer: AdminOf) -> object:
    with web_of(request).transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
    form = {
        "name": compound.name,
        "timezone": compound.timezone,
        "visitor_entries": str(compound.visitor_entries),
        "retention_days": "" if compound.retention_days is None else str(compound.retention_days),
    }
    return page(request, "settings.html", viewer, compound=compound, form=form)


@router.post("/c/{compound_id}/settings")
def save_settings(
    request: Request,
    compound_id: str,
    viewer: AdminOf,
    name: Text = "",
    timezone: Text = "",
    visitor_entries: Text = "",
    retention_days: Text = "",
) -> object:
    web = web_of(request)
    form = {
        "name": name,
        "timezone": timezone,
        "visitor_entries": visitor_entries,
        "retention_days": retention_days,
    }
    errors = _settings_errors(name, timezone, visitor_entries, retention_days)
    with web.transaction() as s:
        compound = get_or_404(s, Compound, compound_id)
        if errors:
            return page(
                request,
                "settings.html",
                viewer,
                status=422,
                compound=compound,
                form=form,
                errors=errors,
            )
        before = {
            "name": compound.name,
            "timezone": compound.timezone,
            "visitor_entries": compound.visitor_entries,
            "retention_days": compound.retention_days,
        }
        compound.name, compound.timezone = name.strip(), timezone.strip()
        compound.visitor_entries = int(visitor_entries)
        compound.retention_days = int(retention_days) if retention_days.strip() else None
        audit(
            s,
            viewer,
            "settings",
            f"compound {compound_id}",
            web.now(),
            before=before,
            after={
                "name": compound.name,
                "timezone": compound.timezone,
                "visitor_entries": compound.visitor_entries,
                "retention_days": compound.retention_days,
            },
        )
    return RedirectResponse(f"{PREFIX}/c/{compound_id}/settings", status_code=303)


def _settings_errors(
    name: str, timezone: str, visitor_entries: str, retention_days: str
) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "reg.err.required"
    try:
        ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "settings.err.zone"
    if not _whole(visitor_entries.strip()) or not 1 <= int(visitor_entries) <= 20:
        errors["visitor_entries"] = "settings.err.entries"
    days = retention_days.strip()  # empty: keep the gate log and visitor data for ever
    if days and (not _whole(days) or not 1 <= int(days) <= retention.MAX_DAYS):
        errors["retention_days"] = "settings.err.retention"
    return errors


def _whole(text: str) -> bool:
    """0-9 only: ``isdigit`` alone also says yes to "²", which ``int`` refuses."""
    return text.isascii() and text.isdigit()


AUDIT_PAGE = 100


@router.get("/admin/audit")
def audit_log(
    request: Request,
    viewer: Admin,
    who: str = "",
    compound: str = "",
    page_no: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> object:
    """Who did or saw what: newest first, filtered by user name and compound."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if who.strip():
        query = query.where(AuditEntry.username == who.strip())
    if compound.strip():
        query = query.where(AuditEntry.compound_id == compound.strip())
    start = (max(page_no, 1) - 1) * AUDIT_PAGE
    with web_of(request).transaction() as s:
        rows = s.scalars(query.offset(start).limit(AUDIT_PAGE + 1)).all()
    t = i18n.translator(language_of(request))
    return page(
        request,
        "audit.html",
        viewer,
        rows=[_audit_words(e, t) for e in rows[:AUDIT_PAGE]],
        more=len(rows) > AUDIT_PAGE,
        page_no=max(page_no, 1),
        who=who,
        compound_filter=compound,
        zone=DEFAULT_ZONE,
    )


def _audit_words(entry: AuditEntry, t: Any) -> dict[str, Any]:
    """One audit entry as a person reads it: the action, its target and details in words."""
    return {
        "at": entry.at,
        "username": t("audit.public") if entry.username == "(public)" else entry.username,
        "action": logwords.audit_action(entry.action, t),
        "target": logwords.audit_target(entry.target, t),
        "compound_id": entry.compound_id,
        "detail": logwords.audit_detail(entry.detail or {}, DEFAULT_ZONE, t),
    }
