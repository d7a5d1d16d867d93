"""What the gates page shows: the live log, open alarms, each kiosk's health and chart figures.

Kiosks report their software version, upload backlog, updater state (docs/updates.md) and
their system's pending updates (``sync.osupdates``) in the ``X-Kiosk-Status`` header
(``sync.protocol.STATUS_HEADER``, keys ``StatusKey``) of every sync request (``note_kiosk``);
``reported`` gives each key its health column. The rest of their
health is read from the events they uploaded: whether the clock was trusted, whether the
thermometer failed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kiosk.model import EventKind, Reason, RiskColour, Verdict
from kiosk.update.manifest import VERSION_RE
from server.exc import NotFound
from server.models import AlarmAck, ColourHistory, EventRow, Household, Kiosk, KioskHealth
from server.releases import rollout
from server.web.timefmt import end_of_day, start_of_day, zone
from sync.protocol import StatusKey

ONLINE_WITHIN = timedelta(seconds=150)  # no sync for five 30 s cycles: the kiosk is offline
SEEN_EVERY = timedelta(seconds=60)  # idle polls write last_seen at most this often
LIVE_LIMIT = 50
FIELD_MAX = 40


# --- kiosk health ---------------------------------------------------------------------------------


UPDATE_STATES = frozenset(
    {"idle", "downloading", "ready", "trial", "running", "rolled_back", "failed"}
)
COUNTS = (StatusKey.BACKLOG, StatusKey.OS_UPDATES, StatusKey.OS_SECURITY)
UPDATE_KEYS = (StatusKey.UPDATE, StatusKey.TARGET, StatusKey.ERROR)
UPDATE_COLUMNS = ("update_state", "update_target", "update_error")
KNOWN_KEYS = frozenset(StatusKey)


def parse_status(header: str | None) -> dict[str, str]:
    """``version=0.1.0; backlog=3; update=trial; target=1.4.0; error=...; os_updates=4;
    os_security=1; reboot_required=no`` as a dict; anything
    malformed (unknown key, too long, control characters, an unknown update state, a target
    that is no version) is left out, never an error."""
    found: dict[str, str] = {}
    for part in (header or "")[:400].split(";"):
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if sep and key in KNOWN_KEYS and len(value) <= FIELD_MAX and _valid(key, value):
            found[key] = value
    return found


def _valid(key: str, value: str) -> bool:
    if not value.isprintable():
        return False
    if key == StatusKey.UPDATE:
        return value in UPDATE_STATES
    if key == StatusKey.TARGET:
        return not value or VERSION_RE.fullmatch(value) is not None
    return key == StatusKey.ERROR or bool(value)  # an empty error clears the last one


def reported(status: dict[str, str]) -> dict[str, str | int | bool]:
    """The health columns a parsed status sets, typed; a value that is not one is left out."""
    found: dict[str, str | int | bool] = {}
    if StatusKey.VERSION in status:
        found["version"] = status[StatusKey.VERSION]
    for key in COUNTS:
        text = status.get(key, "")
        if text.isascii() and text.isdigit() and len(text) < 10:  # "²" is a digit, not an int
            found[key] = int(text)
    reboot = status.get(StatusKey.REBOOT_REQUIRED)
    if reboot in ("yes", "no"):
        found["reboot_required"] = reboot == "yes"
    for key, column in zip(UPDATE_KEYS, UPDATE_COLUMNS, strict=True):
        if key in status:
            found[column] = status[key]
    return found


def note_kiosk(session: Session, kiosk: Kiosk, header: str | None, now: datetime) -> None:
    """Remember that a kiosk was heard from, with the status it reported; a failed update is
    passed to its rollout (which may stop)."""
    values = reported(parse_status(header))
    row = session.get(KioskHealth, kiosk.device_id)
    if row is None:
        first = {"device_id": kiosk.device_id, "last_seen": now, "version": "", **values}
        # Two first requests of one kiosk may race: the second insert is a no-op, not an error.
        insert = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(insert(KioskHealth).values(**first).on_conflict_do_nothing())
        _report_update(session, kiosk, [str(values.get(c, "")) for c in UPDATE_COLUMNS], now)
        return
    before = [str(getattr(row, column)) for column in UPDATE_COLUMNS]
    news = any(getattr(row, key) != value for key, value in values.items())
    if now - row.last_seen < SEEN_EVERY and not news:
        return  # an idle poll: no write
    row.last_seen = now
    for key, value in values.items():
        setattr(row, key, value)
    after = [str(getattr(row, column)) for column in UPDATE_COLUMNS]
    if after != before:
        _report_update(session, kiosk, after, now)


def _report_update(session: Session, kiosk: Kiosk, update: list[str], now: datetime) -> None:
    """Pass the updater's state, target and error to the target's rollout (which may stop)."""
    state, target, error = update
    if state and target:
        rollout.report(session, kiosk, state, target, error, now)


@dataclass(frozen=True, slots=True)
class Health:
    device_id: str
    online: bool
    last_seen: datetime | None
    backlog: int | None
    clock_trusted: bool | None
    version: str
    sensor_fault: bool
    revoked: bool
    update_state: str = ""
    update_target: str = ""
    update_error: str = ""
    os_updates: int | None = None
    os_security: int | None = None
    reboot_required: bool | None = None


def kiosk_health(session: Session, compound_id: str, now: datetime) -> list[Health]:
    kiosks = session.scalars(
        select(Kiosk).where(Kiosk.compound_id == compound_id).order_by(Kiosk.device_id)
    )
    return [_health(session, kiosk, now) for kiosk in kiosks]


def _health(session: Session, kiosk: Kiosk, now: datetime) -> Health:
    seen = session.get(KioskHealth, kiosk.device_id)
    last = _newest(session, EventRow.device_id == kiosk.device_id)
    thermometer = _newest(
        session,
        EventRow.device_id == kiosk.device_id,
        (EventRow.reason == Reason.SENSOR_FAULT.value) | EventRow.temperature_c.is_not(None),
    )
    last_seen = seen.last_seen if seen else None
    return Health(
        device_id=kiosk.device_id,
        online=last_seen is not None and now - last_seen <= ONLINE_WITHIN and not kiosk.revoked,
        last_seen=last_seen,
        backlog=seen.backlog if seen else None,
        clock_trusted=last.clock_trusted if last else None,
        version=seen.version if seen else "",
        sensor_fault=thermometer is not None and thermometer.reason == Reason.SENSOR_FAULT.value,
        revoked=kiosk.revoked,
        update_state=seen.update_state if seen else "",
        update_target=seen.update_target if seen else "",
        update_error=seen.update_error if seen else "",
        os_updates=seen.os_updates if seen else None,
        os_security=seen.os_security if seen else None,
        reboot_required=seen.reboot_required if seen else None,
    )


def _newest(session: Session, *where: Any) -> EventRow | None:
    query = select(EventRow).where(*where).order_by(EventRow.wall_time.desc()).limit(1)
    return session.scalars(query).first()


# --- live log and alarms --------------------------------------------------------------------------


def live_events(session: Session, compound_id: str, after: int = 0) -> list[EventRow]:
    """The events that arrived after row ``after`` (all: the newest by their time), newest
    event first by the kiosk's clock: a kiosk back online uploads older events late, and they
    belong below the newer ones, not on top."""
    where = [EventRow.compound_id == compound_id]
    if after:
        newest = select(EventRow).where(*where, EventRow.id > after).order_by(EventRow.id.desc())
    else:
        newest = select(EventRow).where(*where).order_by(*NEWEST_FIRST)
    found = list(session.scalars(newest.limit(LIVE_LIMIT)))
    return sorted(found, key=lambda e: (e.wall_time, e.id), reverse=True)


NEWEST_FIRST = (EventRow.wall_time.desc(), EventRow.id.desc())


def last_arrival(session: Session, compound_id: str) -> int:
    """The row id of the compound's last uploaded event (0: none): the live log's cursor."""
    query = select(func.max(EventRow.id)).where(EventRow.compound_id == compound_id)
    return session.scalar(query) or 0


def open_alarms(session: Session, compound_id: str) -> list[EventRow]:
    """Alarms neither the guard (an alarm_ack event) nor the office has acknowledged."""
    alarms = list(
        session.scalars(
            select(EventRow)
            .where(EventRow.compound_id == compound_id, EventRow.kind == EventKind.ALARM.value)
            .order_by(EventRow.wall_time.desc())
            .limit(500)
        )
    )
    if not alarms:
        return []
    ids = [a.event_id for a in alarms]
    acked = set(session.scalars(select(AlarmAck.event_id).where(AlarmAck.event_id.in_(ids))))
    guard_acks = session.scalars(
        select(EventRow.data).where(
            EventRow.compound_id == compound_id,
            EventRow.kind == EventKind.ALARM_ACK.value,
            EventRow.wall_time >= alarms[-1].wall_time,  # an ack comes after its alarm
        )
    )
    acked.update(str(d.get("alarm_id")) for d in guard_acks if isinstance(d, dict))
    return [a for a in alarms if a.event_id not in acked]


def acknowledge(session: Session, compound_id: str, event_id: str, by: str, now: datetime) -> None:
    alarm = session.scalars(
        select(EventRow).where(
            EventRow.event_id == event_id,
            EventRow.compound_id == compound_id,
            EventRow.kind == EventKind.ALARM.value,
        )
    ).first()
    if alarm is None:
        raise NotFound(f"no alarm {event_id!r} in {compound_id!r}")
    if session.get(AlarmAck, event_id) is None:
        session.add(AlarmAck(event_id=event_id, by=by, at=now))


# --- chart figures --------------------------------------------------------------------------------


def passages_per_hour(session: Session, compound_id: str, day: date, tz: str) -> list[int]:
    """Admissions (in and out) in each local hour of ``day``."""
    times = session.scalars(
        select(EventRow.wall_time).where(
            EventRow.compound_id == compound_id,
            EventRow.kind == EventKind.DECISION.value,
            EventRow.verdict == Verdict.ALLOW.value,
            EventRow.wall_time >= start_of_day(day, tz),
            EventRow.wall_time < end_of_day(day, tz),
        )
    )
    hours = Counter(t.astimezone(zone(tz)).hour for t in times)
    return [hours.get(h, 0) for h in range(24)]


def fevers_per_day(
    session: Session, compound_id: str, last: date, tz: str, days: int = 14
) -> list[tuple[date, int]]:
    """Fever refusals per local day, the ``days`` days up to ``last``."""
    first = last - timedelta(days=days - 1)
    times = session.scalars(
        select(EventRow.wall_time).where(
            EventRow.compound_id == compound_id,
            EventRow.reason == Reason.FEVER.value,
            EventRow.kind == EventKind.DECISION.value,
            EventRow.wall_time >= start_of_day(first, tz),
            EventRow.wall_time < end_of_day(last, tz),
        )
    )
    counts = Counter(t.astimezone(zone(tz)).date() for t in times)
    return [(d, counts.get(d, 0)) for d in _days(first, last)]


def colours_per_day(
    session: Session, compound_id: str, last: date, tz: str, days: int = 14
) -> list[tuple[date, dict[RiskColour, int]]]:
    """How many households had each colour at the end of each local day.

    A red or orange household whose quarantine has ended by then counts as white, as the
    kiosks treat it.
    """
    first = last - timedelta(days=days - 1)
    history = session.execute(
        select(ColourHistory.household_id, ColourHistory.colour, ColourHistory.at)
        .where(ColourHistory.compound_id == compound_id, ColourHistory.at < end_of_day(last, tz))
        .order_by(ColourHistory.at, ColourHistory.id)
    ).all()
    quarantine = dict(
        session.execute(
            select(Household.id, Household.quarantine_until).where(
                Household.compound_id == compound_id, Household.quarantine_until.is_not(None)
            )
        ).all()
    )
    result = []
    colour: dict[str, str] = {}
    index = 0
    for day in _days(first, last):
        ends = end_of_day(day, tz)
        while index < len(history) and history[index].at < ends:
            colour[history[index].household_id] = history[index].colour
            index += 1
        result.append((day, _count_colours(colour, quarantine, ends)))
    return result


def _count_colours(
    colour: dict[str, str], quarantine: dict[str, datetime | None], at: datetime
) -> dict[RiskColour, int]:
    counts = dict.fromkeys(RiskColour, 0)
    for household, name in colour.items():
        value = RiskColour(name)
        until = quarantine.get(household)
        if value in (RiskColour.RED, RiskColour.ORANGE) and until is not None and until <= at:
            value = RiskColour.WHITE
        counts[value] += 1
    return counts


def _days(first: date, last: date) -> Iterable[date]:
    return (first + timedelta(days=n) for n in range((last - first).days + 1))


def plate_of(event: EventRow) -> str:
    """The plate a car-gate event is about ("" for a person's)."""
    plate = event.data.get("plate") if isinstance(event.data, dict) else None
    return plate if isinstance(plate, str) else ""
