"""The reader LED (a green/red pair) and the buzzer, driven by osdp_LED and osdp_BUZ.

Every deadline is a ``time.ticks_ms()`` value compared through ``time.ticks_diff``, so no
blink, beep or LED timer stops when the tick counter wraps.
"""

from time import ticks_add, ticks_diff

from micropython import const

# OSDP 2.2 osdp_LED colours
_RED = const(1)
_GREEN = const(2)
_AMBER = const(3)


class Led:
    """LED 0 with OSDP's two states: permanent, and a temporary one that ends on its timer."""

    def __init__(self, green, red):
        self.green = green
        self.red = red
        self.permanent = (0, 0, 0, 0)  # on colour, off colour, on ms, off ms
        self.temporary = None  # the same, while its timer runs
        self.temporary_end = 0
        self.lit = True
        self.phase_end = 0
        self._show(0)

    def command(self, f, r, now):
        """One 14-byte osdp_LED record at ``f[r]``: reader, LED, temporary (7), permanent (5)."""
        if f[r + 9] == 1:  # permanent control code 1: set the permanent state
            self.permanent = (f[r + 12], f[r + 13], f[r + 10] * 100, f[r + 11] * 100)
        code = f[r + 2]
        if code == 1:  # cancel the temporary state, show the permanent one now
            self.temporary = None
        elif code == 2:  # set the temporary state and start its timer (100 ms units)
            self.temporary = (f[r + 5], f[r + 6], f[r + 3] * 100, f[r + 4] * 100)
            self.temporary_end = ticks_add(now, (f[r + 7] | f[r + 8] << 8) * 100)
        self._begin(now)

    def tick(self, now):
        if self.temporary is not None and ticks_diff(now, self.temporary_end) >= 0:
            self.temporary = None  # its timer ran out: back to the permanent state
            self._begin(now)
            return
        on_colour, off_colour, on_ms, off_ms = self.temporary or self.permanent
        if on_ms == 0 or off_ms == 0 or ticks_diff(now, self.phase_end) < 0:
            return  # steady, or this phase is not over
        self.lit = not self.lit
        self.phase_end = ticks_add(now, on_ms if self.lit else off_ms)
        self._show(on_colour if self.lit else off_colour)

    def _begin(self, now):
        on_colour, off_colour, on_ms, _ = self.temporary or self.permanent
        self.lit = on_ms != 0  # an on time of 0: the off colour, steady
        self.phase_end = ticks_add(now, on_ms)
        self._show(on_colour if self.lit else off_colour)

    def _show(self, colour):
        self.green.value(1 if colour in (_GREEN, _AMBER) else 0)
        self.red.value(1 if colour in (_RED, _AMBER) else 0)


class Beeper:
    """The buzzer: beeps ``count`` times (0: until told otherwise), then rests silent."""

    def __init__(self, pin):
        self.pin = pin
        pin.value(0)
        self.on_ms = self.off_ms = 0
        self.left = 0
        self.phase_end = 0
        self.lit = False

    def silence(self):
        self.left = 0
        self._set(0)

    def beep(self, on_ms, off_ms, count, now):
        self.on_ms, self.off_ms = on_ms, off_ms
        self.left = count or -1
        self.phase_end = ticks_add(now, on_ms)
        self._set(1)

    def tick(self, now):
        if self.left == 0 or ticks_diff(now, self.phase_end) < 0:
            return
        if self.lit:
            self._set(0)
            self.phase_end = ticks_add(now, self.off_ms)
            if self.left > 0:
                self.left -= 1
        else:
            self._set(1)
            self.phase_end = ticks_add(now, self.on_ms)

    def _set(self, v):
        self.lit = bool(v)
        self.pin.value(v)


class Signals:
    """osdp_LED records for LED 0 and osdp_BUZ for the buzzer."""

    def __init__(self, green, red, buzzer):
        self.led = Led(green, red)
        self.buzzer = Beeper(buzzer)

    def buzz(self, tone, on, off, count, now):
        # osdp_BUZ tone code (OSDP 2.2 section 6.11): 0 no tone (deprecated), 1 off, 2 the
        # default tone; 3.. are reserved and sound the default tone here
        if tone <= 1 or on == 0:
            self.buzzer.silence()
        else:
            self.buzzer.beep(on * 100, off * 100, count, now)

    def tick(self, now):
        self.led.tick(now)
        self.buzzer.tick(now)
