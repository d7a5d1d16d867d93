"""The door's safety, decided on the controller whatever the host does.

- The relay is off at boot and is energised at most ``max_open_ms`` per command.
- When the host's authenticated polls stop for ``offline_ms`` the relay drops.
- The exit button opens the door here, whether or not the host is there (egress must not
  depend on a hung Pi); the host hears of it as an event and may add its own alarm.
- A fire input holds the door open where the site wants it (``fire_opens``).
- Held-open and forced-open doors are detected here and reported as events.
All times are ``time.ticks_ms()`` values handed in by the main loop.
"""

import events as ev
from micropython import const

_GRACE_MS = const(3000)  # a door opened this soon after the relay dropped is not forced


def _since(now, then):
    return (now - then) & 0x3FFFFFFF  # ticks_ms wraps at 2**30 on the board


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
        if _since(now, self._since) < self.debounce_ms:
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
        self.until = 0  # when the relay drops
        self.off_at = now - _GRACE_MS  # when it last dropped
        self.exit_at = now - _GRACE_MS
        self.opened_at = now
        self.held = False
        self.host_seen = now
        self.online = False
        self.forced = 0

    # -- commands from the host ---------------------------------------------------------
    def pulse(self, ms, now):
        """Energise the relay for ``ms`` (never more than ``max_open_ms``)."""
        self._energise(min(ms, self.max_open_ms), now)

    def release(self, now):
        """Drop the relay now (unless a fire alarm holds it)."""
        if self.on and not self._fire_holds():
            self._drop(now)

    def host_alive(self, now):
        """An authenticated command arrived: the host is there."""
        self.host_seen = now
        if not self.online:
            self.online = True
            self.events.push(ev.HOST, 1, now)

    # -- the main loop ----------------------------------------------------------------------
    def tick(self, now):
        if self.online and _since(now, self.host_seen) >= self.offline_ms:
            self.online = False
            self.events.push(ev.HOST, 0, now)
            if not self._fire_holds():
                self._drop(now)
        for inp, kind in self._watched:
            if inp.changed(now):
                self.events.push(kind, 1 if inp.active else 0, now)
                self._on_input(kind, inp.active, now)
        if self._fire_holds():
            self.until = (now + self.max_open_ms) & 0x3FFFFFFF
            if not self.on:
                self._energise(self.max_open_ms, now)
        elif self.on and _since(now, self.until) < 0x20000000:
            self._drop(now)  # ``until`` is in the past (modular compare)
        if self.door.active and not self.held and _since(now, self.opened_at) >= self.held_ms:
            self.held = True
            self.events.push(ev.HELD, 1, now)

    def _on_input(self, kind, active, now):
        if kind == ev.EXIT and active:
            self.exit_at = now
            left = _since(self.until, now)
            if not (self.on and self.egress_ms < left < 0x20000000):
                self._energise(self.egress_ms, now)  # never cuts a longer opening short
            self.events.push(ev.EGRESS, 1, now)
        elif kind == ev.FIRE and not active and self.fire_opens and self.on:
            self._drop(now)  # the alarm is over: lock again
        elif kind == ev.DOOR:
            if active:
                self.opened_at = now
                if self._forced(now):
                    self.forced += 1
                    self.events.push(ev.FORCED, 1, now)
            elif self.held:
                self.held = False
                self.events.push(ev.HELD, 0, now)

    def _forced(self, now):
        return not (
            self.on or _since(now, self.off_at) < _GRACE_MS or _since(now, self.exit_at) < _GRACE_MS
        )

    def _fire_holds(self):
        return self.fire_opens and self.fire.active

    def _energise(self, ms, now):
        self.until = (now + ms) & 0x3FFFFFFF
        if not self.on:
            self.on = True
            self.relay.value(1)
            self.events.push(ev.RELAY, 1, now)

    def _drop(self, now):
        self.relay.value(0)
        self.on = False
        self.off_at = now
        self.events.push(ev.RELAY, 0, now)

    # -- status for osdp_ISTAT / osdp_OSTAT ---------------------------------------------
    def input_states(self, out, off):
        for i, inp in enumerate((self.door, self.exit, self.tamper, self.fire)):
            out[off + i] = 1 if inp.active else 0
        return 4
