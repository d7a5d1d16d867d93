"""``kiosk-server``: run the office server and do the office's hand work from a terminal.

The database is ``--db`` (a SQLite file path or a postgresql:// URL), else $KIOSK_SERVER_DB,
else ./office.db. Every command migrates the schema first, so there is no separate step.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.exc import KioskError
from kiosk.model import RiskColour, Role
from server import datacli, office, retention
from server.app import DB_ENV
from server.cliargs import amount, count, ident, phone
from server.exc import ServerError
from server.importer import PART, Flat
from server.local import DEFAULT_ISSUER, Office, settle_heap
from server.models import EventRow, Holder
from server.pdf import PassCard, render_pass_pdf
from server.releases import cli as release_cli

EXPORT_COLUMNS = [c.name for c in EventRow.__table__.columns if c.name != "id"]
Command = Callable[[argparse.Namespace, Office], int]
QUARANTINE = (RiskColour.RED.value, RiskColour.ORANGE.value)


def _db(args: argparse.Namespace) -> Office:
    """The office database: --db, else $KIOSK_SERVER_DB, else ./office.db. A path ending in .db
    (or naming a file) is the database file; a folder holds office.db."""
    return Office.open(args.db or os.environ.get(DB_ENV) or "office.db", args.issuer)


def _when(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2020-02-24") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- commands ------------------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace, db: Office) -> int:
    key = db.signing_key()
    print(f"database ready; signing key {key.kid.hex()} ({key.issuer})")
    return 0


def cmd_serve(args: argparse.Namespace, db: Office) -> int:
    import uvicorn

    from server.app import create_app

    options: dict[str, Any] = {"host": args.host, "port": args.port, "access_log": False}
    if args.certfile or args.keyfile:
        _check_tls(args.certfile, args.keyfile)
        options.update(ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    retention.PurgeThread(db.sessions).start()  # daemon: deletes what retention lets go
    scheme = "https" if args.certfile else "http"
    print(f"office web app: {scheme}://{args.host}:{args.port}/office/ (kiosk-server add-user ...)")
    settle_heap()
    if args.workers > 1:
        # Each worker process opens the database itself, named by the environment.
        os.environ[DB_ENV] = str(db.sessions.kw["bind"].url.render_as_string(hide_password=False))
        uvicorn.run("server.app:app_from_env", factory=True, workers=args.workers, **options)
    else:
        uvicorn.run(create_app(db.sessions), **options)
    return 0


def _check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Load the certificate and key now: a wrong path was a traceback from deep in uvicorn."""
    import ssl

    if not certfile:
        raise ServerError("--keyfile needs --certfile (the certificate, PEM)")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except FileNotFoundError:
        missing = next(f for f in (certfile, keyfile) if f and not Path(f).is_file())
        raise ServerError(f"{missing}: no such file") from None
    except (ssl.SSLError, OSError) as error:
        raise ServerError(
            f"{certfile}{' / ' + keyfile if keyfile else ''}: not a PEM certificate and its "
            f"private key ({error})"
        ) from None


def cmd_add_compound(args: argparse.Namespace, db: Office) -> int:
    db.add_compound(args.id, args.name or "")
    print(f"compound {args.id} added")
    return 0


def cmd_add_household(args: argparse.Namespace, db: Office) -> int:
    flat = _flat_of(args.id, args.compound)
    with db.session() as s:
        row = office.add_household(s, args.id, args.compound, RiskColour(args.colour))
        if flat is not None:  # the office's pages and sign-up find a flat by these three
            row.building, row.unit, row.room = flat.parts
    print(f"household {args.id} added to {args.compound} ({args.colour})")
    if flat is None:
        print(
            f"note: no building, unit and room in {args.id!r}: the office's pages list it as "
            f"'--' and residents cannot sign up to it; name a flat "
            f"{args.compound}-BUILDING-UNIT-ROOM (as the import does), e.g. {args.compound}-3-2-501"
        )
    return 0


def _flat_of(household_id: str, compound_id: str) -> Flat | None:
    """The flat in an id made as the import makes them (c1-3-2-501), else None."""
    parts = household_id.removeprefix(f"{compound_id}-").split("-")
    if not household_id.startswith(f"{compound_id}-") or len(parts) != 3:
        return None
    return Flat(*parts) if all(PART.fullmatch(p) for p in parts) else None


def cmd_add_resident(args: argparse.Namespace, db: Office) -> int:
    photo = _read(args.photo) if args.photo else None
    holder = db.add_resident(
        args.name, args.household, phone=args.phone, address=args.address, photo=photo
    )
    print(holder)
    return 0


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ServerError(f"{path}: cannot read ({error.strerror})") from None


def cmd_issue_pass(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        row, text = office.issue_resident_pass(s, args.holder, role=Role(args.role), days=args.days)
        holder = s.get(Holder, args.holder)
        assert holder is not None  # issue_resident_pass checked it
        card = PassCard(
            text,
            holder.name,
            row.pass_id,
            row.household_id,
            row.compound_id,
            row.expires_at.date().isoformat(),
            holder.photo,
        )
        pdf = render_pass_pdf(card)  # before the commit: a card that cannot be made, no pass
    out = Path(args.out)
    from kiosk.atomic import write_atomic
    from kiosk.passes import write_qr_png

    write_qr_png(text, out / f"{card.pass_id}.png")
    write_atomic(out / f"{card.pass_id}.pdf", pdf)
    print(f"{card.pass_id}: {out / card.pass_id}.png and .pdf")
    return 0


def cmd_revoke(args: argparse.Namespace, db: Office) -> int:
    db.revoke(args.pass_id, not args.undo)
    print(f"pass {args.pass_id} {'restored' if args.undo else 'revoked'}")
    return 0


def cmd_set_colour(args: argparse.Namespace, db: Office) -> int:
    until = args.until
    if (until is not None or args.days is not None) and args.colour not in QUARANTINE:
        raise ServerError(
            "a quarantine end (--until, --days) is only for red and orange households"
        )
    if until is None and args.days is not None:
        until = datetime.now(UTC) + timedelta(days=args.days)
    db.set_colour(args.household, RiskColour(args.colour), until)
    print(f"household {args.household}: {args.colour}, quarantine until {until or '-'}")
    return 0


def cmd_add_user(args: argparse.Namespace, db: Office) -> int:
    from server.web.auth import UserRole, add_user

    password = args.password or os.environ.get("KIOSK_USER_PASSWORD") or _ask_password()
    with db.session() as s:
        add_user(
            s,
            args.username,
            password,
            UserRole(args.role),
            now=datetime.now(UTC),
            compounds=tuple(args.compound or ()),
            display_name=args.name or "",
        )
    where = f" for {', '.join(args.compound)}" if args.compound else ""
    print(f"user {args.username} added ({args.role}{where}); log in at /office/login")
    return 0


def cmd_reset_password(args: argparse.Namespace, db: Office) -> int:
    """A temporary password for an account (an admin who forgot theirs, say): printed once."""
    from server.exc import NotFound
    from server.web.accounts import reset_password
    from server.web.audit import audit
    from server.web.tables import User

    with db.session() as s:
        user = s.scalar(select(User).where(User.username == args.username))
        if user is None:
            raise NotFound(f"no user {args.username!r}; kiosk-server add-user makes one")
        temporary = reset_password(s, user)
        audit(s, None, "reset_password", f"user {user.username}", datetime.now(UTC), by="cli")
        enabled = user.active
    print(temporary)
    print(
        f"temporary password of {args.username}: it must be changed at the next log-in; "
        f"their sessions have ended" + ("" if enabled else " (the account is disabled)"),
        file=sys.stderr,
    )
    return 0


def _ask_password() -> str:
    import getpass

    if not sys.stdin.isatty():
        raise ServerError("give the password with --password or $KIOSK_USER_PASSWORD")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise ServerError("the two passwords differ")
    return first


def cmd_enroll_code(args: argparse.Namespace, db: Office) -> int:
    code = db.enrollment_code(args.compound, args.hours)
    print(code)
    print(f"one-time code for a kiosk of {args.compound}, valid {args.hours:g} h", file=sys.stderr)
    return 0


def cmd_revoke_kiosk(args: argparse.Namespace, db: Office) -> int:
    db.revoke_kiosk(args.device)
    print(f"kiosk {args.device} revoked; it is locked out from its next request")
    return 0


def cmd_rotate_key(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        key = office.add_issuer_key(s, args.issuer)
    print(f"new signing key {key.kid.hex()}; older keys stay trusted until retired")
    return 0


def cmd_add_certificates(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        count = office.add_certificates(s, args.pem)
    print(f"{count} certificate(s) added to the trust list")
    return 0


def cmd_trust(args: argparse.Namespace, db: Office) -> int:
    import json

    from kiosk.atomic import write_atomic

    with db.session() as s:
        document = office.trust_file(s, datetime.now(UTC))
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    write_atomic(args.out, text)
    print(
        f"{args.out}: {len(document['issuers'])} issuer key(s), "
        f"{len(document['certificates'])} certificate(s), {len(document['revoked'])} revoked "
        f"pass(es); copy it to a kiosk or give it to kiosk scan --trust",
        file=sys.stderr,
    )
    return 0


def cmd_export_events(args: argparse.Namespace, db: Office) -> int:
    if args.out:
        with open(args.out, "w", newline="", encoding="utf-8") as stream:
            count = export_events(db, stream, args.compound)
        print(f"{count} events written to {args.out}", file=sys.stderr)
    else:
        export_events(db, sys.stdout, args.compound)
    return 0


def export_events(db: Office, stream: TextIO, compound: str | None = None) -> int:
    """Write events as CSV (one row each, ``conflict`` true for flagged ones); returns the count."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_COLUMNS)
    query = select(EventRow).order_by(EventRow.wall_time, EventRow.id)
    if compound:
        query = query.where(EventRow.compound_id == compound)
    count = 0
    with db.session() as s:
        for row in s.scalars(query.execution_options(yield_per=1000)):
            writer.writerow([_cell(getattr(row, c)) for c in EXPORT_COLUMNS])
            count += 1
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


# --- the parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-server", description=__doc__)
    parser.add_argument("--db", help="SQLite file or postgresql:// URL (default ./office.db)")
    parser.add_argument("--issuer", default=DEFAULT_ISSUER, help="issuer name for a new key")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, run: Command, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.set_defaults(run=run)
        return p

    add("init", cmd_init, "create or migrate the database and the signing key")
    p = add("serve", cmd_serve, "serve the API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=count(0, 65535), default=8000)
    p.add_argument("--certfile", help="TLS certificate (PEM); kiosks pin its CA")
    p.add_argument("--keyfile", help="TLS private key (PEM)")
    p.add_argument("--workers", type=count(1, 64), default=1, help="server processes (PostgreSQL)")
    p = add("add-compound", cmd_add_compound, "add a compound (residential community)")
    p.add_argument("id", type=ident)
    p.add_argument("--name")
    p = add("add-household", cmd_add_household, "add a household (flat)")
    p.add_argument("id", type=ident)
    p.add_argument("--compound", required=True)
    p.add_argument("--colour", choices=[c.value for c in RiskColour], default="white")
    p = add("add-resident", cmd_add_resident, "add a resident; prints the holder id")
    p.add_argument("--name", required=True)
    p.add_argument("--household", required=True)
    p.add_argument("--phone", type=phone, default="")
    p.add_argument("--address", default="")
    p.add_argument("--photo", type=Path, help="JPEG or PNG, at most 512 KiB")
    p = add("issue-pass", cmd_issue_pass, "sign a pass; writes a QR PNG and a printable PDF")
    p.add_argument("--holder", type=int, required=True)
    p.add_argument("--role", choices=[r.value for r in Role], default="resident")
    p.add_argument("--days", type=count(1, 3650), default=180, help="validity, 1 to 3650")
    p.add_argument("--out", type=Path, default=Path("."))
    p = add("revoke", cmd_revoke, "revoke a pass (kiosks refuse it after their next sync)")
    p.add_argument("pass_id")
    p.add_argument("--undo", action="store_true", help="lift the revocation")
    p = add("set-colour", cmd_set_colour, "set a household's risk colour and quarantine end")
    p.add_argument("household")
    p.add_argument("colour", choices=[c.value for c in RiskColour])
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--until", type=_when, help="quarantine end, e.g. 2020-02-24T12:00+08:00 (UTC if no offset)"
    )
    group.add_argument(
        "--days", type=amount(60), help="quarantine for this many days from now (at most 60)"
    )
    p = add("add-user", cmd_add_user, "add an office web account (the first admin, clerks, ...)")
    p.add_argument("username")
    p.add_argument("--role", choices=["admin", "clerk", "supervisor"], default="admin")
    p.add_argument("--compound", action="append", help="a compound a clerk/supervisor works for")
    p.add_argument("--name", help="the name shown on the pages")
    p.add_argument("--password", help="else $KIOSK_USER_PASSWORD, else asked on the terminal")
    p = add("reset-password", cmd_reset_password, "give an account a temporary password")
    p.add_argument("username")
    p = add("enroll-code", cmd_enroll_code, "make a one-time kiosk enrollment code")
    p.add_argument("--compound", required=True)
    p.add_argument("--hours", type=amount(720), default=24.0, help="validity (at most 720)")
    p = add("revoke-kiosk", cmd_revoke_kiosk, "lock a kiosk out")
    p.add_argument("device")
    add("rotate-key", cmd_rotate_key, "make a new signing key (old ones stay trusted)")
    p = add("add-certificates", cmd_add_certificates, "trust EU DCC signer certificates (PEM)")
    p.add_argument("pem", type=Path)
    p = add("trust", cmd_trust, "write the trust list (kiosk-trust/1) kiosks and kiosk scan use")
    p.add_argument("--out", type=Path, help="the file to write (default: standard output)")
    p = add("export-events", cmd_export_events, "write the event archive as CSV")
    p.add_argument("--out", type=Path)
    p.add_argument("--compound")
    datacli.add_commands(add)
    release_cli.add_commands(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args, _db(args)))
    except (ServerError, KioskError, ValueError) as error:
        print(f"kiosk-server {args.command}: {error}", file=sys.stderr)
        return 2
    except SQLAlchemyError as error:
        print(
            f"kiosk-server {args.command}: database error: {error.__class__.__name__}: "
            f"{str(error).splitlines()[0]}",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
