"""Staged rollout: a release goes to one kiosk, then to its compound, then to every kiosk.

Which release a kiosk is offered is decided by the newest rollout that reaches it: a running
rollout offers its release, a reverted one the release before it, a paused or stopped one
nothing (the kiosk keeps what it runs). The office stops a running rollout by itself when
kiosks report the release failed there (``rolled_back`` or ``failed`` in their status): any
failure while only the first kiosk has it, else as soon as FAIL_SHARE of the kiosks it is
offered to have failed (at least one).
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.exc import AlreadyDone, NotFound
from server.models import Kiosk, ReleaseRow, Rollout, RolloutFailure

FAIL_SHARE = 0.10
FAILED_STATES = frozenset({"rolled_back", "failed"})


class Stage(StrEnum):
    KIOSK = "kiosk"
    COMPOUND = "compound"
    ALL = "all"


class State(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    REVERTED = "reverted"


NEXT_STAGE = {Stage.KIOSK: Stage.COMPOUND, Stage.COMPOUND: Stage.ALL}
OPEN = (State.RUNNING.value, State.PAUSED.value)


def start(session: Session, version: str, device_id: str, now: datetime) -> Rollout:
    """Offer ``version`` to one kiosk (the first stage)."""
    if session.get(ReleaseRow, version) is None:
        raise NotFound(f"no release {version}; kiosk-server release add records one")
    kiosk = session.get(Kiosk, device_id)
    if kiosk is None or kiosk.revoked:
        raise NotFound(f"no enrolled kiosk {device_id!r} to start the rollout with")
    if session.get(Rollout, version) is not None:
        raise AlreadyDone(f"release {version} has a rollout already")
    unfinished = session.scalars(
        select(Rollout).where(Rollout.state.in_(OPEN), Rollout.stage != Stage.ALL.value)
    ).first()
    if unfinished is not None:
        raise AlreadyDone(
            f"the rollout of {unfinished.version} is {unfinished.state} at stage "
            f"{unfinished.stage}: take it to every kiosk, stop it or go back first"
        )
    row = Rollout(
        version=version,
        stage=Stage.KIOSK.value,
        device_id=device_id,
        compound_id=kiosk.compound_id,
        state=State.RUNNING.value,
        previous=_fleet_version(session),
        reason="",
        started_at=now,
        changed_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _fleet_version(session: Session) -> str:
    """The release the last rollout that reached every kiosk (and was not stopped) gave them."""
    query = (
        select(Rollout.version)
        .where(Rollout.stage == Stage.ALL.value, Rollout.state.in_(OPEN))
        .order_by(Rollout.started_at.desc())
        .limit(1)
    )
    return session.scalar(query) or ""


def _get(session: Session, version: str) -> Rollout:
    row = session.get(Rollout, version)
    if row is None:
        raise NotFound(f"release {version} has no rollout")
    return row


def advance(session: Session, version: str, now: datetime) -> Rollout:
    """The next stage: the first kiosk's compound, then every kiosk."""
    row = _get(session, version)
    following = NEXT_STAGE.get(Stage(row.stage))
    if row.state != State.RUNNING.value or following is None:
        raise AlreadyDone(f"the rollout of {version} is {row.state} at stage {row.stage}")
    row.stage, row.changed_at = following.value, now
    return row


def pause(session: Session, version: str, now: datetime) -> Rollout:
    return _move(session, version, State.RUNNING, State.PAUSED, now)


def resume(session: Session, version: str, now: datetime) -> Rollout:
    """Go on (also after the office stopped it: an admin who read why may decide so)."""
    row = _get(session, version)
    if row.state not in (State.PAUSED.value, State.STOPPED.value):
        raise AlreadyDone(f"the rollout of {version} is {row.state}")
    row.state, row.changed_at = State.RUNNING.value, now
    return row


def revert(session: Session, version: str, now: datetime) -> Rollout:
    """Offer the kiosks it reached the release they ran before."""
    row = _get(session, version)
    if not row.previous:
        raise NotFound(
            f"no earlier release reached every kiosk before {version}: there is none to offer; "
            "a kiosk whose health check failed has gone back by itself"
        )
    if row.state == State.REVERTED.value:
        raise AlreadyDone(f"the rollout of {version} already offers {row.previous}")
    row.state, row.changed_at = State.REVERTED.value, now
    return row


def _move(session: Session, version: str, was: State, to: State, now: datetime) -> Rollout:
    row = _get(session, version)
    if row.state != was.value:
        raise AlreadyDone(f"the rollout of {version} is {row.state}, not {was.value}")
    row.state, row.changed_at = to.value, now
    return row


def reaches(row: Rollout, kiosk: Kiosk) -> bool:
    stage = Stage(row.stage)
    if stage is Stage.KIOSK:
        return kiosk.device_id == row.device_id
    return stage is Stage.ALL or kiosk.compound_id == row.compound_id


def offered(session: Session, kiosk: Kiosk) -> str | None:
    """The release the office wants ``kiosk`` to run, or None (it keeps what it runs)."""
    for row in session.scalars(select(Rollout).order_by(Rollout.started_at.desc())):
        if reaches(row, kiosk):
            if row.state == State.RUNNING.value:
                return row.version
            return row.previous if row.state == State.REVERTED.value else None
    return None


def report(
    session: Session, kiosk: Kiosk, state: str, target: str, error: str, now: datetime
) -> None:
    """A kiosk's updater said ``state`` for ``target``: a failure is kept, and may stop it."""
    row = session.get(Rollout, target)
    if state not in FAILED_STATES or row is None:
        return
    if session.get(RolloutFailure, (target, kiosk.device_id)) is None:
        session.add(
            RolloutFailure(
                version=target, device_id=kiosk.device_id, state=state, error=error, at=now
            )
        )
        session.flush()
    if row.state == State.RUNNING.value and _too_many(session, row):
        row.state, row.changed_at = State.STOPPED.value, now
        row.reason = _why(session, row)


def _too_many(session: Session, row: Rollout) -> bool:
    failures = failures_of(session, row.version)
    if Stage(row.stage) is Stage.KIOSK:
        return bool(failures)
    return len(failures) >= max(1, math.ceil(FAIL_SHARE * _reached(session, row)))


def _reached(session: Session, row: Rollout) -> int:
    query = select(func.count()).select_from(Kiosk).where(Kiosk.revoked.is_(False))
    if Stage(row.stage) is Stage.COMPOUND:
        query = query.where(Kiosk.compound_id == row.compound_id)
    return session.scalar(query) or 0


def failures_of(session: Session, version: str) -> list[RolloutFailure]:
    query = select(RolloutFailure).where(RolloutFailure.version == version)
    return list(session.scalars(query.order_by(RolloutFailure.at, RolloutFailure.device_id)))


def _why(session: Session, row: Rollout) -> str:
    failures = failures_of(session, row.version)
    first = failures[0]
    said = f": {first.error}" if first.error else ""
    others = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
    return f"{first.device_id} {first.state.replace('_', ' ')}{said}{others}"[:300]
