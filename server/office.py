"""What the office does by hand: compounds, households, residents, passes, keys and kiosks.

Every function takes an open Session and leaves committing to the caller, so the CLI, the web
app and the tests compose them in one transaction. Each change kiosks must learn about is also
written to the change log (``changes``), which is what ``server.sync_service.delta`` reads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session

from kiosk.model import PassClaims, RiskColour, Role
from kiosk.passes import IssuerKey, TrustList, issue_pass, load_trust
from server.exc import AlreadyDone, AlreadyExists, NotFound, ServerConfigError
from server.models import (
    Certificate,
    Change,
    ColourHistory,
    Compound,
    EnrollmentCode,
    Holder,
    Household,
    IssuerKeyRow,
    Kiosk,
    Pass,
)
from sync.protocol import HouseholdChange, PhotoChange

MAX_PHOTO_BYTES = 512 * 1024


def now_utc() -> datetime:
    return datetime.now(UTC)


def token_hash(secret: str) -> str:
    """Credentials and codes are stored as SHA-256: a stolen database holds no usable token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def record_change(session: Session, compound_id: str | None, kind: str, payload: Any) -> None:
    """Append to the change log kiosks download (compound None: for every compound)."""
    session.add(Change(compound_id=compound_id, kind=kind, payload=payload))


def _get(session: Session, model: Any, key: Any, what: str) -> Any:
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {what} {key!r}; list or add it first")
    return row


# --- compounds and households -----------------------------------------------------------------


def add_compound(session: Session, compound_id: str, name: str = "") -> Compound:
    if session.get(Compound, compound_id) is not None:
        raise AlreadyExists(f"compound {compound_id!r} already exists")
    row = Compound(id=compound_id, name=name or compound_id, policy={})
    session.add(row)
    return row


def add_household(
    session: Session, household_id: str, compound_id: str, colour: RiskColour = RiskColour.WHITE
) -> Household:
    _get(session, Compound, compound_id, "compound")
    if session.get(Household, household_id) is not None:
        raise AlreadyExists(f"household {household_id!r} already exists")
    return add_new_household(session, household_id, compound_id, colour)


def add_new_household(
    session: Session, household_id: str, compound_id: str, colour: RiskColour
) -> Household:
    """add_household for a caller that has checked the compound and that the id is new (the
    importer does both for a whole file in one query, not a query per flat)."""
    row = Household(id=household_id, compound_id=compound_id, colour=colour.value)
    session.add(row)
    _household_changed(session, row)
    return row


def set_colour(
    session: Session,
    household_id: str,
    colour: RiskColour,
    quarantine_until: datetime | None,
    *,
    since: datetime | None = None,
    was: RiskColour | None = None,
) -> Household:
    """Set a household's risk colour (from ``since``, default now) and quarantine end; kiosks
    learn it at their next poll. With ``was``: only if the colour still is ``was`` (one
    conditional UPDATE), else AlreadyDone, so two clerks cannot each change it unseen."""
    row: Household = _get(session, Household, household_id, "household")
    if was is not None:
        transition(
            session,
            update(Household)
            .where(Household.id == household_id, Household.colour == was.value)
            .values(colour=colour.value, quarantine_until=quarantine_until),
            f"household {household_id!r} is no longer {was.value}: someone changed it meanwhile",
        )
    row.colour, row.quarantine_until = colour.value, quarantine_until
    _household_changed(session, row, since)
    return row


def transition(session: Session, guarded: Update, already: str) -> None:
    """Make a state change with one conditional UPDATE: one caller wins, on SQLite (the write
    lock) and PostgreSQL (the row lock; WHERE is checked again after it) alike; the others get
    AlreadyDone saying ``already``. The rows in the session are updated too."""
    result = session.execute(guarded)
    if getattr(result, "rowcount", 0) != 1:
        raise AlreadyDone(already)


def _household_changed(session: Session, row: Household, since: datetime | None = None) -> None:
    change = HouseholdChange(row.id, RiskColour(row.colour), row.quarantine_until)
    record_change(session, row.compound_id, "household", change.to_json())
    at = since or now_utc()  # the colour history behind the office's colours-over-time chart
    session.add(
        ColourHistory(compound_id=row.compound_id, household_id=row.id, colour=row.colour, at=at)
    )


def set_policy(session: Session, compound_id: str, overrides: dict[str, Any]) -> None:
    """Replace a compound's policy overrides ([policy] keys of the kiosk config)."""
    row: Compound = _get(session, Compound, compound_id, "compound")
    row.policy = dict(overrides)
    record_change(session, compound_id, "policy", dict(overrides))


# --- residents and passes ---------------------------------------------------------------------


def add_resident(
    session: Session,
    name: str,
    household_id: str,
    *,
    phone: str = "",
    address: str = "",
    photo: bytes | None = None,
) -> Holder:
    _get(session, Household, household_id, "household")
    if not name.strip():
        raise ServerConfigError("a resident needs a name")
    holder = Holder(name=name, household_id=household_id, phone=phone, address=address)
    if photo is not None:
        holder.photo, holder.photo_type = _checked_photo(photo)
    session.add(holder)
    session.flush()  # assigns the id
    return holder


def _checked_photo(photo: bytes) -> tuple[bytes, str]:
    if len(photo) > MAX_PHOTO_BYTES:
        raise ServerConfigError(
            f"photo is {len(photo) // 1024} KiB; at most {MAX_PHOTO_BYTES // 1024} KiB "
            "(shrink it to about 300x400 pixels)"
        )
    if photo.startswith(b"\xff\xd8"):
        kind = "image/jpeg"
    elif photo.startswith(b"\x89PNG"):
        kind = "image/png"
    else:
        raise ServerConfigError("photo must be a JPEG or PNG file")
    _decodes(photo)
    return photo, kind


def _decodes(photo: bytes) -> None:
    """Decode the whole image now: a truncated file would otherwise fail on the printed pass."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(photo)) as image:
            image.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ServerConfigError(
            f"photo cannot be read as a picture ({error}); save or export it again"
        ) from None


def set_photo(session: Session, holder_id: int, photo: bytes) -> Holder:
    """Give a resident a new photo; kiosks show the guard the new face after their next poll."""
    holder: Holder = _get(session, Holder, holder_id, "resident")
    holder.photo, holder.photo_type = _checked_photo(photo)
    _photo_changed(session, holder)
    return holder


def _photo_changed(session: Session, holder: Holder) -> None:
    household: Household = _get(session, Household, holder.household_id, "household")
    pass_ids = session.scalars(select(Pass.pass_id).where(Pass.holder_id == holder.id)).all()
    photo = None if holder.photo is None else base64.b64encode(holder.photo).decode("ascii")
    change = PhotoChange(
        str(holder.id), holder.name, holder.household_id, tuple(pass_ids), photo, holder.photo_type
    )
    record_change(session, household.compound_id, "photo", change.to_json())


def issue_resident_pass(
    session: Session,
    holder_id: int,
    *,
    role: Role = Role.RESIDENT,
    days: int = 180,
    at: datetime | None = None,
) -> tuple[Pass, str]:
    """Sign a pass for a holder with the office's signing key; returns the row and QR text."""
    holder: Holder = _get(session, Holder, holder_id, "resident")
    household: Household = _get(session, Household, holder.household_id, "household")
    key = signing_key(session)
    start = at or now_utc()
    claims = PassClaims(
        issuer=key.issuer,
        pass_id=f"P{secrets.token_hex(6).upper()}",
        issued_at=start,
        not_before=start,
        expires_at=start + timedelta(days=days),
        compounds=(household.compound_id,),
        household_id=household.id,
        role=role,
        holder_name=holder.name,
    )
    text = issue_pass(key, claims)
    row = Pass(
        pass_id=claims.pass_id,
        holder_id=holder.id,
        household_id=household.id,
        compound_id=household.compound_id,
        role=role.value,
        kid=key.kid.hex(),
        issued_at=claims.issued_at,
        not_before=claims.not_before,
        expires_at=claims.expires_at,
    )
    session.add(row)
    session.flush()
    _photo_changed(session, holder)
    return row, text


def revoke_pass(session: Session, pass_id: str, revoked: bool = True) -> Pass:
    """Revoke a pass (or lift its revocation) once: a second try is AlreadyDone."""
    row: Pass = _get(session, Pass, pass_id, "pass")
    state = "revoked" if revoked else "valid"
    transition(
        session,
        update(Pass)
        .where(Pass.pass_id == pass_id, Pass.revoked.is_(not revoked))
        .values(revoked=revoked),
        f"pass {pass_id} is already {state}",
    )
    record_change(session, row.compound_id, "revoke", {"pass_id": pass_id, "revoked": revoked})
    return row


# --- issuer keys and the trust list -----------------------------------------------------------


def add_issuer_key(session: Session, issuer: str, *, rotate: bool = True) -> IssuerKey:
    """Make a new signing key; older keys stay trusted until retired, so printed passes work."""
    key = IssuerKey.generate(issuer)
    if rotate:
        for row in session.scalars(select(IssuerKeyRow).where(IssuerKeyRow.signing)):
            row.signing = False
    session.add(
        IssuerKeyRow(
            kid=key.kid.hex(),
            issuer=issuer,
            key_json=json.dumps(key.to_json()),
            created_at=now_utc(),
            signing=rotate,
        )
    )
    session.flush()
    trust_changed(session)
    return key


def retire_issuer_key(session: Session, kid: str) -> None:
    """Stop trusting a key (passes it signed stop working at every kiosk)."""
    row: IssuerKeyRow = _get(session, IssuerKeyRow, kid, "issuer key")
    row.retired, row.signing = True, False
    session.flush()
    trust_changed(session)


def signing_key(session: Session) -> IssuerKey:
    row = session.scalars(select(IssuerKeyRow).where(IssuerKeyRow.signing)).first()
    if row is None:
        raise ServerConfigError("the office has no signing key; run `kiosk-server init` first")
    return IssuerKey.from_json(json.loads(row.key_json), f"issuer key {row.kid}")


def trust_document(session: Session) -> dict[str, Any]:
    """The ``kiosk-trust/1`` document kiosks receive: issuer keys and certificate signers."""
    merged = TrustList()
    rows = session.scalars(select(IssuerKeyRow).where(IssuerKeyRow.retired.is_(False)))
    for row in rows:
        merged = merged | IssuerKey.from_json(json.loads(row.key_json)).trust_list()
    document = merged.to_json()
    document["certificates"] = list(
        session.scalars(select(Certificate.pem).order_by(Certificate.id))
    )
    return document


def trust_file(session: Session, now: datetime) -> dict[str, Any]:
    """The trust document for a file (``kiosk-server trust --out``): the keys kiosks trust and
    the passes revoked and not yet expired, so ``kiosk scan --trust`` refuses them as a kiosk
    that has synced does (a kiosk learns revocations from the change log instead)."""
    document = trust_document(session)
    document["revoked"] = sorted(
        session.scalars(select(Pass.pass_id).where(Pass.revoked, Pass.expires_at > now))
    )
    return document


def add_certificates(session: Session, pem_file: Path) -> int:
    """Add EU DCC document signer certificates from a PEM file; returns how many."""
    ders = [k.certificate for k in load_trust([pem_file]).keys if k.certificate is not None]
    if not ders:
        raise ServerConfigError(f"{pem_file}: holds no X.509 certificate")
    for der in ders:
        pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        session.add(Certificate(pem=pem.decode("ascii")))
    session.flush()
    trust_changed(session)
    return len(ders)


def trust_changed(session: Session) -> None:
    record_change(session, None, "trust", trust_document(session))


# --- kiosks -----------------------------------------------------------------------------------


def create_enrollment_code(session: Session, compound_id: str, *, hours: float = 24.0) -> str:
    """A one-time code a kiosk trades for its credential (``kiosk enroll``); valid ``hours``."""
    _get(session, Compound, compound_id, "compound")
    code = "-".join(secrets.token_hex(3).upper() for _ in range(3))
    expires = now_utc() + timedelta(hours=hours)
    session.add(
        EnrollmentCode(code_hash=token_hash(code), compound_id=compound_id, expires_at=expires)
    )
    return code


def revoke_kiosk(session: Session, device_id: str) -> Kiosk:
    """Lock a kiosk out at once: its next request gets 403 kiosk_revoked."""
    row: Kiosk = _get(session, Kiosk, device_id, "kiosk")
    row.revoked = True
    return row
