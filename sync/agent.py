"""The kiosk's store-and-forward sync agent: upload the log, then download office changes.

It runs in its own thread beside the kiosk loop; the gate never waits for it. One cycle:

1. If the kiosk clock is untrusted, ask the server's time first and shift this boot's
   untrusted events (``EventLog.correct_untrusted``) before they leave the kiosk.
2. Upload unsynced events in batches. Every event carries the random id made when it
   happened, so a retry after a lost reply is harmless: the server answers "known".
   Stored and known ids are both acknowledged (``mark_synced``).
3. Download the delta since the saved cursor and apply it in one transaction.

Faults: no answer, a timeout or a 5xx keeps everything and retries after an exponential
backoff with jitter. A 413 halves the batch. Another 4xx for a batch is narrowed down by
halving until the one bad event is found; that event is kept in ``RejectedEvents`` with the
server's message and acknowledged, so the queue moves on. A revoked or unknown credential
stops uploading (events stay queued) until the office re-enrolls the kiosk.

One event must not hold the queue up, yet a broken office must not empty it into
``RejectedEvents``. So before blaming an event the agent sends an empty batch: an office that
refuses that too refuses everything (an older office, say), and the events stay queued while
``alarm`` carries the office's message. A batch that gets 5xx ``STUCK_AFTER`` times in a row from
an office that takes the empty batch is split the same way, and the event it fails on is set
aside with the office's answer. A reply naming ids that were not sent is a protocol error:
nothing is marked.

The download carries the passages at the compound's other kiosks; they go into the event log
(``merge_passages``) before the office data, so the offline rules count the whole compound.

Downloads are bounded: the client refuses a reply over ``sync.max_reply_kib``, a cycle fetches
at most ``MAX_PAGES`` pages (the rest comes next cycle, after the uploads), and an office that
says ``more`` without moving its cursor, or keeps sending empty pages that say ``more``, is
left alone until the backoff has passed, with the ``data_alarm`` raised. An item of a page the
kiosk cannot use is kept in ``SetAsideChanges`` with an alarm and the rest of the page applied.

A data file the kiosk cannot use (a full card, a read-only mount, a log of a newer release) is
a state the kiosk lives with, not a bug: the agent notes it in the journal when it starts and
when it ends (``KnownFault``), never with a traceback per cycle. While the event log is
unusable nothing uploads, the office data still download and the other kiosks' passages wait
in memory and in a file (``sync.held``) until the log takes them, across a restart.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kiosk.clock import boot_id
from kiosk.config import Config
from kiosk.exc import StoreError, SyncError
from kiosk.kept import KeptLines
from kiosk.model import ClockReading, Event, Passage, RiskColour
from kiosk.update.keys import TrustedKeys, keys_file
from kiosk.vehicles.model import RiskReport, Vehicle
from sync.client import Client, Credential, Refused, ReplyTooLarge, ServerFault, Transient
from sync.held import FILE as HELD_FILE
from sync.held import HeldPassages
from sync.knownfault import KnownFault
from sync.protocol import (
    Delta,
    ErrorCode,
    PhotoChange,
    SetAside,
    StatusKey,
    UploadReply,
    UploadRequest,
)
from sync.rejected import RejectedEvents
from sync.setaside import SetAsideChanges

log = logging.getLogger(__name__)

__all__ = ["AgentSettings", "CycleResult", "LinkReport", "SyncAgent", "apply_delta", "build_agent"]

LinkReport = Callable[[bool, int], None]  # (online, backlog), e.g. Kiosk.set_link_status
Alarm = Callable[[str], None]  # the office's words when it refuses every upload
DataAlarm = Callable[[str, int], None]  # what is wrong with a download, at which cursor
STUCK_AFTER = 3  # 5xx answers in a row to the same batch before the agent splits it
MAX_PAGES = 100  # delta pages in one cycle (~300 MB of photos); the rest come next cycle
EMPTY_PAGES = 3  # pages in a row that say "more" and carry nothing: the office is looping


class CacheMoved(Transient):
    """The office data cache is not where the page being applied begins (it was reset)."""


class EventSource(Protocol):
    def unsynced(self, limit: int = 200) -> list[Event]: ...
    def mark_synced(self, event_ids: Iterable[str]) -> int: ...
    def count_unsynced(self) -> int: ...
    def correct_untrusted(self, boot_id: str, offset_s: float) -> int: ...
    def merge_passages(self, passages: Iterable[Passage]) -> int: ...
    def forget_passages(self, openings: Iterable[tuple[str, str]]) -> int: ...


class ClockLike(Protocol):
    def read(self) -> ClockReading: ...
    def observe_server_time(self, server_wall: datetime) -> float: ...


class OfficeSink(Protocol):
    def transaction(self) -> AbstractContextManager[None]: ...
    def revoke(self, pass_id: str, at: datetime | None = None) -> None: ...
    def unrevoke(self, pass_id: str) -> None: ...
    def set_household(
        self, household_id: str, colour: RiskColour, quarantine_until: datetime | None = None
    ) -> None: ...
    def put_photo(self, pass_id: str, image: bytes | None) -> None: ...
    def put_vehicle(self, vehicle: Vehicle) -> None: ...
    def remove_vehicle(self, vehicle_id: str) -> None: ...
    def put_risk(self, report: RiskReport) -> None: ...
    def remove_risk(self, plate: str) -> None: ...
    def set_trust_json(self, text: str) -> None: ...
    def set_policy_json(self, text: str) -> None: ...
    def cursor(self) -> str | None: ...
    def set_cursor(self, cursor: str) -> None: ...
    def mark_complete(self) -> None: ...


@dataclass(frozen=True, slots=True)
class AgentSettings:
    """The [sync] values the agent uses (kiosk.config.SyncSettings has them all)."""

    interval_s: float = 30.0
    batch_size: int = 200
    max_backoff_s: float = 600.0
    first_backoff_s: float = 2.0


@dataclass(frozen=True, slots=True)
class CycleResult:
    ok: bool
    uploaded: int = 0
    rejected: int = 0
    changes_applied: bool = False
    error: str = ""


class SyncAgent:
    """Sync with the office every ``interval_s``; ``run_once`` is one cycle (tests call it)."""

    def __init__(
        self,
        client: Client,
        events: EventSource,
        office: OfficeSink,
        clock: ClockLike,
        rejected: RejectedEvents,
        *,
        boot_id: str,
        settings: AgentSettings | None = None,
        report: LinkReport | None = None,
        rand: Callable[[], float] = random.random,
        credential_file: Path | None = None,
        alarm: Alarm | None = None,
        set_aside: SetAsideChanges | None = None,
        data_alarm: DataAlarm | None = None,
        update_keys: Callable[[tuple[bytes, ...]], object] | None = None,
        os_status: Callable[[], Mapping[str, str]] | None = None,
        held: KeptLines | None = None,
    ) -> None:
        self.client = client
        self._update_keys = update_keys  # the office's new set of update keys (docs/updates.md)
        self.events = events
        self.office = office
        self.clock = clock
        self.rejected = rejected
        self.boot_id = boot_id
        self.settings = settings or AgentSettings()
        self._report = report
        self._rand = rand
        self._credential_file = credential_file
        self._batch = self.settings.batch_size
        self._failures = 0
        self._network = True
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._alarm = alarm
        self._stuck = ("", 0)  # (first event id of the failing batch, 5xx answers in a row)
        self._takes_uploads: bool | None = None  # this cycle's answer to the empty batch
        self.online = False
        self.locked_out = ""  # the server's message while the credential is refused
        self.alarm = ""  # the office's own words while it refuses every upload
        self.set_aside = set_aside
        self._data_alarm = data_alarm
        self._os_status = os_status  # the system's pending updates, for the office to see
        self.data_fault = ""  # what is wrong with the office's downloads, while it lasts
        self.log_fault = KnownFault(
            "the event log", "uploads wait, office downloads go on", "uploads resume"
        )
        self.file_fault = KnownFault("a data file", "this cycle stopped", "syncing resumes")
        # Downloaded while the log could not take them; ``held`` keeps them across a restart.
        self._held = HeldPassages(held)
        self._backlog = 0  # events still to upload, as last counted

    # --- the thread ------------------------------------------------------------------------------

    def start(self) -> None:
        """Sync in a daemon thread until ``stop()``."""
        self._thread = threading.Thread(target=self._loop, name="sync-agent", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.close()

    def sync_now(self) -> None:
        """Wake the thread for a cycle now (after the network comes back, a guard's button)."""
        self._wake.set()

    def set_network(self, online: bool) -> None:
        """The simulator's network switch: while off, the agent behaves as if unplugged."""
        self._network = online
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            result = self.run_once()
            self._wake.wait(self.next_delay(result))
            self._wake.clear()

    def next_delay(self, result: CycleResult) -> float:
        """``interval_s`` after success; exponential backoff with jitter after a fault."""
        if result.ok:
            return self.settings.interval_s
        ceiling = self.settings.first_backoff_s * 2.0 ** min(self._failures - 1, 30)
        ceiling = min(self.settings.max_backoff_s, ceiling)
        return ceiling * (0.5 + 0.5 * self._rand())  # jitter spreads a fleet's retries

    # --- one cycle -------------------------------------------------------------------------------

    def run_once(self) -> CycleResult:
        """Upload, then download; never raises (faults are logged and reported)."""
        try:
            result = self._cycle()
        except (Transient, Refused) as error:
            result = CycleResult(ok=False, error=str(error))
            log.warning("sync: %s", error)
        except StoreError as error:  # office.db unusable: the kiosk loop alarms; no traceback
            self.file_fault.failed(error)
            result = CycleResult(ok=False, error=str(error))
        except Exception as error:  # a bug here must not end the thread: retry later
            log.exception("sync cycle failed")
            result = CycleResult(ok=False, error=f"{type(error).__name__}: {error}")
        if result.ok:
            self.file_fault.cleared()
        self._failures = 0 if result.ok else self._failures + 1
        self.online = result.ok
        self._tell(result.ok)
        return result

    def _cycle(self) -> CycleResult:
        if not self._network:
            raise Transient("network switched off")
        if not self.client.token:
            self._load_credential()
        if self._os_status is not None:
            self.client.status.update(self._os_status())
        if not self.clock.read().trusted:
            self._adopt_time(self.client.server_time())
        try:
            uploaded, rejected = self._uploads()
            changed = self._download_all()
        except Refused as error:
            if error.locked_out:
                self.locked_out = error.message
                self._reload_credential()  # the office may have re-enrolled this kiosk
            raise
        self.locked_out = ""
        return CycleResult(ok=True, uploaded=uploaded, rejected=rejected, changes_applied=changed)

    def _load_credential(self) -> None:
        """Pick up the credential ``kiosk enroll`` saved after this agent started."""
        if self._credential_file is None:
            raise Transient("no credential; enroll the kiosk (kiosk enroll CODE)")
        try:
            self.client.set_token(Credential.load(self._credential_file).token)
        except SyncError as error:
            self.locked_out = str(error)
            raise Transient(str(error)) from None

    def _reload_credential(self) -> None:
        if self._credential_file is None:
            return
        try:
            token = Credential.load(self._credential_file).token
        except SyncError:
            return
        if token != self.client.token:
            self.client.set_token(token)

    def _adopt_time(self, server_wall: datetime) -> None:
        """Take the server's time; shift this boot's events logged while the clock was unsure."""
        before = self.clock.read()
        self.clock.observe_server_time(server_wall)
        if not before.trusted:
            # Shift by what the clock took from the office: nothing when it refused the office's
            # time (behind the last trusted time, or overruled by NTP).
            after = self.clock.read()
            offset = (after.wall - before.wall).total_seconds()
            offset -= after.monotonic - before.monotonic
            try:
                fixed = self.events.correct_untrusted(self.boot_id, offset)
            except StoreError as error:  # those events keep clock_trusted false for the office
                self.log_fault.failed(error)
                return
            if fixed:
                log.info("corrected the time of %d event(s) by %.1f s", fixed, offset)

    def _tell(self, online: bool) -> None:
        if self._report is None:
            return
        try:
            self._report(online, self._count())
        except Exception:
            log.exception("could not report the link status")

    def _count(self) -> int:
        """Events still to upload; while the log cannot say, the last count."""
        try:
            self._backlog = self.events.count_unsynced()
        except StoreError as error:
            self.log_fault.failed(error)
        return self._backlog

    # --- upload ----------------------------------------------------------------------------------

    def _uploads(self) -> tuple[int, int]:
        """Upload what the log holds and give it the passages held meanwhile; a log that
        cannot be used is a known state (``log_fault``): nothing uploads, downloads go on."""
        try:
            done = self._upload_all()
            self.client.status[StatusKey.BACKLOG] = str(self.events.count_unsynced())
            if self._held:
                self.events.merge_passages(self._held.passages)
                self.events.forget_passages(self._held.unused)
                self._held.given()
        except StoreError as error:
            self.log_fault.failed(error)
            return 0, 0
        self.log_fault.cleared()
        return done

    def _upload_all(self) -> tuple[int, int]:
        uploaded = rejected = 0
        self._takes_uploads = None
        while batch := self.events.unsynced(self._batch):
            acked, refused = self._send(batch)
            uploaded, rejected = uploaded + acked, rejected + refused
            if acked + refused == 0:
                break  # nothing moved: do not spin on the same batch
        self._set_alarm("")
        return uploaded, rejected

    def _send(self, batch: list[Event]) -> tuple[int, int]:
        """Upload ``batch``; returns (acknowledged, set aside). Raises Transient or lock-out."""
        try:
            return self._attempt(batch)
        except ServerFault as error:
            return self._server_fault(batch, error)

    def _attempt(self, batch: list[Event]) -> tuple[int, int]:
        """One upload of ``batch``; a 4xx is dealt with here, a 5xx raised."""
        try:
            reply = self.client.upload(UploadRequest(batch[0].device_id, tuple(batch)))
        except Refused as error:
            return self._refused(batch, error)
        return self._take(batch, reply)

    def _take(self, batch: list[Event], reply: UploadReply) -> tuple[int, int]:
        """Mark what the office acknowledged and set aside what it refused for good."""
        sent = {e.event_id: e for e in batch}
        named = [*reply.acknowledged, *reply.conflicts, *(r.event_id for r in reply.refused)]
        strays = sorted({i for i in named if i not in sent})
        if strays:
            raise Transient(
                f"protocol error: the office's reply names {len(strays)} event id(s) that were "
                f"not sent ({', '.join(strays[:3])}); nothing marked as synced"
            )
        self._stuck = ("", 0)
        for refusal in reply.refused:
            self._reject(sent[refusal.event_id], 200, refusal.code, refusal.message)
        self.events.mark_synced(list(reply.acknowledged))
        if reply.conflicts:
            log.warning("office flagged anti-passback conflicts: %s", ", ".join(reply.conflicts))
        return len(reply.acknowledged), len(reply.refused)

    def _refused(self, batch: list[Event], error: Refused) -> tuple[int, int]:
        if error.locked_out or error.code not in PER_EVENT:
            raise error
        if error.code == ErrorCode.BATCH_TOO_LARGE and len(batch) > 1:
            self._batch = max(1, len(batch) // 2)
        elif not self._office_takes_uploads(batch[0].device_id):
            words = error.message or str(error)
            self._set_alarm(words)
            raise Transient(
                f"the office refuses every upload: {words}; {len(batch)}+ event(s) stay queued"
            )
        if len(batch) == 1:
            return 0, self._reject(batch[0], error.status, error.code, error.message)
        return self._halves(batch)

    def _server_fault(self, batch: list[Event], error: ServerFault) -> tuple[int, int]:
        """A 5xx: retry later, unless this batch keeps failing on an office that works."""
        head = batch[0].event_id
        count = self._stuck[1] + 1 if self._stuck[0] == head else 1
        self._stuck = (head, count)
        if count < STUCK_AFTER or not self._office_takes_uploads(batch[0].device_id):
            raise error
        log.warning(
            "HTTP %d %d times for the batch from %s: splitting it", error.status, count, head
        )
        self._stuck = ("", 0)
        return self._isolate(batch, error)

    def _isolate(self, batch: list[Event], error: ServerFault) -> tuple[int, int]:
        """Halve a batch the office fails on until the event to blame is alone; set it aside
        with the office's answer and deliver the rest."""
        if len(batch) == 1:
            return 0, self._reject(batch[0], error.status, error.code, error.message)
        half, acked, refused = len(batch) // 2, 0, 0
        for part in (batch[:half], batch[half:]):
            try:
                done = self._attempt(part)
            except ServerFault as again:
                done = self._isolate(part, again)
            acked, refused = acked + done[0], refused + done[1]
        return acked, refused

    def _halves(self, batch: list[Event]) -> tuple[int, int]:
        half = len(batch) // 2
        first, second = self._send(batch[:half]), self._send(batch[half:])
        return first[0] + second[0], first[1] + second[1]

    def _office_takes_uploads(self, device: str) -> bool:
        """Whether the office takes an empty batch (asked once a cycle): if not, the fault
        lies with the office, not with the events."""
        if self._takes_uploads is None:
            try:
                self.client.upload(UploadRequest(device, ()))
                self._takes_uploads = True
            except Refused as error:
                if error.locked_out:
                    raise
                self._takes_uploads = False
            except Transient:
                self._takes_uploads = False
        return self._takes_uploads

    def _reject(self, event: Event, status: int, code: str, message: str) -> int:
        log.error("office refused event %s: HTTP %d %s: %s", event.event_id, status, code, message)
        self.rejected.add(event, status, code, message)
        self.events.mark_synced([event.event_id])
        return 1

    def _set_alarm(self, message: str) -> None:
        if message == self.alarm:
            return
        self.alarm = message
        if message:
            log.error("the office refuses every upload: %s", message)
        if self._alarm is not None and message:
            try:
                self._alarm(message)
            except Exception:
                log.exception("could not raise the sync alarm")

    # --- download --------------------------------------------------------------------------------

    def _download_all(self) -> bool:
        """Fetch and apply delta pages until the office has no more (or MAX_PAGES this cycle)."""
        changed, empty_run = False, 0
        for _ in range(MAX_PAGES):
            since = _cursor(self.office.cursor())
            try:
                found = self.client.delta(since, etag=f'"{since}"')
            except ReplyTooLarge as error:
                raise self._data_fault(str(error), since) from None
            if found is None:  # nothing after the cursor: the cache is up to date
                self.office.mark_complete()
                break
            self._adopt_time(found.server_time)
            if found.more and found.cursor <= found.since:
                raise self._data_fault(
                    f"the office says more follows after cursor {found.cursor} but does not "
                    "move past it",
                    found.cursor,
                )
            empty_run = empty_run + 1 if found.more and found.empty else 0
            if empty_run >= EMPTY_PAGES:
                raise self._data_fault(
                    f"the office sent {empty_run} empty pages in a row that say more follows",
                    found.cursor,
                )
            self._apply(found, since)
            changed = changed or not found.empty
            if not found.more:
                break
        self._set_data_fault("")
        return changed

    def _apply(self, found: Delta, since: int) -> None:
        if found.passages or found.unused:
            # Idempotent, so it may go before the cursor's transaction: a crash between
            # the two downloads the passages again and counts each once (and forgetting
            # twice forgets nothing more).
            self._merge(found.passages, found.unused)
        if found.update_keys is not None and self._update_keys is not None:
            self._update_keys(found.update_keys)  # the whole set: taking it twice changes nothing
        if found.cursor != since or not found.empty:
            apply_delta(self.office, found, self._keep, after=since)
        elif not found.more:
            self.office.mark_complete()

    def _merge(self, passages: Sequence[Passage], unused: Sequence[tuple[str, str]] = ()) -> None:
        """Into the log, less the openings nobody used (``unused``); while it cannot take
        them, held in memory (the office data still apply: a revocation matters more) and
        given to it once it works."""
        if not self.log_fault.words:
            try:
                self.events.merge_passages(passages)
                if unused:
                    self.events.forget_passages(unused)
                return
            except StoreError as error:
                self.log_fault.failed(error)
        self._held.hold(passages, unused)  # the unused ones are forgotten after the merge

    def _keep(self, delta: Delta, items: Sequence[SetAside]) -> None:
        """Keep what the kiosk cannot apply before the cursor moves past it, and say so."""
        for item in items:
            log.error("set aside %s of the office's delta: %s", item.where, item.problem)
        if self.set_aside is not None:
            self.set_aside.add(delta.cursor, items)
        first = items[0]
        words = f"{len(items)} change(s) set aside ({first.where}: {first.problem})"
        self._set_data_fault(words, delta.cursor)

    def _data_fault(self, words: str, cursor: int) -> Transient:
        """Stop downloading for this cycle (the agent backs off) and raise the data alarm."""
        self._set_data_fault(words, cursor)
        return Transient(f"download stopped: {words}")

    def _set_data_fault(self, words: str, cursor: int = 0) -> None:
        if words == self.data_fault:
            return
        self.data_fault = words
        if words:
            log.error("office downloads: %s", words)
        if words and self._data_alarm is not None:
            try:
                self._data_alarm(words, cursor)
            except Exception:
                log.exception("could not raise the office data alarm")


# 4xx codes that are about the content of the batch, so one event may be to blame.
PER_EVENT = frozenset(
    {
        ErrorCode.BAD_JSON,
        ErrorCode.INVALID,
        ErrorCode.BATCH_TOO_LARGE,
        ErrorCode.DEVICE_MISMATCH,
    }
)


def _cursor(saved: str | None) -> int:
    try:
        return max(0, int(saved or 0))
    except ValueError:
        return 0  # a cursor from another protocol version: fetch everything again


def apply_delta(
    office: OfficeSink,
    delta: Delta,
    keep: Callable[[Delta, Sequence[SetAside]], None] | None = None,
    *,
    after: int | None = None,
) -> tuple[SetAside, ...]:
    """Write one delta to the kiosk's office cache, all or nothing, cursor last; the last page
    (``more`` false) marks the cache complete, so passes no longer go to the guard.

    Items the kiosk cannot use (unparsed ones, photos that are not base64) are handed to
    ``keep`` first, then the rest is applied, revocations first; returns those items.
    ``after``: the cursor the page was asked after; a cache whose cursor is no longer there
    (reset as damaged while the page came) takes nothing, ``CacheMoved``: the page would fill
    it from the middle and mark it complete without the pages before.
    """
    images, damaged = _images(delta.photos)
    aside = (*delta.set_aside, *damaged)
    if aside and keep is not None:
        keep(delta, aside)
    with office.transaction():
        if after is not None and _cursor(office.cursor()) != after:
            raise CacheMoved(
                f"the office data cache changed while the page after {after} was downloaded "
                f"(now at {_cursor(office.cursor())}); the next cycle goes on from there"
            )
        for pass_id, revoked in delta.revoked.items():
            if revoked:
                office.revoke(pass_id, delta.server_time)
            else:
                office.unrevoke(pass_id)
        for change in delta.households:
            office.set_household(change.household_id, change.colour, change.quarantine_until)
        for photo, image in images:
            for pass_id in photo.pass_ids:
                office.put_photo(pass_id, image)
        _apply_vehicles(office, delta)
        if delta.trust is not None:
            office.set_trust_json(json.dumps(delta.trust, ensure_ascii=False))
        if delta.policy is not None:
            office.set_policy_json(json.dumps(delta.policy, ensure_ascii=False))
        office.set_cursor(str(delta.cursor))
        if not delta.more:
            office.mark_complete()  # with the cursor: a crash never leaves one without the other
    return aside


def _apply_vehicles(office: OfficeSink, delta: Delta) -> None:
    """The vehicle registry's and risk list's changes (part of apply_delta's transaction)."""
    for change in delta.vehicles:
        if change.removed:
            office.remove_vehicle(change.vehicle.vehicle_id)
        else:
            office.put_vehicle(change.vehicle)
    for risk in delta.risk_plates:
        if risk.removed:
            office.remove_risk(risk.report.plate)
        else:
            office.put_risk(risk.report)


def _images(
    photos: Sequence[PhotoChange],
) -> tuple[list[tuple[PhotoChange, bytes | None]], list[SetAside]]:
    """Each photo decoded, or set aside when its text is not base64."""
    images: list[tuple[PhotoChange, bytes | None]] = []
    damaged: list[SetAside] = []
    for index, photo in enumerate(photos):
        try:
            text = photo.photo_b64
            images.append((photo, None if text is None else base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError) as error:
            where = f"delta.photos[{index}]"
            damaged.append(SetAside(where, f"photo_b64 is not base64 ({error})", photo.to_json()))
    return images, damaged


def build_agent(
    config: Config,
    events: EventSource,
    office: OfficeSink,
    clock: ClockLike,
    *,
    report: LinkReport | None = None,
    alarm: Alarm | None = None,
    data_alarm: DataAlarm | None = None,
    os_status: Callable[[], Mapping[str, str]] | None = None,
) -> SyncAgent | None:
    """The agent for a kiosk's [sync] settings; None when no server is configured."""
    sync = config.sync
    if not sync.server_url:
        return None
    if sync.credential_file is None:
        raise SyncError("sync.server_url is set but sync.credential_file is empty; enroll first")
    try:
        token = Credential.load(sync.credential_file).token
    except SyncError as error:
        # Not enrolled yet: the kiosk runs offline and the agent retries with backoff, picking
        # the credential up as soon as ``kiosk enroll`` has written it.
        log.warning("%s", error)
        token = ""
    verify: str | bool = str(sync.ca_file) if sync.ca_file else True
    client = Client(sync.server_url, token, sync.timeout_s, verify)
    client.max_reply_bytes = sync.max_reply_kib * 1024
    settings = AgentSettings(sync.interval_s, sync.batch_size, sync.max_backoff_s)
    rejected = RejectedEvents(config.device.data_dir / "rejected.db")
    return SyncAgent(
        client,
        events,
        office,
        clock,
        rejected,
        boot_id=boot_id(),
        settings=settings,
        report=report,
        credential_file=sync.credential_file,
        alarm=alarm,
        set_aside=SetAsideChanges(config.device.data_dir / "set-aside.db"),
        data_alarm=data_alarm,
        update_keys=TrustedKeys(keys_file(config.device.data_dir)).replace,
        os_status=os_status,
        held=KeptLines.beside(config.device.data_dir, HELD_FILE),
    )
