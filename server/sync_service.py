"""The server side of the sync protocol: enrollment, authentication, event upload, deltas.

Upload is idempotent on (kiosk, ``event_id``) (INSERT ... ON CONFLICT DO NOTHING RETURNING): a
retry after a lost reply, a replay or two racing requests never store an event twice, and one
kiosk's ids never shadow another's. An event for another compound than the kiosk's is refused
on its own; the rest of the batch is stored. After storing, admitted events are compared with
their neighbours in time to flag offline anti-passback conflicts (two kiosks of one compound
letting one pass through in the same direction) and passed on to the compound's other kiosks
as passages in their next delta.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import chain, pairwise
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CursorResult,
    Row,
    Table,
    Text,
    bindparam,
    column,
    false,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kiosk.model import Direction, Event, EventKind, Passage, Reason, Verdict
from server.exc import AlreadyExists, CodeInvalid, DeviceMismatch, KioskRevoked, Unauthorized
from server.models import Change, Conflict, EnrollmentCode, EventRow, Kiosk
from server.office import token_hash
from server.releases.keys import trusted_public_keys
from sync.protocol import (
    EVENT_FIELDS,
    Delta,
    EnrollReply,
    EnrollRequest,
    ErrorCode,
    HouseholdChange,
    PhotoChange,
    Refusal,
    UploadReply,
    UploadRequest,
    event_to_json,
    passage_from_json,
    passage_to_json,
    update_keys_from_json,
)

# The columns the conflict check reads (rows, not ORM objects: a busy compound has many).
ADMISSION_COLUMNS = ("event_id", "device_id", "compound_id", "pass_id", "direction")
Admission = Row[str, str, str, str | None, str | None]
EVENTS = cast(Table, EventRow.__table__)
CONFLICTS = cast(Table, Conflict.__table__)
CHANGES = cast(Table, Change.__table__)
CHUNK = 500  # rows per INSERT: stays below SQLite's bound-parameter limit
DELTA_PAGE = 500  # change-log rows per delta reply
PASSAGES_PER_ROW = 100  # passages in one change-log row
PASSAGES_PER_DELTA = 2000  # a reply stops after the row that reaches this many passages
# A reply also stops after the row that brings its photos to this many base64 characters: 500
# residents' photos were one 321 MB reply that a kiosk had to hold whole. One photo (at most
# office.MAX_PHOTO_BYTES) always fits, so every page moves the cursor.
DELTA_PHOTO_CHARS = 2 << 20
ROWS_FETCHED = 16  # change rows read from the database at a time while folding a page
# Two admissions further apart than this are not compared: the office looks for a person let
# through twice in one direction the same day, and the check stays one index range per batch.
CONFLICT_WINDOW = timedelta(hours=12)


# --- enrollment and authentication ------------------------------------------------------------


def enroll(session: Session, request: EnrollRequest, now: datetime) -> EnrollReply:
    """Trade a one-time code for a new credential; the code cannot be used again.

    The code is claimed by one conditional UPDATE (``WHERE used_at IS NULL``): of any number of
    racing requests exactly one changes the row, on SQLite and PostgreSQL alike.
    """
    code_hash = token_hash(request.code)
    claim = (
        update(EnrollmentCode)
        .where(
            EnrollmentCode.code_hash == code_hash,
            EnrollmentCode.used_at.is_(None),
            EnrollmentCode.expires_at >= now,
        )
        .values(used_at=now, used_by=request.device_id)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], session.execute(claim)).rowcount != 1:
        raise _why_not(session.get(EnrollmentCode, code_hash))
    code = session.get(EnrollmentCode, code_hash)
    assert code is not None  # claimed just now
    kiosk = session.get(Kiosk, request.device_id)
    if kiosk is not None and not kiosk.revoked and kiosk.compound_id != code.compound_id:
        raise AlreadyExists(f"device id {request.device_id!r} is enrolled in another compound")
    token = secrets.token_urlsafe(32)
    if kiosk is None:
        kiosk = Kiosk(device_id=request.device_id, compound_id=code.compound_id, enrolled_at=now)
        session.add(kiosk)
    # Enrolling again (new SD card, or after a revocation) replaces the old credential.
    kiosk.token_hash, kiosk.revoked, kiosk.compound_id = token_hash(token), False, code.compound_id
    kiosk.enrolled_at = now
    keys = tuple(trusted_public_keys(session))
    return EnrollReply(request.device_id, code.compound_id, token, now, keys)


def _why_not(code: EnrollmentCode | None) -> CodeInvalid:
    if code is None:
        return CodeInvalid("unknown enrollment code; ask the office for a new one")
    if code.used_at is not None:
        return CodeInvalid("this enrollment code was already used; ask the office for a new one")
    return CodeInvalid("this enrollment code has expired; ask the office for a new one")


def authenticate(session: Session, authorization: str | None) -> Kiosk:
    """The kiosk behind an ``Authorization: Bearer`` header, or Unauthorized/KioskRevoked."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the kiosk credential as 'Authorization: Bearer <token>'")
    kiosk = session.scalars(
        select(Kiosk).where(Kiosk.token_hash == token_hash(token.strip()))
    ).first()
    if kiosk is None:
        raise Unauthorized("unknown credential; enroll the kiosk with a code from the office")
    if kiosk.revoked:
        raise KioskRevoked(f"kiosk {kiosk.device_id!r} was revoked by the office")
    return kiosk


# --- upload -----------------------------------------------------------------------------------


def store_events(
    session: Session, kiosk: Kiosk, request: UploadRequest, now: datetime
) -> UploadReply:
    """Store a batch; ids this kiosk already sent are reported as known, not stored again."""
    foreign = [e.event_id for e in request.events if e.device_id != kiosk.device_id]
    if request.device_id != kiosk.device_id or foreign:
        raise DeviceMismatch(
            f"this credential belongs to {kiosk.device_id!r}; it may only upload its own events "
            f"(body names {request.device_id!r}, {len(foreign)} event(s) of another device)"
        )
    refused = _wrong_compound(request.events, kiosk.compound_id)
    taken = [e for e in request.events if e.event_id not in refused]
    stored: set[str] = set()
    for start in range(0, len(taken), CHUNK):
        stored.update(_insert_new(session, taken[start : start + CHUNK], now))
    new = [e for e in taken if e.event_id in stored]
    conflicts = _flag_conflicts(session, new, now)
    _pass_on(session, kiosk.compound_id, new)
    ordered = list(dict.fromkeys(e.event_id for e in taken))
    return UploadReply(
        stored=tuple(i for i in ordered if i in stored),
        known=tuple(i for i in ordered if i not in stored),
        conflicts=tuple(conflicts),
        server_time=now,
        refused=tuple(refused.values()),
    )


def _wrong_compound(events: Iterable[Event], compound: str) -> dict[str, Refusal]:
    """Events a kiosk sent for a compound it is not enrolled in: refused one by one."""
    return {
        e.event_id: Refusal(
            e.event_id,
            ErrorCode.WRONG_COMPOUND.value,
            f"event is for compound {e.compound_id!r}; this kiosk is enrolled in {compound!r}",
        )
        for e in events
        if e.compound_id != compound
    }


def _row(event: Event, now: datetime) -> dict[str, Any]:
    """The events-table row: the wire fields, with the time as a datetime for the column."""
    row = event_to_json(event)
    row.update(wall_time=event.wall_time, received_at=now, conflict=False)
    return row


def _insert_new(session: Session, events: list[Event], now: datetime) -> Sequence[str]:
    """Insert events whose (device, event_id) is new; return the ids actually inserted."""
    if session.get_bind().dialect.name == "postgresql":
        batch = [{**event_to_json(e), "data": json.dumps(e.data)} for e in events]
        found = session.connection().execute(INSERT_BATCH, {"batch": batch, "received_at": now})
        return found.scalars().all()
    # SQLite: one cached statement with many parameter sets, which SQLAlchemy sends as
    # multi-row INSERT ... RETURNING ("insertmanyvalues").
    statement = (
        sqlite.insert(EVENTS)
        .on_conflict_do_nothing(index_elements=["device_id", "event_id"])
        .returning(EVENTS.c.event_id)
    )
    return session.connection().execute(statement, [_row(e, now) for e in events]).scalars().all()


def _insert_batch() -> Any:
    """PostgreSQL: the whole batch as one JSON parameter, turned into rows by
    json_to_recordset. The statement's text is short and the same for every batch, so psycopg
    converts it once and the server prepares it once per connection; PostgreSQL's JSON parser
    does in C what a multi-row VALUES list (too long for psycopg's statement cache, scanned
    anew for every batch) or one array per column (escaped element by element) did in Python:
    most of the cost of an upload, profiled with bench.fleet.

    Each event's ``data`` travels as JSON text inside the batch and is stored verbatim as
    before: parsed by json_to_recordset, a \\u0000 in it would be refused."""
    wire = [column(c.name, Text if c.name == "data" else c.type) for c in _WIRE_COLUMNS]
    rows = func.json_to_recordset(bindparam("batch", type_=JSON)).table_valued(*wire)
    rows = rows.render_derived("batch", with_types=True)
    values = [c.cast(JSON) if c.name == "data" else c for c in rows.c]
    received = bindparam("received_at", type_=EVENTS.c.received_at.type)
    return (
        postgresql.insert(EVENTS)
        .from_select(
            [*(c.name for c in wire), "received_at", "conflict"],
            select(*values, received, false()),
        )
        .on_conflict_do_nothing(index_elements=["device_id", "event_id"])
        .returning(EVENTS.c.event_id)
    )


_WIRE_COLUMNS = [c for c in EVENTS.c if c.name in EVENT_FIELDS]
INSERT_BATCH = _insert_batch()


def _insert(session: Session, table: Table) -> Any:
    """The dialect's INSERT, which knows ON CONFLICT DO NOTHING."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# What the kiosks count as a passage (kiosk.store.ADMITTED): a guard opening or a registered
# visitor lets someone through as much as a scanned pass does.
PASSAGE_KINDS = frozenset({EventKind.DECISION, EventKind.GUARD_ACTION, EventKind.VISITOR})


def _pass_on(session: Session, compound: str, new: Iterable[Event]) -> None:
    """Put the batch's passages in the compound's change log, for its other kiosks (a few
    change rows per batch, not one per passage: this is on every upload's path)."""
    batch = list(new)
    unused = _unused_openings(batch)
    used = [e for e in batch if e.event_id not in unused]
    passages = [passage_to_json(p) for p in map(_passage, used) if p is not None]
    rows = [
        {
            "compound_id": compound,
            "kind": "passages",
            "payload": {"passages": passages[start : start + PASSAGES_PER_ROW]},
        }
        for start in range(0, len(passages), PASSAGES_PER_ROW)
    ]
    uploaded = {e.event_id for e in batch}
    retracted = [
        {"device_id": e.device_id, "event_id": str(e.data["opening"])}
        for e in batch
        if e.reason is Reason.OPENING_UNUSED
        and e.data.get("opening")
        and e.data["opening"] not in uploaded
    ]
    if retracted:  # their openings went out in an earlier upload: take them back
        rows.append({"compound_id": compound, "kind": "unused", "payload": {"unused": retracted}})
    if rows:
        session.execute(_insert(session, CHANGES), rows)


def _unused_openings(events: list[Event]) -> set[str]:
    """Event ids of openings the same batch says nobody went through (Reason.OPENING_UNUSED):
    no passage, so they are not passed on. (An opening uploaded in an earlier batch than its
    marker has been passed on already; docs/gate-rules.md says what that means.)"""
    return {
        str(e.data.get("opening"))
        for e in events
        if e.reason is Reason.OPENING_UNUSED and e.data.get("opening")
    }


def _passage(event: Event) -> Passage | None:
    """What the compound's other kiosks need of ``event``, or None. An exit by the button has
    no identity but is passed on: at every kiosk it lets in a pass last seen going in before
    it, as it does at its own (docs/gate-rules.md, the exit button is egress)."""
    if (
        event.kind not in PASSAGE_KINDS
        or event.verdict is not Verdict.ALLOW
        or event.direction is None
        or (event.pass_id is None and event.household_id is None and not _button_exit(event))
    ):
        return None
    return Passage(
        event.device_id,
        event.event_id,
        event.compound_id,
        event.wall_time,
        event.direction,
        event.pass_id,
        event.household_id,
    )


def _button_exit(event: Event) -> bool:
    return event.reason is Reason.EXIT_BUTTON and event.direction is Direction.OUT


def _admitted(event: Event) -> bool:
    return (
        event.kind is EventKind.DECISION
        and event.verdict is Verdict.ALLOW
        and event.direction is not None
        and event.pass_id is not None
    )


def _flag_conflicts(session: Session, new: Iterable[Event], now: datetime) -> list[str]:
    """Compare each new admission with its neighbours in time; return newly flagged new ids."""
    batch = list(new)
    unused = _unused_openings(batch)
    admitted = [e for e in batch if _admitted(e) and e.event_id not in unused]
    pairs = [
        pair
        for history in _histories(session, admitted).values()
        for pair in _same_direction_pairs(history)
    ]
    flagged = _record_conflicts(session, pairs, now)
    new_keys = {(e.device_id, e.event_id) for e in admitted}
    return [event_id for device, event_id in flagged if (device, event_id) in new_keys]


def _histories(session: Session, events: list[Event]) -> dict[tuple[str, str], list[Admission]]:
    """Admissions of the events' passes around their times, per (compound, pass), oldest first.

    One query per compound and chunk of passes, not one per event: a 5,000-event backlog of
    a kiosk costs a handful of queries.
    """
    by_compound: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        by_compound[event.compound_id].append(event)
    histories: dict[tuple[str, str], list[Admission]] = defaultdict(list)
    for compound, group in by_compound.items():
        passes = sorted({e.pass_id or "" for e in group})
        times = [e.wall_time for e in group]
        window = {"start": min(times) - CONFLICT_WINDOW, "end": max(times) + CONFLICT_WINDOW}
        for start in range(0, len(passes), CHUNK):
            chunk = {"compound": compound, "passes": passes[start : start + CHUNK], **window}
            for row in session.connection().execute(HISTORY, chunk):
                histories[(compound, row.pass_id or "")].append(row)
    return histories


def _history() -> Any:
    """The admissions query of ``_histories``, built once (Core rows, no ORM objects).

    The passes stay an IN list: PostgreSQL plans it with the actual passes each time and hashes
    them. One array parameter (``= ANY``) kept one text, but the plan prepared for it from a
    fresh office's empty statistics scanned the compound's whole day for every batch
    (bench.fleet: 20% slower)."""
    return (
        select(*(EVENTS.c[name] for name in ADMISSION_COLUMNS))
        .where(
            EVENTS.c.compound_id == bindparam("compound"),
            EVENTS.c.pass_id.in_(bindparam("passes", expanding=True)),
            EVENTS.c.wall_time.between(bindparam("start"), bindparam("end")),
            EVENTS.c.verdict == Verdict.ALLOW.value,
            EVENTS.c.kind == EventKind.DECISION.value,
            EVENTS.c.direction.is_not(None),
        )
        .order_by(EVENTS.c.wall_time, EVENTS.c.id)
    )


HISTORY = _history()


def _same_direction_pairs(history: list[Admission]) -> Iterable[tuple[Admission, Admission]]:
    """Consecutive admissions in one direction by different kiosks."""
    for first, second in pairwise(history):
        if first.direction == second.direction and first.device_id != second.device_id:
            yield first, second


def _record_conflicts(
    session: Session, pairs: list[tuple[Admission, Admission]], now: datetime
) -> list[tuple[str, str]]:
    """Store conflicts not yet known (a race with another upload stores each once); returns
    the (device, event id) of every event newly involved."""
    if not pairs:
        return []
    rows = [
        {
            "compound_id": first.compound_id,
            "pass_id": first.pass_id or "",
            "direction": first.direction or "",
            "first_event_id": first.event_id,
            "first_device_id": first.device_id,
            "second_event_id": second.event_id,
            "second_device_id": second.device_id,
            "detected_at": now,
        }
        for first, second in pairs
    ]
    statement = (
        _insert(session, CONFLICTS)
        .on_conflict_do_nothing(index_elements=["second_device_id", "second_event_id"])
        .returning(CONFLICTS.c.second_device_id, CONFLICTS.c.second_event_id)
    )
    seconds = {(d, i) for d, i in session.connection().execute(statement, rows)}
    keys = sorted(
        {
            key
            for first, second in pairs
            if (second.device_id, second.event_id) in seconds
            for key in ((first.device_id, first.event_id), (second.device_id, second.event_id))
        }
    )
    # Sorted keys lock rows in one order in every transaction, so two uploads cannot deadlock.
    if keys:
        session.execute(
            update(EventRow)
            .where(tuple_(EventRow.device_id, EventRow.event_id).in_(keys))
            .values(conflict=True)
        )
    return keys


def conflicts(session: Session, compound_id: str | None = None) -> list[dict[str, Any]]:
    """Flagged offline anti-passback conflicts, newest first."""
    query = select(Conflict).order_by(Conflict.id.desc())
    if compound_id is not None:
        query = query.where(Conflict.compound_id == compound_id)
    return [
        {
            "compound_id": c.compound_id,
            "pass_id": c.pass_id,
            "direction": c.direction,
            "first_event_id": c.first_event_id,
            "first_device_id": c.first_device_id,
            "second_event_id": c.second_event_id,
            "second_device_id": c.second_device_id,
            "detected_at": c.detected_at.isoformat(),
        }
        for c in session.scalars(query)
    ]


# --- download ---------------------------------------------------------------------------------


def delta(session: Session, kiosk: Kiosk, since: int, now: datetime) -> Delta:
    """Changes for the kiosk's compound after cursor ``since``, at most one page."""
    return delta_page(session, kiosk, since, now).to_delta()


@dataclass(frozen=True, slots=True)
class DeltaPage:
    """A delta as the endpoint sends it, with the passages in the wire form they are stored in.

    The server wrote each passage with ``passage_to_json`` from an event it had checked, and a
    busy compound's poll carries hundreds of them: reading each back into a ``Passage`` only to
    format it again was a third of a poll's time. The kiosk checks every passage it receives.
    """

    delta: Delta  # everything but the passages
    passages: list[dict[str, Any]]

    @property
    def cursor(self) -> int:
        return self.delta.cursor

    @property
    def empty(self) -> bool:
        return self.delta.empty and not self.passages

    def to_json(self) -> dict[str, Any]:
        return {**self.delta.to_json(), "passages": self.passages}

    def to_delta(self) -> Delta:
        passages = tuple(passage_from_json(p, "change") for p in self.passages)
        return replace(self.delta, passages=passages)


def delta_page(session: Session, kiosk: Kiosk, since: int, now: datetime) -> DeltaPage:
    """``delta`` as the endpoint sends it.

    An idle poll is one index range scan on the change log's primary key that finds nothing.
    """
    rows = _changes(session, kiosk.compound_id, since)
    first = next(rows, None)
    if first is None and since > 0 and _cursor_ahead(session, since):
        # The kiosk holds a cursor from another (or a restored) database: start again.
        since, rows = 0, _changes(session, kiosk.compound_id, 0)
        first = next(rows, None)
    if first is None:
        return DeltaPage(Delta(since=since, cursor=since, server_time=now), [])
    return _fold(chain([first], rows), since, now)


def _changes(session: Session, compound: str, since: int) -> Iterator[Change]:
    """At most a page of change rows after ``since``, read a few at a time: photo rows are
    large, so a page is never held whole, and the page's order is found on the numbers alone
    (sorting whole rows made SQLite read every photo after the cursor for each page)."""
    numbers = session.scalars(
        select(Change.seq)
        .where(
            Change.seq > since, or_(Change.compound_id.is_(None), Change.compound_id == compound)
        )
        .order_by(Change.seq)
        .limit(DELTA_PAGE)
    ).all()
    for start in range(0, len(numbers), ROWS_FETCHED):
        chunk = numbers[start : start + ROWS_FETCHED]
        yield from session.scalars(select(Change).where(Change.seq.in_(chunk)).order_by(Change.seq))


def _cursor_ahead(session: Session, since: int) -> bool:
    newest = session.scalars(select(Change.seq).order_by(Change.seq.desc()).limit(1)).first()
    return newest is None or since > newest


def _fold(rows: Iterable[Change], since: int, now: datetime) -> DeltaPage:
    """Later changes win: one entry per pass, household and holder. ``more`` when the page
    was full or stopped early at a size bound (the rest comes in the next reply)."""
    revoked: dict[str, bool] = {}
    households: dict[str, HouseholdChange] = {}
    photos: dict[str, PhotoChange] = {}
    trust: dict[str, Any] | None = None
    policy: dict[str, Any] | None = None
    passages: list[dict[str, Any]] = []
    unused: list[tuple[str, str]] = []
    update_keys: tuple[bytes, ...] | None = None
    cursor, count, photo_chars, more = since, 0, 0, False
    for row in rows:
        payload, cursor, count = row.payload, row.seq, count + 1
        if row.kind == "passages":
            passages.extend(payload["passages"])
            if len(passages) >= PASSAGES_PER_DELTA:
                more = True  # the rest of the page in the next reply: replies stay small
                break
        elif row.kind == "photo":
            photos[payload["holder_id"]] = PhotoChange.from_json(payload, "change")
            photo_chars += len(payload.get("photo_b64") or "")
            if photo_chars >= DELTA_PHOTO_CHARS:
                more = True
                break
        elif row.kind == "revoke":
            revoked[payload["pass_id"]] = bool(payload["revoked"])
        elif row.kind == "household":
            households[payload["household_id"]] = HouseholdChange.from_json(payload, "change")
        elif row.kind == "trust":
            trust = payload
        elif row.kind == "policy":
            policy = payload
        elif row.kind == "unused":
            unused += [(u["device_id"], u["event_id"]) for u in payload["unused"]]
        elif row.kind == "update_keys":
            update_keys = update_keys_from_json(payload["update_keys"], "change")
    delta = Delta(
        since=since,
        cursor=cursor,
        server_time=now,
        revoked=revoked,
        households=tuple(households.values()),
        photos=tuple(photos.values()),
        trust=trust,
        policy=policy,
        more=more or count == DELTA_PAGE,
        unused=tuple(unused),
        update_keys=update_keys,
    )
    return DeltaPage(delta, passages)
