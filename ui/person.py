"""The current person's pass for the guard: the registered photo beside the pass details,
so the guard can compare the face at the gate with the face the office registered.
"""

from __future__ import annotations

import io
from functools import lru_cache

import pygame

from kiosk.view import PersonView
from ui import chrome, layout, strings, theme
from ui.canvas import Canvas


@lru_cache(maxsize=8)
def photo_surface(png: bytes, width: int, height: int) -> pygame.Surface | None:
    """The photo decoded and scaled to fit width × height (aspect kept), or None if unreadable."""
    try:
        loaded = pygame.image.load(io.BytesIO(png), "photo.png")
    except (pygame.error, ValueError):
        return None
    # smoothscale wants 32-bit pixels; a palette PNG is copied onto one (no display needed).
    photo = pygame.Surface(loaded.get_size(), pygame.SRCALPHA, 32)
    photo.blit(loaded, (0, 0))
    scale = min(width / photo.get_width(), height / photo.get_height())
    size = (max(1, int(photo.get_width() * scale)), max(1, int(photo.get_height() * scale)))
    return pygame.transform.smoothscale(photo, size)


def draw_photo(canvas: Canvas, box: pygame.Rect, png: bytes | None) -> None:
    """The photo scaled to fit ``box`` (aspect kept), or an empty frame when there is none."""
    canvas.fill(box, theme.PANEL, canvas.u(8))
    photo = photo_surface(png, box.width, box.height) if png else None
    if photo is None:
        pygame.draw.circle(
            canvas.surface, theme.GREY, (box.centerx, box.top + box.height * 0.38), box.width * 0.2
        )
        body = pygame.Rect(0, 0, box.width * 0.6, box.height * 0.3)
        body.midbottom = (box.centerx, box.bottom - round(box.height * 0.08))
        pygame.draw.ellipse(canvas.surface, theme.GREY, body)
        return
    canvas.surface.blit(photo, photo.get_rect(center=box.center))


def role_words(person: PersonView, language: str) -> str:
    """ "Resident", or for a visitor the flat they come to: "visitor of 3-2-501"."""
    if person.host_flat:
        return strings.text(language, "visitor_of", flat=person.host_flat)
    return strings.text(language, f"role_{person.role}")


def draw_person(
    canvas: Canvas, box: pygame.Rect, person: PersonView, celsius: float | None, language: str
) -> None:
    """Photo on one side, masked name and pass details on the other."""
    gap = canvas.u(12)
    photo, details = layout.side_by_side(box, 0.36, gap)
    draw_photo(canvas, photo, person.photo_png)
    t = strings.text
    lines = [
        (t(language, "role"), role_words(person, language)),
        (t(language, "household"), person.household_id),
        (t(language, "colour"), t(language, f"colour_{person.colour}")),
        (t(language, "expires"), person.expires_at.astimezone().strftime("%Y-%m-%d %H:%M")),
        (t(language, "pass_id"), person.pass_id),
        (t(language, "temperature"), chrome.temperature(celsius) or "—"),
    ]
    name, *cells = layout.rows(details, [1.6] + [1.0] * len(lines), canvas.u(4))
    canvas.text(person.masked_name, name, align="left", max_px=canvas.u(48))
    for cell, (label, value) in zip(cells, lines, strict=True):
        head, body = layout.cols(cell, (0.38, 0.62), canvas.u(8))
        canvas.text(label, head, theme.MUTED, align="left", max_px=canvas.u(26))
        colour = theme.RISK_COLOUR[person.colour] if label == t(language, "colour") else theme.WHITE
        canvas.text(value, body, colour, align="left", max_px=canvas.u(26))
