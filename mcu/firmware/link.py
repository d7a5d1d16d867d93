"""OSDP link layer: finds frames in the UART byte stream and checks their CRC-16.

A frame is ``[0xFF] 0x53 addr len_lo len_hi ctrl [security block] cmd data [MAC] check``.
Garbage between frames is skipped, a frame whose length is impossible is dropped at
once, and a partial frame that stops arriving for ``gap_ms`` (a cut cable, a truncated
frame) is dropped so the next one starts clean. A frame longer than our receive buffer
(``MAX_FRAME``, declared in osdp_PDCAP) but within OSDP's limit is read through without
being kept, its check character computed on the way, so the PD can answer it with
osdp_NAK "command length" as OSDP 2.2 asks (section 5.6 of the 2.2.2 text). One
pre-allocated buffer, no allocation per byte.
"""

from time import ticks_diff

from micropython import const

SOM = const(0x53)
MARK = const(0xFF)
HEADER = const(5)
MAX_FRAME = const(256)  # our receive buffer
OSDP_MAX = const(1440)  # the longest packet OSDP allows any device to send
MIN_FRAME = const(7)  # header, command, 1-byte checksum

_TABLE = [0] * 256
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x1021) if _c & 0x8000 else (_c << 1)
    _TABLE[_i] = _c & 0xFFFF


def crc16(buf, start, end):
    """CRC-16/AUG-CCITT as OSDP uses it (poly 0x1021, initial value 0x1D0F)."""
    crc = 0x1D0F
    t = _TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ t[(crc >> 8) ^ buf[i]]
    return crc


def crc16_add(crc, byte):
    """The CRC-16 so far, with one more byte."""
    return ((crc << 8) & 0xFFFF) ^ _TABLE[(crc >> 8) ^ byte]


def checksum(buf, start, end):
    """The 8-bit two's-complement checksum of OSDP's old check character."""
    s = 0
    for i in range(start, end):
        s += buf[i]
    return (-s) & 0xFF


class Framer:
    """Collects bytes until a whole frame is there; then ``frame`` holds it from its SOM."""

    def __init__(self, gap_ms):
        self.frame = bytearray(MAX_FRAME)
        self.length = 0  # bytes collected
        self.need = 0  # total length once the header is in, else 0
        self.has_mark = False
        self.gap_ms = gap_ms
        self.last_ms = 0
        self.dropped = 0  # partial or impossible frames thrown away
        self.skipped = 0  # bytes of line noise between frames
        # A frame too long to keep: only its header stays in ``frame``; the check runs here.
        self.too_long = False
        self.crc = 0  # CRC-16 of the bytes before the last two
        self.total = 0  # sum of every byte (a checksum frame sums to 0)
        self.tail = 0  # the last two bytes, oldest in the high byte

    def feed(self, byte, now):
        """Take one byte; True when a complete frame is there: ``frame[:length]``, or, when
        ``too_long``, a frame whose header is in ``frame`` and whose check ``intact()`` says."""
        if self.length and ticks_diff(now, self.last_ms) > self.gap_ms:
            self._drop()
        self.last_ms = now
        if self.length == 0:
            if byte == SOM:
                self.frame[0] = SOM
                self.length = 1
            else:
                self.has_mark = byte == MARK
                if byte != MARK:
                    self.skipped += 1
            return False
        if self.too_long:
            return self._through(byte)
        self.frame[self.length] = byte
        self.length += 1
        if self.length == HEADER - 1:
            need = self.frame[2] | (byte << 8)
            if need < MIN_FRAME or need > OSDP_MAX:
                self._drop()
                return False
            self.need = need
        elif self.length == HEADER and self.need > MAX_FRAME:
            f = self.frame
            self.too_long = True
            self.crc = crc16(f, 0, HEADER - 2)  # the two newest bytes wait in ``tail``
            self.tail = f[HEADER - 2] << 8 | f[HEADER - 1]
            self.total = f[0] + f[1] + f[2] + f[3] + f[4]
            return False
        return self.need != 0 and self.length == self.need

    def intact(self):
        """For a ``too_long`` frame: True when its CRC-16 or checksum is right."""
        if self.frame[4] & 0x04:
            return self.crc == (self.tail & 0xFF) << 8 | self.tail >> 8
        return self.total & 0xFF == 0

    def _through(self, byte):
        self.crc = crc16_add(self.crc, self.tail >> 8)
        self.tail = (self.tail << 8 | byte) & 0xFFFF
        self.total += byte
        self.length += 1
        return self.length == self.need

    def expire(self, now):
        """Drop a partial frame that has stopped arriving (a truncated frame, a cut cable)."""
        if self.length and ticks_diff(now, self.last_ms) > self.gap_ms:
            self._drop()

    def reset(self):
        """Ready for the next frame (call after handling a complete one)."""
        self.length = 0
        self.need = 0
        self.has_mark = False
        self.too_long = False

    def _drop(self):
        self.dropped += 1
        self.reset()
