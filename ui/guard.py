"""The guard panel: PIN keypad, alarms, recent events, the current pass, manual opening,
visitor registration and settings. Every action is a ``Command`` the kiosk decides on.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

from kiosk.model import Direction, Event, EventKind, Reason, Verdict
from kiosk.view import (
    AcknowledgeAlarm,
    Alarm,
    Command,
    GuardOpen,
    KioskView,
    LockGuard,
    RegisterVisitor,
    SetDirection,
    SetLanguage,
    Stage,
    UnlockGuard,
)
from ui import banner, chrome, layout, strings, theme
from ui.canvas import Action, Canvas
from ui.keypad import PHONE_KEYS, PIN_KEYS, keypad, paged_rows
from ui.mask import mask_phone
from ui.person import draw_person, draw_photo
from ui.platefix import plate_keys, plate_to_register
from ui.state import GUARD_TABS, Field, Page, UiState
from ui.theme import Text

Drawer = Callable[[Canvas, pygame.Rect, KioskView, UiState], None]
# Where the default-PIN warning stands (and beside the PIN keypad): the page a guard lands on
# after the PIN, and the settings.
WARNED_PAGES = frozenset({Page.ALARMS, Page.SETTINGS})


def draw(canvas: Canvas, view: KioskView, state: UiState, page: Page) -> None:
    """A guard page: PIN entry when locked, otherwise tabs, the page and a status strip."""
    canvas.fill(canvas.surface.get_rect(), theme.INK)
    if page is Page.PIN:
        _pin_page(canvas, canvas.surface.get_rect(), view, state)
        return
    tab_rows = 2 if canvas.portrait else 1  # a tall screen is narrow: tabs in two rows
    tabs, rest = layout.take_top(canvas.surface.get_rect(), canvas.u(68) * tab_rows)
    content, strip = layout.take_bottom(rest, canvas.u(64))
    if view.default_pin and page in WARNED_PAGES:  # until the PIN is changed
        warning, content = layout.take_top(content, canvas.u(36))
        canvas.fill(warning, theme.RED)
        canvas.text(strings.text(state.language, "default_pin"), warning, role=Text.BODY)
    _tabs(canvas, tabs, state, page, view)
    pad = canvas.u(8)
    PAGES[page](canvas, content.inflate(-2 * pad, -2 * pad), view, state)
    _strip(canvas, strip, view, state)


def _go(state: UiState, page: Page) -> Action:
    def action() -> None:
        state.go(page)

    return action


def _tabs(canvas: Canvas, box: pygame.Rect, state: UiState, page: Page, view: KioskView) -> None:
    canvas.fill(box, theme.BAR)
    n_rows = box.height // canvas.u(68)
    n_cols = -(-(len(GUARD_TABS) + 1) // n_rows)
    cells = layout.grid(box.inflate(-canvas.u(8), -canvas.u(8)), n_rows, n_cols, canvas.u(4))
    for cell, tab in zip(cells, GUARD_TABS, strict=False):
        label = strings.text(state.language, f"tab_{tab}")
        pending = sum(not a.acknowledged for a in view.alarms)
        if tab is Page.ALARMS and pending:
            label += f" {pending}"
        colour = theme.RED if tab is Page.ALARMS and pending else theme.PANEL_HI
        canvas.button(
            cell, label, _go(state, tab), colour=colour, selected=tab is page, role=Text.BODY
        )
    canvas.button(
        cells[-1],
        strings.text(state.language, "lock"),
        LockGuard,
        colour=theme.GREY,
        role=Text.BODY,
    )


def _strip(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    """What the gate screen shows while the guard works (stage and reason), and status facts."""
    canvas.fill(box, theme.BAR)
    stage, facts = layout.rows(box.inflate(-canvas.u(12), -canvas.u(4)), 2)
    canvas.text(gate_screen_words(view, state.language), stage, role=Text.BODY, align="left")
    chrome.flow(canvas, facts, chrome.status_items(view, state.language), Text.BODY)


def pin_note(view: KioskView, state: UiState) -> tuple[str, theme.Colour]:
    """The line beside the PIN keypad: the lock-out countdown, why a PIN failed, or the
    default-PIN warning."""
    language = state.language
    if view.pin_locked_s:
        return strings.text(language, "pin_locked", n=view.pin_locked_s), theme.RED_TEXT
    if state.pin_error:
        return state.pin_error, theme.RED_TEXT
    if view.default_pin:
        return strings.text(language, "default_pin"), theme.AMBER_TEXT
    return "", theme.WHITE


def gate_screen_words(view: KioskView, language: str) -> str:
    """ "At the gate: not allowed through · temperature high": the stage with its reason."""
    words = strings.stage_words(language, view.stage).title
    if view.reason is not Reason.OK and view.stage in (Stage.DENIED, Stage.GUARD, Stage.OPEN):
        words += " · " + strings.reason_words(language, view.reason).title
    return strings.text(language, "at_gate") + ("：" if language == "zh-CN" else ": ") + words


def _pin_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    pad = canvas.u(14)
    left, pad_box = layout.side_by_side(box.inflate(-2 * pad, -2 * pad), 0.42, pad)
    title, dots, note, cancel = layout.rows(left, (0.25, 0.25, 0.25, 0.25), canvas.u(8))
    canvas.text(strings.text(state.language, "pin_title"), title, role=Text.TITLE, lines=2)
    canvas.fill(dots, theme.PANEL, canvas.u(10))
    if state.pin:
        canvas.text("●" * len(state.pin), dots.inflate(-pad, -pad), role=Text.KEY)
    words, colour = pin_note(view, state)
    if words:  # beside the keypad, never over its keys
        canvas.text(words, note, colour, role=Text.BODY, lines=2, align="left")
    canvas.button(
        cancel, strings.text(state.language, "cancel"), _go(state, Page.RESIDENT), colour=theme.GREY
    )

    def press(key: str) -> Command | None:
        if key == "OK":
            return UnlockGuard(state.pin)
        state.type_into(key)
        return None

    keypad(
        canvas,
        pad_box,
        PIN_KEYS,
        press,
        {"OK": strings.text(state.language, "ok")},
        enabled=lambda key: key != "OK" or bool(state.pin),
    )


# An alarm row: the headline and who, then when, where and what to do on up to two lines.
ALARM_ROW_U = 112


def _alarms_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    # Open before acknowledged, then as the banner orders them: the most urgent on top.
    alarms = sorted(view.alarms, key=lambda a: (a.acknowledged, *banner.by_urgency(a)))
    if not alarms:
        canvas.text(strings.text(state.language, "no_alarms"), box, theme.MUTED, role=Text.TITLE)
        return
    rows, first = paged_rows(
        canvas, box, len(alarms), canvas.u(ALARM_ROW_U), state.scroll, _scroll_to(state)
    )
    for row, alarm in zip(rows, alarms[first:], strict=False):
        _alarm_row(canvas, row, alarm, state.language, vehicle_lane=view.vehicle_lane)


def _alarm_row(
    canvas: Canvas, row: pygame.Rect, alarm: Alarm, language: str, *, vehicle_lane: bool
) -> None:
    canvas.fill(
        row, theme.PANEL if alarm.acknowledged else theme.shade(theme.ALARM, 0.7), canvas.u(8)
    )
    gap = canvas.u(8)
    words, ack = layout.cols(
        row.inflate(-gap, -gap), (row.width - canvas.u(176), canvas.u(160)), gap
    )
    if alarm.person is not None:
        # The registered photo, so the guard knows whom to look for at the gate.
        photo_w = words.height * 3 // 4
        photo, words = layout.cols(words, (photo_w, words.width - photo_w - gap), gap)
        draw_photo(canvas, photo, alarm.person.photo_png)
    title, detail = layout.rows(words, (0.36, 0.64))
    what = strings.alarm_title(language, alarm.reason, vehicle_lane=vehicle_lane)
    if alarm.person is not None:
        what += f"  {alarm.person.masked_name} {alarm.person.household_id}"
    canvas.text(what, title, role=Text.BUTTON, align="left")
    said = strings.alarm_detail(language, alarm, vehicle_lane=vehicle_lane)
    facts = (chrome.clock_time(alarm.raised_at), alarm.place, said)
    canvas.text(
        " · ".join(f for f in facts if f),
        detail,
        theme.MUTED,
        role=Text.BODY,
        lines=2,
        align="left",
    )
    if alarm.acknowledged:
        canvas.text(strings.text(language, "acked"), ack, theme.MUTED, role=Text.BODY)
    else:
        canvas.button(ack, strings.text(language, "ack"), _ack(alarm.alarm_id), colour=theme.ACCENT)


def _ack(alarm_id: str) -> Action:
    return lambda: AcknowledgeAlarm(alarm_id)


def _scroll_to(state: UiState) -> Callable[[int], None]:
    def scroll(first: int) -> None:
        state.scroll = first

    return scroll


def _events_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    events = sorted(view.recent_events, key=lambda e: e.wall_time, reverse=True)
    if not events:
        canvas.text(strings.text(state.language, "no_events"), box, theme.MUTED, role=Text.TITLE)
        return
    rows, first = paged_rows(
        canvas, box, len(events), canvas.u(44), state.scroll, _scroll_to(state)
    )
    for i, (row, event) in enumerate(zip(rows, events[first:], strict=False)):
        canvas.fill(row, theme.PANEL if i % 2 else theme.shade(theme.PANEL, 1.25), canvas.u(6))
        canvas.text(
            event_line(event, state.language),
            row.inflate(-canvas.u(12), -canvas.u(4)),
            event_colour(event),
            role=Text.BODY,
            align="left",
        )


def event_colour(event: Event) -> theme.Colour:
    """Alarms in red, refusals in amber, everything else white: the same rule for every row."""
    if event.kind is EventKind.ALARM:
        return theme.RED_TEXT
    if event.verdict in (Verdict.DENY, Verdict.GUARD):
        return theme.AMBER_TEXT
    return theme.WHITE


def event_line(event: Event, language: str) -> str:
    """One log line for the guard: time, direction, what happened, temperature, household.

    A visitor's phone number is shown masked (138****5678), never in full.
    """
    parts = [chrome.clock_time(event.wall_time)]
    if event.direction is not None:
        parts.append(chrome.direction_word(language, event.direction))
    parts.append(strings.reason_words(language, event.reason).title)
    parts.append(chrome.temperature(event.temperature_c))
    if event.household_id:
        parts.append(event.household_id)
    phone = event.data.get("phone")
    if isinstance(phone, str) and phone:
        parts.append(mask_phone(phone))
    return "  ".join(p for p in parts if p)


def _person_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    if view.person is None:
        canvas.text(strings.text(state.language, "no_person"), box, theme.MUTED, role=Text.TITLE)
        return
    fever = view.reason in (Reason.FEVER, Reason.REMEASURE)
    draw_person(canvas, box, view.person, view.temperature_c, state.language, fever)


def _open_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    gap = canvas.u(8)
    title, choices, go = layout.rows(box, (0.14, 0.62, 0.24), gap)
    canvas.text(strings.text(state.language, "open_pick"), title, role=Text.TITLE)
    n_cols = 2 if canvas.portrait else 3
    cells = layout.grid(choices, -(-len(strings.OPEN_REASONS) // n_cols), n_cols, gap)
    for cell, code in zip(cells, strings.OPEN_REASONS, strict=False):
        canvas.button(
            cell,
            strings.text(state.language, f"open_{code}"),
            _setter(state, "open_reason", code),
            selected=state.open_reason == code,
            lines=2,
        )
    reason = state.open_reason
    action = (lambda: GuardOpen(reason)) if reason else None
    canvas.button(go, strings.text(state.language, "open_gate"), action, colour=theme.GREEN)


def _setter(state: UiState, name: str, value: object) -> Action:
    """A touch that sets one field of the screen's own state (a choice, the focused field)."""

    def action() -> None:
        setattr(state, name, value)

    return action


def _visitor_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    gap = canvas.u(8)
    form, pad_box = layout.side_by_side(box, 0.56, gap)
    car = view.unregistered_plate if view.vehicle_lane else None
    if car is not None:  # the plate it registers, to correct a misread character
        plate_row, form = layout.take_top(form, canvas.u(52))
        _, form = layout.take_top(form, gap)
        plate_keys(canvas, plate_row, car, state)
    phone, household, reasons, register = layout.rows(form, (60, 60, 128, 60), gap)
    _field(canvas, phone, state, Field.PHONE, _grouped(state.phone))
    _field(canvas, household, state, Field.HOUSEHOLD, state.household)
    for cell, code in zip(layout.grid(reasons, 2, 2, gap), strings.VISIT_REASONS, strict=False):
        canvas.button(
            cell,
            strings.text(state.language, f"visit_{code}"),
            _setter(state, "visit_reason", code),
            selected=state.visit_reason == code,
        )
    ready = bool(state.phone and state.household and state.visit_reason)
    label = strings.text(state.language, "register")
    plate = plate_to_register(car, state)
    if view.vehicle_lane:  # the guard sees which car the form lets in, or that there is none
        key, ready = ("register_car", ready) if car else ("no_car_to_register", False)
        label = strings.text(state.language, key, plate=plate)
    corrected = plate if plate is not None and plate != car else ""
    command = RegisterVisitor(state.phone, state.visit_reason or "", state.household, corrected)
    canvas.button(register, label, (lambda: command) if ready else None, colour=theme.GREEN)

    def press(key: str) -> None:
        state.type_into(key)

    keypad(
        canvas,
        pad_box,
        PHONE_KEYS,
        press,
        enabled=lambda key: key != "-" or state.focus is Field.HOUSEHOLD,
    )


def _field(canvas: Canvas, box: pygame.Rect, state: UiState, field: Field, value: str) -> None:
    """A labelled entry field; touching it sends the keypad's digits into it."""
    label = strings.text(state.language, f"visitor_{field}")
    canvas.button(
        box,
        f"{label}: {value}" if value else label,
        _setter(state, "focus", field),
        colour=theme.PANEL,
        selected=state.focus is field,
    )


def _grouped(phone: str) -> str:
    """138 1234 5678: groups so the guard can check what was typed before registering."""
    return " ".join(p for p in (phone[:3], phone[3:7], phone[7:]) if p)


def _settings_page(canvas: Canvas, box: pygame.Rect, view: KioskView, state: UiState) -> None:
    gap = canvas.u(10)
    language, direction, facts = layout.rows(box, (0.3, 0.3, 0.4), gap)
    _choice_row(
        canvas,
        language,
        strings.text(state.language, "language"),
        [
            ("中文", state.language == "zh-CN", _language(state, "zh-CN")),
            ("English", state.language == "en", _language(state, "en")),
        ],
    )
    _choice_row(
        canvas,
        direction,
        strings.text(state.language, "direction"),
        [
            (chrome.direction_word(state.language, d), view.direction is d, _direction(d))
            for d in Direction
        ],
    )
    items = chrome.status_items(view, state.language)
    for cell, (words, colour) in zip(layout.cols(facts, len(items), gap), items, strict=True):
        canvas.fill(cell, theme.PANEL, canvas.u(8))
        canvas.text(words, cell.inflate(-gap, -gap), colour, role=Text.BODY, lines=2)


def _choice_row(
    canvas: Canvas, box: pygame.Rect, label: str, choices: list[tuple[str, bool, Action]]
) -> None:
    gap = canvas.u(10)
    head, *cells = layout.cols(box, [1.0] + [1.2] * len(choices), gap)
    canvas.text(label, head, role=Text.BUTTON, align="left")
    for cell, (words, selected, action) in zip(cells, choices, strict=True):
        canvas.button(cell, words, action, selected=selected)


def _language(state: UiState, language: str) -> Action:
    def action() -> Command:
        state.language = state.home_language = language
        return SetLanguage(language)

    return action


def _direction(direction: Direction) -> Action:
    return lambda: SetDirection(direction)


PAGES: dict[Page, Drawer] = {
    Page.ALARMS: _alarms_page,
    Page.EVENTS: _events_page,
    Page.PERSON: _person_page,
    Page.OPEN: _open_page,
    Page.VISITOR: _visitor_page,
    Page.SETTINGS: _settings_page,
}
