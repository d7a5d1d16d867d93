"""The current person's pass for the guard: the registered photo beside the pass details,
so the guard can compare the face at the gate with the face the office registered.
"""

from __future__ import annotations

import io
from functools import lru_cache

import pygame

from kiosk.model import RiskColour, Role
from kiosk.view import PersonView
from ui import chrome, layout, strings, theme
from ui.canvas import Canvas
from ui.theme import Text


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


def card_flat_line(person: PersonView, language: str) -> tuple[str, theme.Colour]:
    """The card's flat line: "房号 H-0101", or for a visitor "访客 · H-0101 的访客" in amber,
    so a visitor's card never looks like a resident's."""
    if person.role is not Role.VISITOR:
        return f"{strings.text(language, 'flat')} {person.household_id}", theme.WHITE
    flat = person.host_flat or person.household_id
    return strings.text(language, "visitor_card", flat=flat), theme.AMBER_TEXT


def swatch(canvas: Canvas, box: pygame.Rect, colour: RiskColour, language: str) -> None:
    """The household colour as a square of that colour with its word beside it."""
    side = min(box.height, canvas.u(30))
    square = pygame.Rect(0, 0, side, side)
    square.midleft = (box.left, box.centery)
    canvas.fill(square, theme.RISK_COLOUR[colour], canvas.u(4))
    pygame.draw.rect(canvas.surface, theme.WHITE, square, max(1, canvas.u(2)), canvas.u(4))
    words = box.copy()
    words.left, words.width = square.right + canvas.u(8), box.width - side - canvas.u(8)
    canvas.text(strings.text(language, f"colour_{colour}"), words, role=Text.CARD, align="left")


def reading(
    canvas: Canvas,
    box: pygame.Rect,
    celsius: float | None,
    fever: bool,
    language: str,
    role: Text = Text.READING,
) -> None:
    """The temperature; a fever is marked: white plate, red figures and the word "high"."""
    words = chrome.temperature(celsius) or "—"
    if not fever:
        canvas.text(words, box, role=role, align="left")
        return
    canvas.fill(box, theme.WHITE, canvas.u(8))
    pygame.draw.rect(canvas.surface, theme.RED, box, max(2, canvas.u(4)), canvas.u(8))
    inner = box.inflate(-canvas.u(16), -canvas.u(10))  # clear of the red border
    mark = strings.text(language, "fever_mark")
    width = canvas.measure(mark, Text.CARD) + canvas.u(4)
    figures, word = layout.cols(inner, (inner.width - width, width))
    canvas.text(words, figures, theme.RED, role=role, align="left")
    canvas.text(mark, word, theme.RED, role=Text.CARD, align="right")


def draw_card(
    canvas: Canvas,
    box: pygame.Rect,
    person: PersonView,
    celsius: float | None,
    fever: bool,
    language: str,
) -> None:
    """The resident screen's card: photo, masked name, flat, colour swatch and temperature,
    so a guard beside the gate can compare faces without unlocking anything."""
    line = canvas.u(Text.CARD.px * 1.25)
    heights = [canvas.u(Text.NAME.px * 1.25), line, line, canvas.u(Text.READING.px * 1.45)]
    gap = canvas.u(4)
    rest = box.height - sum(heights) - gap * len(heights)
    photo, name, flat, colour, temperature = layout.rows(box, [rest, *heights], gap)
    draw_photo(canvas, photo, person.photo_png)
    canvas.text(person.masked_name, name, role=Text.NAME, align="left")
    flat_words, flat_colour = card_flat_line(person, language)
    canvas.text(flat_words, flat, flat_colour, role=Text.CARD, align="left")
    swatch(canvas, colour, person.colour, language)
    reading(canvas, temperature, celsius, fever, language)


def draw_person(
    canvas: Canvas,
    box: pygame.Rect,
    person: PersonView,
    celsius: float | None,
    language: str,
    fever: bool = False,
) -> None:
    """Photo on one side, masked name and pass details on the other (the guard's page)."""
    gap = canvas.u(12)
    photo, details = layout.side_by_side(box, 0.36, gap)
    draw_photo(canvas, photo, person.photo_png)
    t = strings.text
    lines = [
        (t(language, "role"), role_words(person, language)),
        (t(language, "household"), person.household_id),
        (t(language, "colour"), ""),
        (t(language, "expires"), person.expires_at.astimezone().strftime("%Y-%m-%d %H:%M")),
        (t(language, "pass_id"), person.pass_id),
        (t(language, "temperature"), ""),
    ]
    name, *cells = layout.rows(details, [1.6] + [1.0] * len(lines), canvas.u(4))
    canvas.text(person.masked_name, name, role=Text.NAME, align="left")
    for cell, (label, value) in zip(cells, lines, strict=True):
        head, body = layout.cols(cell, (0.38, 0.62), canvas.u(8))
        canvas.text(label, head, theme.MUTED, role=Text.BODY, align="left")
        if label == t(language, "colour"):
            swatch(canvas, body, person.colour, language)
        elif label == t(language, "temperature"):
            reading(canvas, body, celsius, fever, language, Text.BODY)
        else:
            canvas.text(value, body, role=Text.BODY, align="left")
