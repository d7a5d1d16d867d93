"""The kiosks' release endpoints (same bearer credential as the sync endpoints).

    GET {API_PREFIX}/release                              200 {"version": …} or 204: nothing offered
    GET {API_PREFIX}/releases/{version}/manifest.json     the exact signed bytes
    GET {API_PREFIX}/releases/{version}/manifest.sig      the raw 64-byte Ed25519 signature
    GET {API_PREFIX}/releases/{version}/files/{name}      the file; Range (206, 416), ETag sha256

A kiosk may fetch only the release it is offered now (404 otherwise). Routes are plain ``def``:
FastAPI runs them in its threads, where a blob's first check (hashing it) may take a moment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker

from kiosk.update.manifest import NAME_RE, VERSION_RE
from server.app import Auth, transaction
from server.exc import NotFound
from server.models import Kiosk
from server.releases import rollout
from server.releases.store import Store, release_file
from sync.protocol import API_PREFIX

KioskOf = Callable[[Session, HTTPAuthorizationCredentials | None, Request], Kiosk]


def add_routes(
    app: FastAPI, sessions: sessionmaker[Session], kiosk_of: KioskOf, folder: Callable[[], Path]
) -> None:
    """The endpoints above; ``folder`` names the release store (asked when first needed)."""

    def run(fn: Callable[[Session], Any]) -> Any:
        return transaction(sessions, fn)

    def offered_to(session: Session, credentials: Auth, request: Request, version: str) -> Kiosk:
        kiosk = kiosk_of(session, credentials, request)
        if not VERSION_RE.fullmatch(version) or rollout.offered(session, kiosk) != version:
            raise NotFound(f"release {version[:64]!r} is not offered to kiosk {kiosk.device_id}")
        return kiosk

    @app.get(f"{API_PREFIX}/release", summary="The release this kiosk should run (204: none)")
    def get_release(request: Request, credentials: Auth) -> Response:
        def work(session: Session) -> str | None:
            return rollout.offered(session, kiosk_of(session, credentials, request))

        version = run(work)
        return Response(status_code=204) if version is None else JSONResponse({"version": version})

    @app.get(f"{API_PREFIX}/releases/{{version}}/manifest.json", summary="A release's manifest")
    def get_manifest(version: str, request: Request, credentials: Auth) -> Response:
        run(lambda s: offered_to(s, credentials, request, version))
        raw, _ = Store(folder()).manifest(version)
        return Response(raw, media_type="application/json")

    @app.get(f"{API_PREFIX}/releases/{{version}}/manifest.sig", summary="Its Ed25519 signature")
    def get_signature(version: str, request: Request, credentials: Auth) -> Response:
        run(lambda s: offered_to(s, credentials, request, version))
        _, signature = Store(folder()).manifest(version)
        return Response(signature, media_type="application/octet-stream")

    @app.get(
        f"{API_PREFIX}/releases/{{version}}/files/{{name}}",
        summary="A release's file (Range requests resume a download)",
    )
    def get_file(version: str, name: str, request: Request, credentials: Auth) -> Response:
        def work(session: Session) -> Any:
            offered_to(session, credentials, request, version)
            if not NAME_RE.fullmatch(name):
                raise NotFound(f"release {version} has no file {name[:200]!r}")
            return release_file(session, version, name)

        entry = run(work)
        path = Store(folder()).checked_blob(entry)
        return FileResponse(
            path,
            media_type="application/octet-stream",
            headers={"etag": f'"{entry.sha256}"'},
        )
