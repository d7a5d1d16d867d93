"""The status header is one contract (kiosk.status.StatusKey): the kiosk cannot send a key the
office does not read, and the office stores every key of it."""

from __future__ import annotations

import pytest

from kiosk.status import KioskStatus, StatusKey, UnknownStatusKey
from server import gates

# A value the office takes for each key; a new key needs one here, and a column there.
SAMPLES = {
    StatusKey.VERSION: "1.3.0",
    StatusKey.BACKLOG: "12",
    StatusKey.UPDATE: "failed",
    StatusKey.TARGET: "1.4.0",
    StatusKey.ERROR: "no space left",
    StatusKey.OS_UPDATES: "4",
    StatusKey.OS_SECURITY: "1",
    StatusKey.REBOOT_REQUIRED: "yes",
}


def test_the_kiosk_cannot_send_a_key_the_office_does_not_read() -> None:
    status = KioskStatus({StatusKey.VERSION: "1.3.0"})
    with pytest.raises(UnknownStatusKey, match="'uptime' is not a status key"):
        status["uptime"] = "3 days"
    assert status.line() == "version=1.3.0"


@pytest.mark.parametrize("value", ["x; backlog=0", "two\nlines"])
def test_a_value_cannot_carry_a_second_key_into_the_header(value: str) -> None:
    with pytest.raises(ValueError, match="break the header"):
        KioskStatus()[StatusKey.ERROR] = value


def test_the_office_stores_every_key_of_the_contract() -> None:
    assert set(SAMPLES) == set(StatusKey)
    line = KioskStatus(SAMPLES).line()
    assert set(gates.parse_status(line)) == set(StatusKey)
    stored = gates.reported(gates.parse_status(line))
    assert len(stored) == len(StatusKey), f"keys the office drops: {line} -> {stored}"


def test_keys_are_the_texts_on_the_wire() -> None:
    status = KioskStatus()
    status["backlog"] = "3"  # a plain text key is the same key
    assert status[StatusKey.BACKLOG] == "3" and list(status) == [StatusKey.BACKLOG]
