"""Access table rows for the vehicle pages: the registry, the risk list, a resident's cars."""

from __future__ import annotations

from sqlalchemy import select

from server.models import VehicleRow
from server.vehicles import Window, invite_car
from tests.webtools import World

CLERK, RESIDENT = "clerk", "resident"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/c/{compound_id}/vehicles"): CLERK,
    ("POST", "/c/{compound_id}/vehicles/car"): CLERK,
    ("POST", "/c/{compound_id}/vehicles/service"): CLERK,
    ("POST", "/c/{compound_id}/vehicles/{vehicle_id}/remove"): CLERK,
    ("GET", "/c/{compound_id}/risk"): CLERK,
    ("POST", "/c/{compound_id}/risk"): CLERK,
    ("POST", "/c/{compound_id}/risk/confirm"): CLERK,
    ("GET", "/me/vehicles"): RESIDENT,
    ("POST", "/me/vehicles/invite"): RESIDENT,
    ("POST", "/me/vehicles/{vehicle_id}/remove"): RESIDENT,
}


PLATE = "京A12345"


def params(world: World) -> dict[str, str]:
    """A visitor car c1's household invited (once per world: tests ask for it again)."""
    day = world.clock().date()
    with world.office.session() as s:
        row = s.scalars(select(VehicleRow).where(VehicleRow.plate == PLATE)).first()
        if row is None:
            row = invite_car(s, world.ids["c1"].household, PLATE, Window(day, day),
                             entries=1, now=world.clock())  # fmt: skip
        return {"vehicle_id": row.id}
