"""A simulated ``machine`` module: the firmware runs unchanged in MicroPython without a board.

Pins, a UART, the watchdog, timers and the clock live on ``board``; the simulator
(simboard.py) drives inputs, feeds the UART and sets the host's time, and a reset puts every
pin back to a floating input, as on the RP2040. The firmware's main loop reads the clock
(``time.ticks_ms``, which is ``board.ticks_ms`` here) once a pass: each reading is up to
``SLICE`` ms after the last until the host's time is reached, and the watchdog resets the
board (raises ``Reset``) as soon as it has not been fed for longer than its timeout, as
``machine.reset()`` does at once.
"""

PWRON_RESET = 1
WDT_RESET = 3  # also what the rp2 port reports after machine.reset()
SLICE = 5  # ms between two readings of the clock while it catches up with the host's time
TICKS_MASK = 0x3FFFFFFF  # ticks_ms() wraps at 2**30 on the rp2 port (and in this VM)


class Reset(BaseException):
    """The board resets (its watchdog, machine.reset()): raised through the firmware, out
    of its main()."""

    def __init__(self, cause):
        super().__init__(cause)
        self.cause = cause


class _Board:
    def __init__(self):
        self.clock = 0  # ms since the simulation started
        self.ticks0 = 0  # what ticks_ms() reads at clock 0
        self.target = 0  # the host's time: the clock runs up to it, then waits
        self.extra_pass = False  # the host asked for one more pass at the same time
        self.wait = None  # called when the clock has reached the host's time
        self.pins = {}  # id -> [mode, pull, level driven by the firmware, level driven outside]
        self.uart = None
        self.sent = bytearray()  # bytes the UART put on the line (they outlive a reset)
        self.wdt = None
        self.fed = 0
        self.cause = PWRON_RESET
        self.timers = []
        self.rises = {}  # pin id -> times the firmware switched it on

    def power_cycle(self, cause):
        """A reset: pins float, the UART and the watchdog stop, timers die."""
        for state in self.pins.values():
            state[0] = Pin.IN
            state[1] = None
            state[2] = 0
        self.uart = None
        self.wdt = None
        self.timers = []
        self.cause = cause

    def ticks_ms(self):
        """time.ticks_ms() for the firmware: catches up with the host's time, then waits."""
        if self.wait and self.clock >= self.target and not self.extra_pass:
            self.wait()
        self.extra_pass = False
        if self.target > self.clock:
            self.move_to(min(self.target, self.clock + SLICE))
        return (self.ticks0 + self.clock) & TICKS_MASK

    def move_to(self, clock):
        """Time passes: timers run and a watchdog not fed in time resets the board."""
        self.clock = clock
        self.run_timers()
        if self.watchdog_expired():
            raise Reset(WDT_RESET)

    def level(self, pin_id):
        state = self.pins.get(pin_id)
        if state is None:
            return 0
        mode, pull, out, ext = state
        if mode == Pin.OUT:
            return out
        if ext is not None:
            return ext
        return 1 if pull == Pin.PULL_UP else 0

    def energised(self, pin_id):
        """True when the firmware drives the pin high (a floating pin drives nothing)."""
        state = self.pins.get(pin_id)
        return bool(state and state[0] == Pin.OUT and state[2])

    def watchdog_expired(self):
        """True when an armed watchdog has not been fed within its timeout."""
        return self.wdt is not None and self.clock - self.fed > self.wdt.timeout

    def drive(self, pin_id, level):
        self.pins.setdefault(pin_id, [Pin.IN, None, 0, None])[3] = level

    def run_timers(self):
        for t in self.timers:
            while t.period and self.clock >= t.due:
                t.due += t.period
                if t.mode == Timer.ONE_SHOT:
                    t.period = 0
                t.callback(t)


board = _Board()


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self.id = id
        board.pins.setdefault(id, [Pin.IN, None, 0, None])
        self.init(mode, pull, value=value)

    def init(self, mode=-1, pull=-1, *, value=None):
        state = board.pins[self.id]
        if mode != -1:
            state[0] = mode
        if pull != -1:
            state[1] = pull
        if value is not None:
            state[2] = 1 if value else 0

    def value(self, v=None):
        if v is None:
            return board.level(self.id)
        state = board.pins[self.id]
        if v and not state[2]:
            board.rises[self.id] = board.rises.get(self.id, 0) + 1
        state[2] = 1 if v else 0
        return None

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class UART:
    def __init__(self, id, baudrate=115200, **kwargs):
        self.baudrate = baudrate
        self.rx = bytearray()
        board.uart = self

    def any(self):
        return len(self.rx)

    def readinto(self, buf, nbytes=None):
        n = min(len(buf) if nbytes is None else nbytes, len(self.rx))
        if n == 0:
            return None
        buf[:n] = self.rx[:n]
        self.rx = self.rx[n:]
        return n

    def read(self, nbytes=None):
        n = len(self.rx) if nbytes is None else min(nbytes, len(self.rx))
        data, self.rx = bytes(self.rx[:n]), self.rx[n:]
        return data or None

    def write(self, buf):
        board.sent.extend(buf)
        return len(buf)

    def flush(self):
        pass

    def txdone(self):
        return True


class WDT:
    def __init__(self, id=0, timeout=5000):
        self.timeout = timeout
        board.wdt = self
        board.fed = board.clock

    def feed(self):
        board.fed = board.clock


class Timer:
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, **kwargs):
        self.period = 0
        if kwargs:
            self.init(**kwargs)

    def init(self, *, mode=PERIODIC, period=-1, callback=None, freq=-1):
        self.mode = mode
        self.period = period if period > 0 else int(1000 / freq)
        self.callback = callback
        self.due = board.clock + self.period
        board.timers.append(self)

    def deinit(self):
        self.period = 0
        if self in board.timers:
            board.timers.remove(self)


def reset_cause():
    return board.cause


def reset():
    raise Reset(WDT_RESET)


def unique_id():
    return b"\xe6\x61\x38\x52\x83\x4b\x2c\x21"


def freq():
    return 125_000_000


def idle():
    pass
