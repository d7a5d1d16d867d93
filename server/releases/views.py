"""What the office shows about releases: each with its files and its rollout, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import ReleaseFileRow, ReleaseRow, Rollout, RolloutFailure
from server.releases import rollout


@dataclass(frozen=True, slots=True)
class ReleaseView:
    version: str
    created_at: datetime
    notes: str
    files: int
    size: int
    kid: str
    rollout: Rollout | None
    failures: tuple[RolloutFailure, ...]

    @property
    def summary(self) -> str:
        if self.rollout is None:
            return f"{self.files} file(s), {self.size:,} bytes; not offered"
        r = self.rollout
        why = f": {r.reason}" if r.reason else ""
        return f"{r.state} at stage {r.stage} (first kiosk {r.device_id}){why}"


def release_list(session: Session, limit: int = 100) -> list[ReleaseView]:
    rows = session.scalars(select(ReleaseRow).order_by(ReleaseRow.created_at.desc()).limit(limit))
    return [_view(session, row) for row in rows]


def _view(session: Session, row: ReleaseRow) -> ReleaseView:
    files = session.scalars(select(ReleaseFileRow).where(ReleaseFileRow.version == row.version))
    sizes = [f.size for f in files]
    return ReleaseView(
        version=row.version,
        created_at=row.created_at,
        notes=row.notes,
        files=len(sizes),
        size=sum(sizes),
        kid=row.kid,
        rollout=session.get(Rollout, row.version),
        failures=tuple(rollout.failures_of(session, row.version)),
    )
