"""The controller's second output (OSDP output 1): a booth light or siren, no door behind it.

It follows osdp_OUT's control codes (OSDP 2.2 section 6.7) without the relay's safety
limits: 1/2 permanent off/on, ending a timed command; 3/4 the same once a running timed
command has finished; 5/6 on/off for a time (on with a time of 0: until the next command),
then the permanent state again.
"""

from time import ticks_add, ticks_diff


class Output:
    """One plain output switched by osdp_OUT records."""

    def __init__(self, pin):
        self.pin = pin
        pin.value(0)
        self.on = False
        self.permanent = False
        self.timed = False
        self.endless = False  # a timed "on" with a time of 0
        self.until = 0

    def command(self, code, ms, now):
        if 1 <= code <= 4:
            self.permanent = code % 2 == 0
            if code <= 2 or not self.timed:
                self.timed = False
                self._set(self.permanent)
        elif code in (5, 6):
            self.timed = True
            self.endless = code == 5 and ms == 0
            self.until = ticks_add(now, ms)
            self._set(code == 5)

    def tick(self, now):
        if self.timed and not self.endless and ticks_diff(now, self.until) >= 0:
            self.timed = False
            self._set(self.permanent)

    def _set(self, on):
        self.on = on
        self.pin.value(1 if on else 0)
