"""Bulk import: every rejected row is listed with its number and reason, valid rows go in,
and importing the same file again adds nothing."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import importer
from server.cli import main
from server.importer import ImportFileError, preview, sample_rows, xlsx_bytes
from server.local import Office
from server.models import Holder, Household
from tests.office_data import db_of
from tests.pg import database_url, postgres  # noqa: F401 (fixtures)

# (row index in the data, cell index, bad value, words the reason must contain)
BROKEN = [
    (10, 2, "", "room is empty"),
    (50, 3, "紫", "colour '紫'"),
    (120, 5, "12345", "phone '12345'"),
    (200, 0, "3#", "building '3#'"),
    (299, 4, "名" * 60, "longer than 50"),
]


def broken_rows(households: int = 300) -> list[list[str]]:
    rows = sample_rows(households)
    for index, cell, value, _ in BROKEN:
        rows[index + 1][cell] = value  # +1: the header
    return rows


def as_csv(rows: list[list[str]], encoding: str) -> bytes:
    stream = io.StringIO()
    csv.writer(stream).writerows(rows)
    return stream.getvalue().encode(encoding)


@pytest.fixture
def office(database_url: str) -> Office:  # noqa: F811
    office = Office.open(database_url)
    office.add_compound("c1", "幸福小区")
    return office


def counts(office: Office) -> tuple[int, int]:
    with office.session() as s:
        households = s.scalar(select(func.count()).select_from(Household)) or 0
        residents = s.scalar(select(func.count()).select_from(Holder)) or 0
    return households, residents


def import_file(office: Office, data: bytes, name: str) -> importer.Outcome:
    found = preview(data, name)
    with office.session() as s:
        return importer.apply(s, "c1", found)


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("households.xlsx", lambda rows: xlsx_bytes(rows, title="t")),
        ("households.csv", lambda rows: as_csv(rows, "utf-8-sig")),
        ("households.csv", lambda rows: as_csv(rows, "utf-8")),
        ("households.csv", lambda rows: as_csv(rows, "gbk")),
    ],
    ids=["xlsx", "csv-utf8-bom", "csv-utf8", "csv-gbk"],
)
def test_300_households_with_5_broken_rows_import_295_and_list_5(
    office: Office, name: str, encode: object
) -> None:
    data = encode(broken_rows())  # type: ignore[operator]
    found = preview(data, name)
    assert [r.number for r in found.rejected] == [i + 2 for i, *_ in BROKEN]
    for rejected, (*_, words) in zip(found.rejected, BROKEN, strict=True):
        assert words in rejected.reason
    outcome = import_file(office, data, name)
    assert (outcome.households_added, outcome.residents_added) == (295, 295)
    assert counts(office) == (295, 295)


def test_importing_the_same_file_again_adds_nothing(office: Office) -> None:
    data = xlsx_bytes(broken_rows(), title="t")
    import_file(office, data, "h.xlsx")
    again = import_file(office, data, "h.xlsx")
    assert (again.households_added, again.residents_added) == (0, 0)
    assert (again.households_known, again.residents_known) == (295, 295)
    assert counts(office) == (295, 295)


def test_two_imports_at_once_add_each_resident_once(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A double-clicked confirm: the second import starts while the first, its transaction
    open, has not yet committed the residents it adds."""
    header, *rows = sample_rows(3)
    data = as_csv([header, *rows], "utf-8")
    flats = as_csv([header, *([*r[:4], "", ""] for r in rows)], "utf-8")
    import_file(office, flats, "flats.csv")  # the flats are known already: only residents go in
    read = {"first": threading.Event(), "second": threading.Event()}
    committed = threading.Event()
    residents = importer._residents

    def paused(session: Session, homes: Iterable[str]) -> set[tuple[str, str]]:
        known = residents(session, homes)
        read[threading.current_thread().name].set()
        if threading.current_thread().name == "first":
            committed.wait(10)  # holds its transaction open until the second one has started
        return known

    monkeypatch.setattr(importer, "_residents", paused)
    threads = [
        threading.Thread(target=import_file, args=(office, data, "h.csv"), name=n)
        for n in ("first", "second")
    ]
    threads[0].start()
    assert read["first"].wait(10)
    threads[1].start()
    read["second"].wait(0.5)  # without the lock it reads now, before the first commits
    committed.set()
    for thread in threads:
        thread.join(30)
    assert counts(office) == (3, 3)


def test_gbk_csv_keeps_chinese_names(office: Office) -> None:
    found = preview(as_csv(sample_rows(3), "gbk"), "h.csv")
    assert found.encoding == "gbk"
    assert [r.name for r in found.rows] == [row[4] for row in sample_rows(3)[1:]]


def test_households_get_their_flat_and_colour(office: Office) -> None:
    rows = [importer.TEMPLATE_HEADER, ["3", "2", "501", "红", "张伟", "138 0013 8000"]]
    import_file(office, as_csv(rows, "utf-8"), "h.csv")
    with office.session() as s:
        household = s.get(Household, "c1-3-2-501")
        assert household is not None
        assert (household.building, household.unit, household.room) == ("3", "2", "501")
        assert household.colour == "red"
        holder = s.scalars(select(Holder)).one()
        assert (holder.name, holder.phone) == ("张伟", "13800138000")


def test_a_row_without_name_adds_an_empty_flat(office: Office) -> None:
    rows = [importer.TEMPLATE_HEADER, ["3", "2", "502", "绿", "", ""]]
    import_file(office, as_csv(rows, "utf-8"), "h.csv")
    assert counts(office) == (1, 0)


def test_one_flat_with_two_colours_rejects_the_second_row(office: Office) -> None:
    rows = [
        importer.TEMPLATE_HEADER,
        ["3", "2", "501", "红", "甲", ""],
        ["3", "2", "501", "白", "乙", ""],
    ]
    found = preview(as_csv(rows, "utf-8"), "h.csv")
    assert [(r.number, r.reason) for r in found.rejected] == [
        (3, "flat 3-2-501 is red on row 2 but white here")
    ]


def test_a_person_listed_twice_is_rejected_the_second_time(office: Office) -> None:
    rows = [
        importer.TEMPLATE_HEADER,
        ["3", "2", "501", "", "甲", ""],
        ["3", "2", "501", "", "甲", ""],
    ]
    found = preview(as_csv(rows, "utf-8"), "h.csv")
    assert [r.number for r in found.rejected] == [3]
    assert "listed twice" in found.rejected[0].reason


def test_columns_are_found_by_header_in_any_order() -> None:
    rows = [["姓名", "Room", "楼栋", "单元"], ["张伟", "501", "3", "2"]]
    found = preview(as_csv(rows, "utf-8"), "h.csv")
    assert [(r.flat.label, r.name) for r in found.rows] == [("3-2-501", "张伟")]


@pytest.mark.parametrize("name", ["张\x01三", "\u202e三张", "张\u2066三"])
def test_a_name_with_hidden_control_characters_is_rejected(name: str) -> None:
    """A direction override (U+202E) reverses how the name reads on a pass; the web forms refuse
    it too (server.web.registrations.name_problem)."""
    rows = [importer.TEMPLATE_HEADER, ["3", "2", "501", "", name, ""]]
    found = preview(as_csv(rows, "utf-8"), "h.csv")
    assert not found.rows and "control characters" in found.rejected[0].reason


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers() -> None:
    rows = [importer.TEMPLATE_HEADER, [], ["3", "2", "", "", "", ""]]
    found = preview(as_csv(rows, "utf-8"), "h.csv")
    assert [r.number for r in found.rejected] == [3]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"PK\x03\x04 not really", "h.xlsx", "not a readable .xlsx"),
        (b"a,b\n", "h.txt", "reads .xlsx or .csv"),
        (b"", "h.csv", "empty"),
        (b"name,phone\nx,y\n", "h.csv", "no header row with the columns"),
        (b"\xff\xfe\x00\x00\x81", "h.csv", "neither UTF-8 nor GBK"),
    ],
)
def test_unreadable_files_get_a_clear_error(data: bytes, name: str, words: str) -> None:
    with pytest.raises(ImportFileError, match=words):
        preview(data, name)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_template_imports_as_it_is(
    office: Office,
    tmp_path: Path,
    suffix: str,
) -> None:
    template = tmp_path / f"template{suffix}"
    assert main(["--db", db_of(office), "import", "--template", str(template)]) == 0
    found = preview(template.read_bytes(), template.name)
    assert (found.households, found.residents, found.rejected) == (2, 2, [])


def test_cli_dry_run_lists_rejects_and_imports_nothing(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sheet = tmp_path / "h.xlsx"
    sheet.write_bytes(xlsx_bytes(broken_rows(), title="t"))
    db = db_of(office)
    assert main(["--db", db, "import", str(sheet), "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert "row 12: room is empty" in out
    assert "295 valid row(s), 5 rejected" in out
    assert counts(office) == (0, 0)
    assert main(["--db", db, "import", str(sheet)]) == 1
    assert "added 295 household(s) and 295 resident(s)" in capsys.readouterr().out
    main(["--db", db, "import", str(sheet)])
    assert "added 0 household(s) and 0 resident(s)" in capsys.readouterr().out
    assert counts(office) == (295, 295)


def test_cli_without_a_file_says_what_to_give(
    office: Office,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--db", db_of(office), "import"]) == 2
    assert "name the file to import" in capsys.readouterr().err
