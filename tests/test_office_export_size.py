"""A long export costs memory in proportion to the file, not to the events: a year of a busy
car gate is millions of events, and they are read and written a chunk at a time."""

from __future__ import annotations

import secrets
import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert

from server import export
from server.exc import ServerConfigError
from server.local import Office
from server.models import EventRow

EVENTS = 20_000
START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    office = Office.open(f"sqlite:///{tmp_path_factory.mktemp('export')}/office.db")
    office.add_compound("c1")
    car = {"lane": "vehicle", "plate": "京A12345"}
    rows = [
        dict(event_id=secrets.token_hex(8), device_id="k1", compound_id="c1", kind="decision",
             wall_time=START + timedelta(minutes=i), monotonic=0.0, boot_id="b",
             clock_trusted=True, reason="ok", verdict="allow", direction="in", data=car,
             received_at=START)
        for i in range(EVENTS)
    ]  # fmt: skip
    with office.session() as s:
        s.execute(insert(EventRow), rows)
    return office


def test_an_export_of_many_events_holds_no_more_than_a_few_files_worth(office: Office) -> None:
    tracemalloc.start()
    try:
        with office.session() as s:
            found = export.export_events(s, "c1", date(2026, 1, 1), date(2026, 1, 31), "csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert found.rows == EVENTS and found.data.count(b"\n") == EVENTS + 1
    # A list of every row took about 2 KB an event (44 MiB here); the file is 1.3 MiB.
    assert peak < 8 * len(found.data), f"{peak >> 20} MiB for a {len(found.data) >> 20} MiB file"


def test_an_xlsx_export_past_a_sheets_rows_is_refused_naming_csv(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "XLSX_ROWS", EVENTS - 1)
    with office.session() as s, pytest.raises(ServerConfigError, match="or as CSV"):
        export.export_events(s, "c1", date(2026, 1, 1), date(2026, 1, 31), "xlsx")
