"""One screen session: reads the kiosk's view, draws the right page, turns touches into commands.

It never waits on the kiosk: it only calls ``view()`` and ``submit()`` (and ``frame()`` for
the viewfinder, when the kiosk has a camera). The loop that owns the display
(``ui.app.run_ui``) asks it whether a redraw is due, so an idle screen costs nothing but the
viewfinder, which is redrawn at most ``VIEWFINDER_FPS`` times a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

import pygame

from kiosk.model import EventKind
from kiosk.view import Command, CommandResult, KioskView, LockGuard, Stage
from ui import chrome, driver, guard, resident, strings
from ui.canvas import PANEL_MM, Button, Canvas
from ui.flash import Flash
from ui.fonts import FontBook
from ui.mounting import MountedSurface, Mounting
from ui.speech import Speaker, phrase_key
from ui.state import Page, UiState
from ui.viewfinder import FramePort, GreyFrame

VIEWFINDER_FPS = 10.0  # enough to aim a phone; the decoder keeps the camera's full rate
# The guard corner opens the PIN pad only when held this long: a resident's tap does nothing.
GUARD_HOLD_S = 3.0
PIN_IDLE_S = 10.0  # the PIN pad goes back to the resident screen after this long untouched
# A new verdict or alarm is shown over any guard page at least this long, and while the
# verdict lasts: nothing happens at the gate unseen behind the guard's pages.
OVERLAY_S = 6.0
# A language a resident picked goes back to the lane's own once the lane has been idle this long.
LANGUAGE_RESET_S = 20.0
VERDICT_STAGES = frozenset({Stage.OPEN, Stage.DENIED, Stage.GUARD})
NEWS_KINDS = frozenset({EventKind.DECISION, EventKind.VISITOR})


class KioskPort(Protocol):
    """What the UI needs of the kiosk (``kiosk.machine.Kiosk`` or a test fake)."""

    def view(self) -> KioskView: ...

    def submit(self, command: Command) -> CommandResult: ...


class Panel(Protocol):
    """An extra panel drawn beside the kiosk screen (the simulator's hardware buttons)."""

    def draw(self, canvas: Canvas, view: KioskView) -> None: ...


class Screen:
    """The kiosk screen in ``surface``; an optional panel fills ``panel_surface`` beside it.

    ``mounting`` says how the panel under ``surface`` hangs: the pages are drawn upright on a
    logical surface (``canvas.surface``) turned onto ``surface``, and touches are turned back.
    """

    def __init__(
        self,
        kiosk: KioskPort,
        surface: pygame.Surface,
        *,
        language: str = strings.DEFAULT_LANGUAGE,
        guard_lock_s: float = 120.0,
        panel_mm: float = PANEL_MM,
        sensor_side: str = "right",
        clock: Callable[[], float] = time.monotonic,
        fonts: FontBook | None = None,
        speaker: Speaker | None = None,
        panel: Panel | None = None,
        panel_surface: pygame.Surface | None = None,
        frames: FramePort | None = None,
        mounting: Mounting | None = None,
    ) -> None:
        self.kiosk = kiosk
        self.frames = frames if frames is not None else _frames_of(kiosk)
        self.clock = clock
        self.guard_lock_s = guard_lock_s
        self.sensor_side = sensor_side
        self.fonts = fonts or FontBook()
        self.mounted = MountedSurface(surface, mounting or Mounting())
        self.canvas = Canvas(self.mounted.surface, self.fonts, panel_mm=panel_mm)
        home = strings.check_language(language)
        self.state = UiState(language=home, home_language=home, last_touch=clock())
        self._lane_busy_at = clock()  # when the lane last showed anything but the idle prompt
        self.speaker = speaker or Speaker(enabled=False)
        self.panel = panel
        self.panel_canvas = Canvas(panel_surface, self.fonts) if panel_surface is not None else None
        self.results: list[tuple[Command, CommandResult]] = []  # what this session submitted
        self._drawn: tuple[int, float | None] | None = None
        self._dirty = True
        self._frame: GreyFrame | None = None  # the camera frame drawn last
        self._frame_at = float("-inf")
        self._said: tuple[Stage, object] | None = None  # the stage and reason last spoken for
        self.flash = Flash()
        self._flash_lit = False  # the last frame drawn had the flash on (redraw to clear it)
        self._hold_since: float | None = None  # the guard corner is being held since
        self._known: frozenset[str] | None = None  # verdicts and alarms already shown
        self._overlay_until: float | None = None  # showing news over a guard page until

    # Input ---------------------------------------------------------------------------------

    def handle(self, event: pygame.event.Event) -> None:
        """Act on one pygame event: a finger or a left click; everything else is ignored.

        Both go through the touch calibration: some USB touch controllers reach SDL as a
        mouse, and the default matrix leaves a real mouse where it points.
        """
        if event.type == pygame.FINGERDOWN:
            self.touch(self._calibrated(event.x, event.y))
        elif event.type == pygame.FINGERUP or (
            event.type == pygame.MOUSEBUTTONUP and not getattr(event, "touch", False)
        ):
            self.release()
        elif (
            event.type == pygame.MOUSEBUTTONDOWN
            and event.button == 1
            and not getattr(event, "touch", False)
        ):
            # A touch also arrives as a synthetic mouse click with touch=True: act on it once.
            width, height = self._window_size()
            self.touch(
                self._calibrated((event.pos[0] + 0.5) / width, (event.pos[1] + 0.5) / height)
            )

    def _calibrated(self, x: float, y: float) -> tuple[int, int]:
        """A normalised touch position, calibrated, in window pixels."""
        width, height = self._window_size()
        x, y = self.mounted.mounting.calibrate(x, y)
        return int(x * width), int(y * height)

    def _window_size(self) -> tuple[int, int]:
        window = pygame.display.get_surface() if pygame.display.get_init() else None
        return (
            window.get_size()
            if window is not None
            else self.mounted.area.get_abs_parent().get_size()
        )

    def touch(self, pos: tuple[int, int]) -> Command | None:
        """A touch at window coordinates ``pos``: run the target under it, submit its command."""
        self.state.last_touch = self.clock()
        self._dirty = True
        target = self._kiosk_hit(pos) or self._panel_hit(pos)
        command = target.action() if target is not None else None
        if command is not None:
            self.send(command)
        return command

    def _kiosk_hit(self, pos: tuple[int, int]) -> Button | None:
        logical = self.mounted.to_logical(pos)
        return self.canvas.hit(logical) if logical is not None else None

    def release(self) -> None:
        """The finger was lifted: a hold on the guard corner ends there."""
        self._hold_since = None
        self._dirty = True

    def _panel_hit(self, pos: tuple[int, int]) -> Button | None:
        if self.panel_canvas is None:
            return None
        x, y = self.panel_canvas.surface.get_abs_offset()
        return self.panel_canvas.hit((pos[0] - x, pos[1] - y))

    def send(self, command: Command) -> CommandResult:
        """Submit ``command`` and show the outcome."""
        result = self.kiosk.submit(command)
        self.results.append((command, result))
        self.state.after(command, result, self.clock())
        self._dirty = True
        return result

    # Time and drawing ------------------------------------------------------------------------

    def update(self) -> bool:
        """Lock an idle guard panel; return whether the screen needs redrawing."""
        now = self.clock()
        view = self.kiosk.view()
        idle = now - self.state.last_touch >= self.guard_lock_s
        if idle and view.guard_unlocked:
            self.send(LockGuard())
            view = self.kiosk.view()
        elif idle and self.state.page is not Page.RESIDENT:
            self.state.go(Page.RESIDENT)
            self._dirty = True
        self._watch_guard_corner(view, now)
        self._count_the_hold(now)
        self._back_to_home_language(view, now)
        if self._overlay_until is not None and now >= self._overlay_until:
            self._dirty = True  # the guard page comes back once the verdict is over
        toast = self.state.toast
        key = (view.sequence, toast.until if toast is not None and now < toast.until else None)
        self.flash.update(view.alarms, now)
        flashing = self.flash.active(now) or self._flash_lit
        return self._dirty or key != self._drawn or self._new_frame(view, now) or flashing

    def _count_the_hold(self, now: float) -> None:
        """While the guard corner is held, its label counts the seconds still to hold."""
        since = self._hold_since
        left = None if since is None else max(1, math.ceil(GUARD_HOLD_S - (now - since) - 1e-6))
        if left != self.state.guard_hold_left:
            self.state.guard_hold_left = left
            self._dirty = True

    def _back_to_home_language(self, view: KioskView, now: float) -> None:
        if view.stage is not Stage.IDLE or view.prompt is not None:
            self._lane_busy_at = now
        idle_since = max(self._lane_busy_at, self.state.last_touch)
        if self.state.language != self.state.home_language and now - idle_since >= LANGUAGE_RESET_S:
            self.state.language = self.state.home_language
            self._dirty = True

    def _switch_language(self) -> None:
        """A resident's own choice on the idle screen (the guard's settings set the lane's)."""
        zh, en = strings.LANGUAGES
        self.state.language = en if self.state.language == zh else zh

    def _watch_guard_corner(self, view: KioskView, now: float) -> None:
        """Open the PIN pad once the corner has been held long enough; close a pad left alone."""
        if self._hold_since is not None and now - self._hold_since >= GUARD_HOLD_S - 1e-6:
            self._hold_since = None
            self.state.go(Page.PIN)
            self.state.pin = self.state.pin_error = ""
            self.state.last_touch = now
            self._dirty = True
        shown = self.state.shown_page(view)
        if shown is Page.PIN and now - self.state.last_touch >= PIN_IDLE_S:
            self.state.go(Page.RESIDENT)
            self.state.pin = ""
            self._dirty = True

    def _shows_viewfinder(self, view: KioskView) -> bool:
        return (
            self.frames is not None
            and self.state.shown_page(view) is Page.RESIDENT
            and resident.shows_viewfinder(view)
        )

    def _new_frame(self, view: KioskView, now: float) -> bool:
        """A newer camera frame is there and the viewfinder is due for one."""
        if not self._shows_viewfinder(view) or now - self._frame_at < 1 / VIEWFINDER_FPS:
            return False
        assert self.frames is not None
        return self.frames.frame() is not self._frame

    def invalidate(self) -> None:
        """Redraw on the next frame (the window was uncovered or resized)."""
        self._dirty = True

    def draw(self) -> KioskView:
        """Draw the current page (and the panel) for the newest view; returns that view."""
        view = self.kiosk.view()
        now = self.clock()
        canvas = self.canvas
        canvas.reset()
        page = self.state.shown_page(view)
        if self._news_over_guard_page(view, page, now):
            page = Page.RESIDENT
        if page is Page.RESIDENT and view.vehicle_lane:
            driver.draw(canvas, view, self.state, self._open_guard)
            self._speak(view)
        elif page is Page.RESIDENT:
            frame = self._take_frame(view, now)
            resident.draw(
                canvas,
                view,
                self.state,
                self._open_guard,
                frame,
                sensor_side=self.sensor_side,
                switch_language=self._switch_language,
            )
            self._speak(view)
        else:
            guard.draw(canvas, view, self.state, page)
        chrome.toast(canvas, self.state, now)
        self.flash.update(view.alarms, now)
        self.flash.draw(canvas, now)
        self._flash_lit = self.flash.lit(now)
        if self.panel is not None and self.panel_canvas is not None:
            self.panel_canvas.reset()
            self.panel.draw(self.panel_canvas, view)
        self.mounted.present()
        toast = self.state.toast
        self._drawn = (
            view.sequence,
            toast.until if toast is not None and now < toast.until else None,
        )
        self._dirty = False
        return view

    def _news_over_guard_page(self, view: KioskView, page: Page, now: float) -> bool:
        """Whether a verdict or alarm the screen has not shown yet must cover the guard page."""
        news = frozenset(a.alarm_id for a in view.alarms if not a.acknowledged) | frozenset(
            e.event_id for e in view.recent_events if e.kind in NEWS_KINDS
        )
        fresh = self._known is not None and bool(news - self._known)
        self._known = news if self._known is None else self._known | news
        if page is Page.RESIDENT:
            self._overlay_until = None
            return False
        if fresh:
            self._overlay_until = now + OVERLAY_S
        until = self._overlay_until
        if until is not None and (now < until or view.stage in VERDICT_STAGES):
            self._overlay_until = max(until, now)
            return True
        self._overlay_until = None
        return False

    def _take_frame(self, view: KioskView, now: float) -> GreyFrame | None:
        if not self._shows_viewfinder(view):
            return None
        assert self.frames is not None
        self._frame, self._frame_at = self.frames.frame(), now
        return self._frame

    def _open_guard(self) -> None:
        """The guard corner is touched: the PIN pad opens if it is held ``GUARD_HOLD_S``."""
        self._hold_since = self.clock()

    def _speak(self, view: KioskView) -> None:
        """Say a verdict once, when the screen first shows it."""
        said = (view.stage, view.reason)
        if said == self._said:
            return
        self._said = said
        key = phrase_key(view)
        if key is not None:
            self.speaker.say(key, self.state.language)


def _frames_of(kiosk: KioskPort) -> FramePort | None:
    """The kiosk itself when it offers camera frames (``Kiosk.frame``), else None."""
    return kiosk if isinstance(kiosk, FramePort) else None
