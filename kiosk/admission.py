"""From a code to a decision: verify it, look up the household and the pass's history, and
apply the rules (before the temperature, then with it). Reads the office data and the event
log; writes nothing and moves no hardware."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from kiosk.config import Policy
from kiosk.model import (
    ClockReading,
    Decision,
    Direction,
    History,
    HouseholdStatus,
    PassClaims,
    Reason,
    TemperatureReading,
    Verdict,
    Verification,
)
from kiosk.office import OfficeData
from kiosk.passes.verify import Verifier
from kiosk.rules import check_credential, decide, over_interval, visitor_decision
from kiosk.session import Session, mask_name
from kiosk.store import EventLog
from kiosk.view import PersonView

__all__ = ["Admission", "on_complete_data"]


def on_complete_data(
    decision: Decision, needs_download: bool, complete: Callable[[], bool], unknown: str
) -> Decision:
    """An admission stands only on complete office data: a kiosk that syncs and has not
    downloaded it to the end (new, or office.db reset) does not know ``unknown``, so the guard
    decides instead (refusals stand: they need no office data)."""
    if decision.verdict is not Verdict.ALLOW or not needs_download or complete():
        return decision
    detail = f"office data not downloaded to the end yet: {unknown} unknown"
    return Decision(Verdict.GUARD, Reason.OFFICE_DATA_INCOMPLETE, decision.alerts, detail)


class Admission:
    """The lane's rules applied to the person at the gate, with what this kiosk knows.

    ``needs_download``: the kiosk syncs with an office, so its office data are complete only
    after a download reached the end; until then nobody is admitted on the pass alone."""

    def __init__(
        self,
        compound: str,
        *,
        events: EventLog,
        office: OfficeData,
        verifier: Callable[[], Verifier],
        policy: Callable[[], Policy],
        needs_download: bool = False,
    ) -> None:
        self._compound, self._events, self._office = compound, events, office
        self._verifier, self._policy = verifier, policy
        self._needs_download = needs_download

    def session(self, text: str, now: ClockReading) -> Session:
        """A new person: the code verified, their household and their pass's history."""
        verification = self.verify(text, now)
        claims = verification.credential.claims if verification.credential else None
        household = self._office.household(claims.household_id) if claims else HouseholdStatus()
        history = self._history(claims, now) if claims else History()
        return Session(text, verification, claims, household, history)

    def verify(self, text: str, now: ClockReading) -> Verification:
        """Verify at the earliest and the latest plausible time (once, when the clock is sure)."""
        verifier = self._verifier()
        earliest, latest = now.span
        at_latest = verifier.verify(text, latest)
        if earliest == latest:
            return at_latest
        return over_interval(verifier.verify(text, earliest), at_latest, now)

    def person_view(self, session: Session) -> PersonView | None:
        """The person as the resident screen shows them (masked name, photo, household)."""
        claims = session.claims
        if claims is None:
            return None
        return PersonView(
            pass_id=claims.pass_id,
            masked_name=mask_name(claims.holder_name),
            role=claims.role,
            household_id=claims.household_id,
            colour=session.household.colour,
            expires_at=claims.expires_at,
            photo_png=self._office.photo(claims.pass_id),
            host_flat=claims.host_flat,
        )

    def before_measuring(
        self, session: Session, now: ClockReading, direction: Direction
    ) -> Decision:
        """The rules that need no temperature."""
        assert session.verification is not None
        inputs = self._inputs(session, now, direction)
        return self._known(check_credential(session.verification, **inputs))

    def with_reading(
        self,
        session: Session,
        reading: TemperatureReading,
        now: ClockReading,
        direction: Direction,
    ) -> Decision:
        """The whole decision, temperature included (a guard-registered visitor's own rules)."""
        if session.visitor is not None:
            return self._known(
                visitor_decision(
                    reading,
                    session.attempt,
                    destination=session.visitor.household_id,
                    household=session.household,
                    policy=self._policy(),
                )
            )
        assert session.verification is not None
        inputs = self._inputs(session, now, direction)
        return self._known(decide(session.verification, reading, session.attempt, **inputs))

    def _known(self, decision: Decision) -> Decision:
        return on_complete_data(
            decision, self._needs_download, self._office.complete, "revocations and colours"
        )

    def _history(self, claims: PassClaims, now: ClockReading) -> History:
        window = timedelta(days=self._policy().exit_quota_days)
        return self._events.history(
            claims.pass_id, claims.household_id, self._compound, now.wall, window
        )

    def _inputs(self, session: Session, now: ClockReading, direction: Direction) -> dict[str, Any]:
        return {
            "compound": self._compound,
            "history": session.history,
            "household": session.household,
            "policy": self._policy(),
            "clock": now,
            "direction": direction,
            "hcert": session.hcert,
        }
