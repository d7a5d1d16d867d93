"""The audit log: every change, and every view of a person's phone number or photo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.web.access import Viewer
from server.web.tables import AuditEntry


def audit(
    session: Session,
    viewer: Viewer | None,
    action: str,
    target: str,
    now: datetime,
    *,
    compound_id: str | None = None,
    **detail: Any,
) -> None:
    """Record who did ``action`` to ``target``; ``viewer`` None means a visitor to a public page."""
    session.add(
        AuditEntry(
            at=now,
            user_id=None if viewer is None else viewer.user_id,
            username="(public)" if viewer is None else viewer.username,
            action=action,
            target=target[:200],
            compound_id=compound_id or (None if viewer is None else viewer.compound_id),
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
