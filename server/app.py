"""The office's HTTP API (FastAPI): enrollment, event upload, deltas and conflicts.

Bodies are parsed by ``sync.protocol`` (the same code the kiosk uses), not by request models,
so both ends agree on every check and every error reads the same. The OpenAPI description
still documents each body; ``/docs`` shows it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from server import gates, sync_service
from server.exc import ServerError
from server.models import Kiosk
from sync.protocol import (
    API_PREFIX,
    MAX_BATCH,
    SERVER_TIME_HEADER,
    STATUS_HEADER,
    BatchTooLarge,
    EnrollReply,
    EnrollRequest,
    ErrorCode,
    ErrorReply,
    ProtocolError,
    UploadReply,
    UploadRequest,
    format_time,
)

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024 * 1024
MAX_ENROLL_BODY = 4 * 1024  # enrollment needs no credential: read little from strangers
DB_ENV = "KIOSK_SERVER_DB"  # the database URL, for ``app_from_env`` in worker processes
bearer = HTTPBearer(auto_error=False, description="The kiosk credential from /enroll")
Clock = Callable[[], datetime]
Auth = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _schema(kind: Any) -> dict[str, Any]:
    return TypeAdapter(kind).json_schema(ref_template="#/components/schemas/{model}")


def _body_doc(kind: Any) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _schema(kind)}},
        }
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(ErrorReply(code, message).to_json(), status_code=status)


async def _json_body(request: Request, limit: int = MAX_BODY) -> Any:
    """The body as JSON, read as it streams in and refused as soon as it passes ``limit`` bytes
    (a chunked body has no Content-Length to check up front)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(limit)
    try:
        return json.loads(body, parse_constant=_not_json)
    except RecursionError:
        raise BadJson("nested too deeply; the protocol needs a few levels") from None
    except ValueError as error:  # also UnicodeDecodeError and the 4,300-digit integer limit
        raise BadJson(str(error)) from None


def _not_json(constant: str) -> Any:
    """Python reads NaN and Infinity; JSON (and PostgreSQL's json type) do not."""
    raise ValueError(f"{constant} is not a JSON number")


class BadJson(ProtocolError):
    def __init__(self, problem: str) -> None:
        super().__init__("body", f"not JSON ({problem})")


class BodyTooLarge(ProtocolError):
    """More bytes than the endpoint reads; same answer as a batch over the event limit."""

    def __init__(self, limit: int) -> None:
        super().__init__("body", f"larger than {limit // 1024} KiB")


def create_app(
    sessions: sessionmaker[Session], *, max_batch: int = MAX_BATCH, clock: Clock | None = None
) -> FastAPI:
    """The API on a session factory; ``clock`` (UTC) is injectable for tests."""
    now: Clock = clock or (lambda: datetime.now(UTC))
    app = FastAPI(
        title="checkpoint-kiosk office server",
        version="1",
        description="Kiosks enroll, upload their event log and download office changes. "
        "See docs/sync-protocol.md.",
    )
    _install_handlers(app)

    app.add_middleware(ServerTimeHeader, now=now)

    def run(fn: Callable[[Session], Any]) -> Awaitable[Any]:
        return to_thread.run_sync(transaction, sessions, fn, limiter=_database_threads())

    def kiosk_of(
        session: Session, credentials: HTTPAuthorizationCredentials | None, request: Request
    ) -> Kiosk:
        header = None if credentials is None else f"Bearer {credentials.credentials}"
        kiosk = sync_service.authenticate(session, header)
        gates.note_kiosk(session, kiosk, request.headers.get(STATUS_HEADER), now())
        return kiosk

    @app.get(f"{API_PREFIX}/time", summary="The server's time (also in every reply's header)")
    def get_time() -> dict[str, str]:
        return {"server_time": format_time(now())}

    @app.post(
        f"{API_PREFIX}/enroll",
        summary="Trade a one-time enrollment code for the kiosk's credential",
        openapi_extra=_body_doc(EnrollRequest),
        responses={200: {"content": {"application/json": {"schema": _schema(EnrollReply)}}}},
    )
    async def post_enroll(request: Request) -> JSONResponse:
        enroll = EnrollRequest.from_json(await _json_body(request, MAX_ENROLL_BODY))
        reply = await run(lambda s: sync_service.enroll(s, enroll, now()))
        return JSONResponse(reply.to_json())

    @app.post(
        f"{API_PREFIX}/events",
        summary="Upload a batch of events (idempotent by event_id)",
        openapi_extra=_body_doc(UploadRequest),
        responses={200: {"content": {"application/json": {"schema": _schema(UploadReply)}}}},
    )
    async def post_events(request: Request, credentials: Auth) -> JSONResponse:
        # The credential is checked before a byte of the body is read: a stranger cannot make
        # the office read or parse 16 MiB.
        kiosk: Kiosk = await run(lambda s: kiosk_of(s, credentials, request))
        body = await _json_body(request)

        def work(session: Session) -> UploadReply:
            upload = UploadRequest.from_json(body, max_batch=max_batch)
            return sync_service.store_events(session, kiosk, upload, now())

        return JSONResponse((await run(work)).to_json())

    @app.get(f"{API_PREFIX}/delta", summary="Office changes since a cursor (ETag: the cursor)")
    async def get_delta(
        request: Request, credentials: Auth, since: Annotated[int, Query(ge=0, le=2**62)] = 0
    ) -> Response:
        def work(session: Session) -> Any:
            kiosk = kiosk_of(session, credentials, request)
            return sync_service.delta_page(session, kiosk, since, now())

        found = await run(work)
        etag = f'"{found.cursor}"'
        if found.empty and request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return JSONResponse(found.to_json(), headers={"ETag": etag})

    @app.get(f"{API_PREFIX}/conflicts", summary="Offline anti-passback conflicts in this compound")
    async def get_conflicts(request: Request, credentials: Auth) -> list[dict[str, Any]]:
        def work(session: Session) -> list[dict[str, Any]]:
            kiosk = kiosk_of(session, credentials, request)
            return sync_service.conflicts(session, kiosk.compound_id)

        result: list[dict[str, Any]] = await run(work)
        return result

    from server.releases import api, store  # they build on this module's transactions

    engine = sessions.kw["bind"]
    api.add_routes(app, sessions, kiosk_of, lambda: store.release_folder(engine))
    _document_schemas(app)
    from server import web  # the office's pages share this process and database

    web.mount(app, sessions, now)
    return app


RETRIES = 5
# Threads per server process running the API's transactions. The work is mostly Python holding
# the GIL between short waits on the database; a few threads keep commits in flight, while
# anyio's default of 40 spent the CPU on handing the GIL over (bench.fleet, 200 kiosks on
# PostgreSQL, alternating runs: about 7,300 events/s with 40 threads, 9,000 with 8; SQLite no
# slower).
DATABASE_THREADS = 8
_database_limiter: RunVar[CapacityLimiter] = RunVar("database_limiter")


def _database_threads() -> CapacityLimiter:
    """This event loop's limiter for the API's database work (one per loop, as anyio's own)."""
    try:
        return _database_limiter.get()
    except LookupError:
        limiter = CapacityLimiter(DATABASE_THREADS)
        _database_limiter.set(limiter)
        return limiter


class ServerTimeHeader:
    """Stamp every reply with the server's time (plain ASGI: cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: Any, now: Clock) -> None:
        self.app = app
        self.now = now

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Any) -> None:
            if message["type"] == "http.response.start":
                stamp = (SERVER_TIME_HEADER.lower().encode(), format_time(self.now()).encode())
                message = {**message, "headers": [*message.get("headers", []), stamp]}
            await send(message)

        await self.app(scope, receive, stamped)


def transaction(sessions: sessionmaker[Session], fn: Callable[[Session], Any]) -> Any:
    """Run ``fn`` in one transaction; again when the database gave up on it to break a deadlock
    or a lock wait (both harmless to repeat: the work is idempotent and nothing was committed).
    """
    for attempt in range(RETRIES):
        try:
            with sessions.begin() as session:
                return fn(session)
        except OperationalError as error:
            if attempt == RETRIES - 1 or not _retryable(error):
                raise
            log.info("retrying a transaction after: %s", str(error.orig).splitlines()[0])
    raise AssertionError("unreachable")


def _retryable(error: OperationalError) -> bool:
    state = getattr(error.orig, "sqlstate", None)  # psycopg: deadlock, serialization failure
    return state in ("40P01", "40001") or "database is locked" in str(error.orig)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServerError)
    async def server_error(_: Request, error: ServerError) -> JSONResponse:
        return _error(error.status, error.code.value, str(error))

    @app.exception_handler(ProtocolError)
    async def protocol_error(_: Request, error: ProtocolError) -> JSONResponse:
        if isinstance(error, BatchTooLarge | BodyTooLarge):
            return _error(413, ErrorCode.BATCH_TOO_LARGE.value, f"{error}; split the batch")
        code = ErrorCode.BAD_JSON if isinstance(error, BadJson) else ErrorCode.INVALID
        return _error(400, code.value, str(error))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors()
        )
        return _error(400, ErrorCode.INVALID.value, problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        code = (
            ErrorCode.NOT_FOUND.value if error.status_code == 404 else f"http_{error.status_code}"
        )
        return _error(error.status_code, code, str(error.detail))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return _error(500, ErrorCode.INTERNAL.value, "internal error; the office log has details")


def _document_schemas(app: FastAPI) -> None:
    """Put the protocol dataclasses' JSON schemas where the OpenAPI references point."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = original()
            components = document.setdefault("components", {}).setdefault("schemas", {})
            for kind in (EnrollRequest, EnrollReply, UploadRequest, UploadReply):
                components.update(_schema(kind).get("$defs", {}))
            _drop_defs(document)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _drop_defs(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("$defs", None)
        for value in node.values():
            _drop_defs(value)
    elif isinstance(node, list):
        for value in node:
            _drop_defs(value)


def app_from_env() -> FastAPI:
    """The app on the database named by $KIOSK_SERVER_DB (uvicorn worker processes)."""
    from server.db import open_database

    url = os.environ.get(DB_ENV)
    if not url:
        raise RuntimeError(f"set {DB_ENV} to the database URL")
    return create_app(open_database(url))
