"""Who is asking and what they may touch: the ONE permission check every page depends on.

    @router.get("/c/{compound_id}/board")
    def board(viewer: Annotated[Viewer, Depends(require(CLERKS, compound_from="compound_id"))])

``require`` reads the session cookie, refuses other roles, resolves the compound the request
is about (a path parameter, or a locator that finds an object's compound) and refuses it unless
the viewer works for it, and checks the CSRF token of every unsafe request. Pages never check
permissions again; the role/route table test walks every route for every role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from server.models import Holder, Household, Pass
from server.web import csrf
from server.web.auth import STAFF, UserRole, session_user, user_compounds
from server.web.errors import Forbidden, LoginNeeded, PageNotFound, PasswordChangeNeeded
from server.web.tables import Registration, User

SESSION_COOKIE = csrf.SESSION_COOKIE  # its secret also signs the forms (server.web.csrf)
Locator = Callable[[Session, Mapping[str, Any]], str | None]
T = TypeVar("T")

ADMINS = (UserRole.ADMIN,)
CLERKS = (UserRole.ADMIN, UserRole.CLERK)  # change households, residents, colours
GATE_READERS = (UserRole.ADMIN, UserRole.CLERK, UserRole.SUPERVISOR)  # gate log and alarms
RESIDENTS = (UserRole.RESIDENT,)
EVERYONE = (*STAFF, UserRole.RESIDENT)


@dataclass
class Web:
    """What every page needs: the database, the clock (UTC) and whether cookies are Secure."""

    sessions: sessionmaker[Session]
    now: Callable[[], datetime]
    secure_cookies: bool = False  # also on for every request that came over HTTPS

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions.begin() as session:
            yield session

    def run(self, work: Callable[[Session], T]) -> T:
        """``work`` in one transaction, and once more in a new one when a request like it
        committed the same rows between this one's reading and writing (a double-click):
        ``work`` reads again, finds them, and answers as it would had it come second."""
        try:
            with self.sessions.begin() as session:
                return work(session)
        except IntegrityError:
            with self.sessions.begin() as session:
                return work(session)


@dataclass(frozen=True)
class Viewer:
    """The logged-in person and the compound this request is about (checked)."""

    user_id: int
    username: str
    role: UserRole
    compounds: frozenset[str]  # the ones they work for; residents: their household's
    household_id: str | None = None
    holder_id: int | None = None
    compound_id: str | None = None  # the request's compound, already allowed
    display_name: str = ""
    all_compounds: bool = field(default=False)
    must_change_password: bool = False  # after an admin's reset: only the password page

    def may(self, compound_id: str) -> bool:
        return self.all_compounds or compound_id in self.compounds

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def secure_cookies(request: Request) -> bool:
    """Cookies carry Secure when served over TLS (``kiosk-server serve --certfile``)."""
    return web_of(request).secure_cookies or request.url.scheme == "https"


def viewer_of(session: Session, user: User) -> Viewer:
    role = UserRole(user.role)
    compounds = user_compounds(session, user)
    if role is UserRole.RESIDENT and user.household_id:
        household = session.get(Household, user.household_id)
        compounds = frozenset({household.compound_id} if household else ())
    return Viewer(
        user.id,
        user.username,
        role,
        compounds,
        user.household_id,
        user.holder_id,
        display_name=user.display_name,
        all_compounds=role is UserRole.ADMIN,
        must_change_password=user.must_change_password,
    )


def current_viewer(request: Request) -> Viewer | None:
    """The logged-in viewer or None; for pages anyone may open (login, registration)."""
    web = web_of(request)
    with web.transaction() as session:
        user = session_user(session, request.cookies.get(SESSION_COOKIE), web.now())
        return None if user is None else viewer_of(session, user)


def require(
    roles: tuple[UserRole, ...],
    *,
    compound_from: str | Locator | None = None,
    password_to_change: bool = False,
) -> Callable[[Request], Any]:
    """A dependency giving the Viewer if their role is in ``roles`` and the compound is theirs.

    A viewer whose password an admin reset gets only the routes marked ``password_to_change``
    (changing it, logging out) until they have chosen their own."""
    allowed = frozenset(roles)

    async def dependency(request: Request) -> Viewer:
        await csrf.check(request)
        # The session and compound look-ups wait on the database: on a worker thread, never
        # on the event loop every other request shares.
        return await run_in_threadpool(
            _admitted, request, allowed, compound_from, password_to_change
        )

    return dependency


def _admitted(
    request: Request,
    allowed: frozenset[UserRole],
    compound_from: str | Locator | None,
    password_to_change: bool,
) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise LoginNeeded("err.login")
    if viewer.must_change_password and not password_to_change:
        raise PasswordChangeNeeded("err.must_change")
    if viewer.role not in allowed:
        raise Forbidden("err.role")
    if compound_from is None:
        return viewer
    compound_id = _compound(request, compound_from)
    if compound_id is None:
        raise PageNotFound("err.not_found")
    if not viewer.may(compound_id):
        raise Forbidden("err.compound")
    return _with_compound(viewer, compound_id)


async def public(request: Request) -> Viewer | None:
    """For pages anyone may open: checks the CSRF token of posts, gives the viewer if any."""
    await csrf.check(request)
    return await run_in_threadpool(current_viewer, request)


def _compound(request: Request, source: str | Locator) -> str | None:
    if isinstance(source, str):
        value = request.path_params.get(source)
        return None if value is None else str(value)
    with web_of(request).transaction() as session:
        return source(session, request.path_params)


def _with_compound(viewer: Viewer, compound_id: str) -> Viewer:
    from dataclasses import replace

    return replace(viewer, compound_id=compound_id)


# --- locators: the compound of the object a path names ---------------------------------------


def _int(value: Any) -> int | None:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else None


def by_household(session: Session, params: Mapping[str, Any]) -> str | None:
    row = session.get(Household, str(params.get("household_id")))
    return None if row is None else row.compound_id


def by_holder(session: Session, params: Mapping[str, Any]) -> str | None:
    key = _int(params.get("holder_id"))
    holder = None if key is None else session.get(Holder, key)
    return None if holder is None else by_household(session, {"household_id": holder.household_id})


def by_registration(session: Session, params: Mapping[str, Any]) -> str | None:
    key = _int(params.get("registration_id"))
    row = None if key is None else session.get(Registration, key)
    return None if row is None else row.compound_id


def by_pass(session: Session, params: Mapping[str, Any]) -> str | None:
    row = session.get(Pass, str(params.get("pass_id")))
    return None if row is None else row.compound_id
