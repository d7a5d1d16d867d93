"""Green and red LEDs and the buzzer, driven by osdp_LED and osdp_BUZ commands."""

from micropython import const

_RED = const(1)
_GREEN = const(2)
_AMBER = const(3)


class Blinker:
    """One output that blinks ``count`` times (0: until told otherwise), then rests."""

    def __init__(self, pin):
        self.pin = pin
        pin.value(0)
        self.rest = 0
        self.on_ms = self.off_ms = 0
        self.left = 0
        self.phase_end = 0
        self.lit = False

    def steady(self, on):
        self.rest = 1 if on else 0
        self.left = 0
        self._set(self.rest)

    def blink(self, on_ms, off_ms, count, now):
        if on_ms == 0:
            self.steady(False)
            return
        self.on_ms, self.off_ms = on_ms, off_ms
        self.left = count or -1
        self.phase_end = now + on_ms
        self._set(1)

    def tick(self, now):
        if self.left == 0 or now - self.phase_end < 0:
            return
        if self.lit:
            self._set(0)
            self.phase_end = now + self.off_ms
            if self.left > 0:
                self.left -= 1
                if self.left == 0:
                    self._set(self.rest)
        else:
            self._set(1)
            self.phase_end = now + self.on_ms

    def _set(self, v):
        self.lit = bool(v)
        self.pin.value(v)


class Signals:
    """osdp_LED records for LED 0 (green/red/amber) and osdp_BUZ for the buzzer."""

    def __init__(self, green, red, buzzer):
        self.green = Blinker(green)
        self.red = Blinker(red)
        self.buzzer = Blinker(buzzer)

    def led(self, f, r, now):
        # record: reader, led, temporary (code, on, off, on colour, off colour, timer x2),
        # permanent (code, on, off, on colour, off colour); times in 100 ms
        if f[r + 2] == 2:
            self._colour(f[r + 6], f[r + 3] * 100, f[r + 4] * 100, now)
        elif f[r + 9] == 1:
            self._colour(f[r + 12], f[r + 10] * 100, f[r + 11] * 100, now)

    def _colour(self, colour, on_ms, off_ms, now):
        for blinker, bit in ((self.green, _GREEN), (self.red, _RED)):
            if colour in (bit, _AMBER):
                if off_ms:
                    blinker.blink(on_ms, off_ms, 0, now)
                else:
                    blinker.steady(True)
            else:
                blinker.steady(False)

    def buzz(self, tone, on, off, count, now):
        if tone == 1 or on == 0:  # tone 1: off
            self.buzzer.steady(False)
        else:
            self.buzzer.blink(on * 100, off * 100, count, now)

    def tick(self, now):
        self.green.tick(now)
        self.red.tick(now)
        self.buzzer.tick(now)
