"""Access table rows for releases: admins only, the compound's controls included."""

from __future__ import annotations

from tests.webtools import World

ADMIN = "admin"

ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/admin/releases"): ADMIN,
    ("GET", "/c/{compound_id}/releases"): ADMIN,
    ("POST", "/c/{compound_id}/releases/{version}/start"): ADMIN,
    ("POST", "/c/{compound_id}/releases/{version}/{action}"): ADMIN,
}


def params(world: World) -> dict[str, str]:
    """No release exists in the walk's world: an admin's step is a 404, never a 500."""
    return {"version": "9.9.9", "action": "pause"}
