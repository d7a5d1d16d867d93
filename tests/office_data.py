"""Arranging office data for tests: gate events written straight into the archive."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from server.local import Office
from server.models import EventRow


def add_event(office: Office, compound: str, at: datetime, **fields: Any) -> str:
    """One archived event of kiosk k1 at ``at`` (a decision unless ``kind`` says otherwise)."""
    event_id = secrets.token_hex(8)
    row: dict[str, Any] = {
        "event_id": event_id,
        "device_id": "k1",
        "compound_id": compound,
        "kind": "decision",
        "wall_time": at,
        "monotonic": 0.0,
        "boot_id": "b",
        "clock_trusted": True,
        "reason": "ok",
        "data": {},
        "received_at": at,
        **fields,
    }
    with office.session() as s:
        s.add(EventRow(**row))
    return event_id


def db_of(office: Office) -> str:
    """The office's database URL, as ``kiosk-server --db`` takes it."""
    return str(office.sessions.kw["bind"].url.render_as_string(hide_password=False))
