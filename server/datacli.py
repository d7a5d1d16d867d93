"""``kiosk-server`` commands for the office's data in bulk: import, export, print sheets, purge.

``server.cli`` registers them with ``add_commands``; each takes the parsed arguments and the
opened Office, like the commands there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kiosk.atomic import write_atomic
from server import export, importer, importread, retention, sheets
from server.cliargs import count
from server.exc import ServerConfigError
from server.local import Office
from server.models import Compound

Add = Callable[[str, Callable[[argparse.Namespace, Office], int], str], argparse.ArgumentParser]


def cmd_import(args: argparse.Namespace, db: Office) -> int:
    if args.template:
        write_atomic(args.template, importer.template_bytes(args.template.name))
        print(f"template written to {args.template}: fill one row per resident and import it")
        return 0
    if args.file is None:
        raise ServerConfigError("name the file to import, or --template FILE to get the template")
    # The same reader and limits as the web page; the file is read no further than its limit.
    data = _read(args.file, importread.MAX_FILE_BYTES + 1)
    found = importer.preview(data, args.file.name, args.sheet)
    for line in importer.rows_of(found):
        print(line)
    read = f"{len(found.rows)} valid row(s), {len(found.rejected)} rejected ({found.encoding})"
    if args.dry_run:
        print(f"{read}; dry run: nothing imported")
        return 1 if found.rejected else 0
    with db.session() as s:
        outcome = importer.apply(s, args.compound or _only_compound(s), found)
    print(
        f"{read}; added {outcome.households_added} household(s) and "
        f"{outcome.residents_added} resident(s); already there: {outcome.households_known} "
        f"household(s), {outcome.residents_known} resident(s)"
    )
    return 1 if found.rejected else 0


def _read(path: Path, limit: int) -> bytes:
    try:
        with Path(path).open("rb") as file:
            return file.read(limit)
    except OSError as error:
        raise ServerConfigError(f"{path}: cannot read ({error.strerror})") from None


def _only_compound(session: Any) -> str:
    ids = list(session.scalars(select(Compound.id).limit(2)))
    if len(ids) == 1:
        return str(ids[0])
    if not ids:
        raise ServerConfigError("the office has no compound yet; add one with add-compound")
    raise ServerConfigError("the office has several compounds; say which with --compound")


def cmd_retention(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        retention.set_retention(s, args.compound, None if args.keep else args.days)
    kept = "kept" if args.keep else f"deleted after {args.days} days"
    print(f"{args.compound}: gate log and visitor data {kept} (serve purges every few hours)")
    return 0


def cmd_purge(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        purged = retention.purge(s, datetime.now(UTC))
    print(
        f"deleted {purged.events} event(s), {purged.invitations} invitation(s), "
        f"{purged.visitor_passes} visitor pass(es), {purged.vehicles} ended visitor or service "
        f"vehicle(s) and {purged.risk_plates} risk-list report(s) older than their compound's "
        "retention"
    )
    return 0


def cmd_print_passes(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        if args.household:
            holders = sheets.household_holders(s, args.household)
        elif args.building:
            compound = args.compound or _only_compound(s)
            holders = sheets.building_holders(s, compound, args.building)
        else:
            holders = sheets.selected_holders(s, args.holder)
        printing = sheets.cards_for(s, holders, datetime.now(UTC), days=args.days)
    for person in printing.left_out:
        print(f"not printed: {person.flat} {person.name} ({person.reason})", file=sys.stderr)
    cards = printing.cards
    if not cards:
        print("nobody to print: no resident with a current pass was chosen", file=sys.stderr)
        return 1
    scope = f"{args.building}号楼" if args.building else ""
    out = args.out / sheets.sheet_filename(cards, scope)
    write_atomic(out, sheets.sheet_pdf(cards, printing.left_out))
    print(f"{len(cards)} card(s) on {-(-len(cards) // sheets.PER_PAGE)} A4 page(s): {out}")
    return 0


def cmd_export(args: argparse.Namespace, db: Office) -> int:
    with db.session() as s:
        compound = args.compound or _only_compound(s)
        found = export.export_events(s, compound, args.start, args.end, args.out.suffix[1:])
    write_atomic(args.out, found.data)
    print(f"{found.rows} event(s) of {compound} from {args.start} to {args.end}: {args.out}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2020-02-24") from None


def add_commands(add: Add) -> None:
    p = add("import", cmd_import, "import households and residents from .xlsx or .csv")
    p.add_argument("file", nargs="?", type=Path, help=".xlsx, or .csv in UTF-8 or GBK")
    p.add_argument("--compound", help="the compound to import into (default: the only one)")
    p.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
    p.add_argument("--sheet", help="the workbook's sheet to read (default: the first with data)")
    p.add_argument("--template", type=Path, metavar="FILE", help="write the template (.xlsx/.csv)")
    p = add(
        "retention", cmd_retention, "delete a compound's gate log and visitor data after N days"
    )
    p.add_argument("--compound", required=True)
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--days", type=int, help=f"1 to {retention.MAX_DAYS}")
    group.add_argument("--keep", action="store_true", help="keep everything (no retention)")
    p = add("print-passes", cmd_print_passes, "A4 sheets of paper passes (six cards a page)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--household", help="every resident of this household")
    group.add_argument("--building", help="every resident of this building (with --compound)")
    group.add_argument("--holder", type=int, nargs="+", help="these residents (holder ids)")
    p.add_argument("--compound", help="for --building (default: the only compound)")
    p.add_argument(
        "--days", type=count(1, 3650), default=180, help="validity of passes signed now (1 to 3650)"
    )
    p.add_argument("--out", type=Path, default=Path("."), help="folder for the PDF")
    p = add("export", cmd_export, "the gate log as .xlsx or CSV (local time, names, colours)")
    p.add_argument("--compound", help="default: the only compound")
    p.add_argument("--from", dest="start", type=_day, required=True, help="first local day")
    p.add_argument("--to", dest="end", type=_day, required=True, help="last local day")
    p.add_argument("--out", type=Path, required=True, help="FILE.xlsx or FILE.csv (with BOM)")
    add("purge", cmd_purge, "delete what is older than each compound's retention, now")
