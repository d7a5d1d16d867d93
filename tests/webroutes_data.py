"""Access table rows for the gates, import, export and sheets pages (office-data's routes)."""

from __future__ import annotations

from tests.office_data import add_event
from tests.webtools import World

CLERK, GATE = "clerk", "gate"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/c/{compound_id}/gates"): GATE,
    ("GET", "/c/{compound_id}/gates/live"): GATE,
    ("GET", "/c/{compound_id}/gates/log"): GATE,
    ("GET", "/c/{compound_id}/gates/charts/{name}.svg"): GATE,
    ("POST", "/c/{compound_id}/gates/alarms/{event_id}/ack"): CLERK,
    ("GET", "/c/{compound_id}/import"): CLERK,
    ("POST", "/c/{compound_id}/import"): CLERK,
    ("POST", "/c/{compound_id}/import/confirm"): CLERK,
    ("GET", "/c/{compound_id}/import/template.{kind}"): CLERK,
    ("GET", "/c/{compound_id}/export"): CLERK,
    ("GET", "/c/{compound_id}/sheets"): CLERK,
    ("POST", "/c/{compound_id}/sheets"): CLERK,
}


def params(world: World) -> dict[str, str]:
    """An open alarm of c1 to acknowledge, and a chart's name."""
    alarm = add_event(world.office, "c1", world.clock(), kind="alarm", reason="door_held_open")
    return {"event_id": alarm, "name": "hourly", "kind": "xlsx"}
