"""Events waiting for the host: a ring of fixed-size records, numbered, kept until acknowledged.

A record is 8 bytes: sequence number (u16), kind (u8), value (u8), controller time in ms
(u32), all little-endian. The host collects them in OSDP replies; a record leaves the ring
only when the host has acknowledged the reply that carried it (OSDP's next sequence
number), so a lost reply is sent again and nothing is collected twice. When the ring is
full the oldest record is overwritten and ``lost`` counts it.
"""

from micropython import const

RECORD = const(8)

# kinds
DOOR = const(1)  # value 1: door opened, 0: closed
EXIT = const(2)  # exit button pressed (1) / released (0)
TAMPER = const(3)
FIRE = const(4)
HELD = const(5)  # door held open too long (1) / closed again (0)
FORCED = const(6)  # door opened without the relay or the exit button
HOST = const(7)  # host link up (1) / lost (0)
BOOT = const(8)  # value: reset cause (machine.reset_cause())
EGRESS = const(9)  # the controller opened the door by itself for the exit button
RELAY = const(10)  # relay energised (1) / dropped (0)
AUTH = const(11)  # a packet failed its MAC check and was refused
KEY = const(12)  # the key at boot or after osdp_KEYSET: 0 none, 1 ok, 2 install mode, 3 damaged
FIRMWARE = const(13)  # 0: a new firmware never reached the host, the previous one runs again;
# 1: a new firmware runs on trial; 2: it reached the host and is kept


class EventRing:
    """Up to ``capacity`` event records with sequence numbers, oldest first."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.buf = bytearray(capacity * RECORD)
        self.head = 0  # index of the oldest record
        self.count = 0
        self.next_seq = 1
        self.lost = 0

    def push(self, kind, value, now):
        if self.count == self.capacity:
            self.head = (self.head + 1) % self.capacity
            self.count -= 1
            self.lost += 1
        slot = ((self.head + self.count) % self.capacity) * RECORD
        b = self.buf
        seq = self.next_seq
        b[slot] = seq & 0xFF
        b[slot + 1] = seq >> 8
        b[slot + 2] = kind
        b[slot + 3] = value
        for i in range(4):
            b[slot + 4 + i] = (now >> (8 * i)) & 0xFF
        self.count += 1
        self.next_seq = 1 if seq == 0xFFFF else seq + 1

    def copy_out(self, n, dst, off):
        """Copy the ``n`` oldest records into ``dst`` at ``off``; returns the bytes written."""
        n = min(n, self.count)
        for i in range(n):
            slot = ((self.head + i) % self.capacity) * RECORD
            dst[off + i * RECORD : off + (i + 1) * RECORD] = self.buf[slot : slot + RECORD]
        return n * RECORD

    def drop(self, n):
        """Forget the ``n`` oldest records (the host has them)."""
        n = min(n, self.count)
        self.head = (self.head + n) % self.capacity
        self.count -= n
