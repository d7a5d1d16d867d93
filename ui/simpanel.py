"""The simulator's side panel: buttons that play the hardware by hand (``kiosk sim``).

Show a pass or take it away, put a forehead of a given temperature in front of the sensor,
open and close the door, press the exit button, unplug the sensor, cut the network: the same
things the scripted demo does, through the app's ``SimControls``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import pygame

from kiosk.exc import KioskError
from kiosk.view import KioskView
from ui import layout, theme
from ui.canvas import Action, Canvas

PANEL_WIDTH = 360
# Forehead SKIN temperatures: the kiosk adds the calibration offset (skin reads ~0.5 °C below
# core) and ambient compensation, so these read as a normal, a borderline-high and a fever.
FOREHEADS: tuple[float | None, ...] = (36.0, 36.9, 38.0, None)


class SimControls(Protocol):
    """The simulated hardware, as ``kiosk.app.build(config, sim=True).sim`` offers it."""

    def present_pass(self, text: str | None) -> None: ...
    def set_forehead(self, celsius: float | None) -> None: ...
    def set_ambient(self, celsius: float) -> None: ...
    def set_door(self, open: bool) -> None: ...
    def press_exit_button(self) -> None: ...
    def unplug_sensor(self, unplugged: bool) -> None: ...
    def set_network(self, online: bool) -> None: ...


class SimPanel:
    """Buttons for ``controls``; ``passes`` maps a button label to the QR text it shows."""

    def __init__(self, controls: SimControls, passes: Mapping[str, str]) -> None:
        self.controls = controls
        self.passes = dict(passes)
        self.shown: str | None = None  # label of the pass in front of the camera
        self.forehead: float | None = None
        self.unplugged = False
        self.message = ""

    def draw(self, canvas: Canvas, view: KioskView) -> None:
        """The panel, with the current state of each simulated part highlighted."""
        canvas.fill(canvas.surface.get_rect(), theme.BAR)
        gap = canvas.u(6)
        area = canvas.surface.get_rect().inflate(-2 * gap, -2 * gap)
        n_pass_rows = -(-(len(self.passes) + 1) // 2)
        weights = [0.6] + [1.0] * n_pass_rows + [0.6, 1.0, 0.6, 1.0, 1.0, 0.6]
        bands = layout.rows(area, weights, gap)
        canvas.text("Pass in front of the camera", bands[0], theme.MUTED, align="left")
        self._pass_buttons(canvas, bands[1 : 1 + n_pass_rows], gap)
        rest = bands[1 + n_pass_rows :]
        canvas.text("Forehead skin temperature", rest[0], theme.MUTED, align="left")
        self._forehead_buttons(canvas, rest[1], gap)
        canvas.text("Door, exit button, sensor, network", rest[2], theme.MUTED, align="left")
        self._hardware_buttons(canvas, rest[3], rest[4], view, gap)
        canvas.text(self.message, rest[5], theme.AMBER, align="left")

    def _pass_buttons(self, canvas: Canvas, bands: list[pygame.Rect], gap: int) -> None:
        cells = [cell for band in bands for cell in layout.cols(band, 2, gap)]
        for cell, label in zip(cells, [*self.passes, "remove pass"], strict=False):
            text = self.passes.get(label)
            canvas.button(
                cell, label, self._act(self._show, label, text), selected=self.shown == label
            )

    def _forehead_buttons(self, canvas: Canvas, band: pygame.Rect, gap: int) -> None:
        for cell, celsius in zip(layout.cols(band, len(FOREHEADS), gap), FOREHEADS, strict=True):
            label = "nobody" if celsius is None else f"{celsius:.1f}"
            canvas.button(
                cell, label, self._act(self._forehead, celsius), selected=self.forehead == celsius
            )

    def _hardware_buttons(
        self, canvas: Canvas, top: pygame.Rect, bottom: pygame.Rect, view: KioskView, gap: int
    ) -> None:
        door, exit_button = layout.cols(top, 2, gap)
        canvas.button(
            door,
            "close door" if view.door_open else "open door",
            self._act(self.controls.set_door, not view.door_open),
            selected=view.door_open,
        )
        canvas.button(exit_button, "exit button", self._act(self.controls.press_exit_button))
        sensor, network = layout.cols(bottom, 2, gap)
        canvas.button(
            sensor,
            "plug sensor in" if self.unplugged else "unplug sensor",
            self._act(self._unplug, not self.unplugged),
            selected=self.unplugged,
        )
        cut = view.online is False  # None: the office has not answered yet, nothing is cut
        canvas.button(
            network,
            "reconnect" if cut else "cut network",
            self._act(self.controls.set_network, cut),
            selected=cut,
        )

    def _show(self, label: str, text: str | None) -> None:
        self.controls.present_pass(text)
        self.shown = label if text is not None else None

    def _forehead(self, celsius: float | None) -> None:
        self.controls.set_forehead(celsius)
        self.forehead = celsius

    def _unplug(self, unplugged: bool) -> None:
        self.controls.unplug_sensor(unplugged)
        self.unplugged = unplugged

    def _act(self, do: Callable[..., None], *args: object) -> Action:
        """A touch that drives the simulated hardware; a refusal is shown, not raised."""

        def action() -> None:
            try:
                do(*args)
                self.message = ""
            except (KioskError, ValueError) as error:
                self.message = str(error)

        return action
