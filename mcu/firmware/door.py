"""The door's safety, decided on the controller whatever the host does.

- The relay is off at boot and is energised at most ``max_open_ms`` per command.
- When the host's authenticated polls stop for ``offline_ms`` the relay drops.
- The exit button opens the door here, whether or not the host is there (egress must not
  depend on a hung Pi); the host hears of it as an event and may add its own alarm.
- A fire input holds the door open where the site wants it (``fire_opens``).
- Held-open and forced-open doors are detected here and reported as events.
All times are ``time.ticks_ms()`` values handed in by the main loop, compared only through
``time.ticks_diff`` (the counter wraps).
"""

from time import ticks_add, ticks_diff

import events as ev
from micropython import const

_GRACE_MS = const(3000)  # a door opened this soon after the relay dropped is not forced


class Input:
    """A pulled-up input read through a debounce: a new level counts once it has held."""

    def __init__(self, pin, active_high, debounce_ms):
        self.pin = pin
        self.active_high = active_high
        self.debounce_ms = debounce_ms
        self.active = self._raw()
        self._since = 0
        self._pending = False

    def _raw(self):
        return bool(self.pin.value()) == self.active_high

    def changed(self, now):
        """Sample the pin; True when the debounced state has just changed."""
        raw = self._raw()
        if raw == self.active:
            self._pending = False
            return False
        if not self._pending:
            self._pending = True
            self._since = now
            return False
        if ticks_diff(now, self._since) < self.debounce_ms:
            return False
        self._pending = False
        self.active = raw
        return True


class Door:
    """Relay, door contact, exit button, tamper and fire inputs, with the safety rules."""

    def __init__(self, relay, inputs, events, cfg, now):
        self.relay = relay
        self.relay.value(0)  # off at boot, before anything else
        self.door, self.exit, self.tamper, self.fire = inputs
        # built once: the main loop allocates nothing while the line is quiet
        self._watched = (
            (self.door, ev.DOOR),
            (self.exit, ev.EXIT),
            (self.tamper, ev.TAMPER),
            (self.fire, ev.FIRE),
        )
        self.events = events
        self.max_open_ms = cfg.MAX_OPEN_MS
        self.offline_ms = cfg.OFFLINE_MS
        self.held_ms = cfg.HELD_OPEN_MS
        self.egress_ms = min(cfg.EGRESS_OPEN_MS, cfg.MAX_OPEN_MS)
        self.fire_opens = cfg.FIRE_OPENS
        self.on = False
        self.until = now  # when the relay drops, or a timed command ends
        self.timed = False  # an osdp_OUT timed command (5, 6) runs until ``until``
        self.permanent = False  # the state osdp_OUT asked for after any timed command
        # The relay just dropped or the exit button was just pressed: an opening now is not
        # forced. A flag cleared by ``tick``, as a timestamp kept for days would wrap.
        self.grace = False
        self.grace_end = now
        self.opened_at = now
        self.held = False
        self.host_seen = now
        self.online = False
        self.forced = 0

    # -- commands from the host ---------------------------------------------------------
    def output(self, code, ms, now):
        """One osdp_OUT control code for the relay (OSDP 2.2 section 6.7).

        1/2: permanent off/on, ending a timed command; 3/4: permanent off/on once a running
        timed command has finished; 5/6: on/off for ``ms`` (on: 0 means as long as allowed),
        then the permanent state again. "On" never lasts longer than ``max_open_ms``.
        """
        if 1 <= code <= 4:
            self.permanent = code % 2 == 0
            if code <= 2 or not self.timed:
                self.timed = False
                self._apply_permanent(now)
        elif code == 5:
            self.timed = True
            self._energise(min(ms or self.max_open_ms, self.max_open_ms), now)
        elif code == 6:
            self.timed = True
            self.until = ticks_add(now, ms)
            self._release(now)

    def host_alive(self, now):
        """An authenticated command arrived: the host is there."""
        self.host_seen = now
        if not self.online:
            self.online = True
            self.events.push(ev.HOST, 1, now)

    # -- the main loop ----------------------------------------------------------------------
    def tick(self, now):
        if self.online and ticks_diff(now, self.host_seen) >= self.offline_ms:
            self.online = False
            self.events.push(ev.HOST, 0, now)
            self.timed = self.permanent = False
            self._release(now)
        for inp, kind in self._watched:
            if inp.changed(now):
                self.events.push(kind, 1 if inp.active else 0, now)
                self._on_input(kind, inp.active, now)
        if self._fire_holds():
            self.timed = False
            self._energise(self.max_open_ms, now)
        elif ticks_diff(now, self.until) >= 0 and (self.on or self.timed):
            if self.timed:  # a timed command is over: back to the permanent state
                self.timed = False
                self._apply_permanent(now)
            else:  # the longest opening allowed is over, whatever was asked
                self.permanent = False
                self._drop(now)
        if self.grace and ticks_diff(now, self.grace_end) >= 0:
            self.grace = False
        if self.door.active and not self.held and ticks_diff(now, self.opened_at) >= self.held_ms:
            self.held = True
            self.events.push(ev.HELD, 1, now)

    def _on_input(self, kind, active, now):
        if kind == ev.EXIT and active:
            self._grace(now)
            if not (self.on and ticks_diff(self.until, now) > self.egress_ms):
                self.timed = False
                self._energise(self.egress_ms, now)  # never cuts a longer opening short
            self.events.push(ev.EGRESS, 1, now)
        elif kind == ev.FIRE and not active and self.fire_opens and self.on:
            self._drop(now)  # the alarm is over: lock again
        elif kind == ev.DOOR:
            if active:
                self.opened_at = now
                if self._forced():
                    self.forced += 1
                    self.events.push(ev.FORCED, 1, now)
            elif self.held:
                self.held = False
                self.events.push(ev.HELD, 0, now)

    def _forced(self):
        return not (self.on or self.grace)

    def _grace(self, now):
        self.grace = True
        self.grace_end = ticks_add(now, _GRACE_MS)

    def _fire_holds(self):
        return self.fire_opens and self.fire.active

    def _apply_permanent(self, now):
        if self.permanent:
            self._energise(self.max_open_ms, now)
        else:
            self._release(now)

    def _release(self, now):
        if self.on and not self._fire_holds():
            self._drop(now)

    def _energise(self, ms, now):
        self.until = ticks_add(now, ms)
        if not self.on:
            self.on = True
            self.relay.value(1)
            self.events.push(ev.RELAY, 1, now)

    def _drop(self, now):
        self.relay.value(0)
        self.on = False
        self._grace(now)
        self.events.push(ev.RELAY, 0, now)

    # -- status for osdp_ISTAT / osdp_OSTAT ---------------------------------------------
    def input_states(self, out, off):
        for i, inp in enumerate((self.door, self.exit, self.tamper, self.fire)):
            out[off + i] = 1 if inp.active else 0
        return 4
