"""A control panel for attacking the secure channel, written from the OSDP 2.2 text, not libosdp.

It builds every frame byte by byte (sequence numbers, CRC-16, the secure channel's session
keys, MACs and AES-CBC with ``cryptography``), so a test can record a session, replay or
alter any part of it, and speak to the firmware on an exact clock (``FirmwareVm``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import crc16, with_seq

SCBK_D = b"0123456789:;<=>?"  # OSDP 2.2 appendix D: the install-mode default key

POLL, ID, LSTAT, OUT, KEYSET, CHLNG, SCRYPT = 0x60, 0x61, 0x64, 0x68, 0x75, 0x76, 0x77
ACK, NAK, OSTATR, CCRYPT, RMAC_I = 0x40, 0x41, 0x4A, 0x76, 0x78


def _ecb(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def _cbc(key: bytes, iv: bytes, data: bytes, decrypt: bool = False) -> bytes:
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def _pad(data: bytes) -> bytes:
    data += b"\x80"
    return data + bytes(-len(data) % 16)


def _invert(block: bytes) -> bytes:
    return bytes(~b & 0xFF for b in block)


@dataclass
class Reply:
    """One reply frame from the controller (from SOM, without the mark byte)."""

    raw: bytes
    code: int
    data: bytes

    @property
    def nak_reason(self) -> int | None:
        return self.data[0] if self.code == NAK else None


@dataclass
class Panel:
    """A control panel for one device; ``sent`` keeps every command frame it built."""

    key: bytes
    address: int = 1
    seq: int = 0  # the sequence number of the next command
    sent: list[bytes] = field(default_factory=list)
    active: bool = False
    s_enc: bytes = b""
    s_mac1: bytes = b""
    s_mac2: bytes = b""
    r_mac: bytes = b""  # MAC of the last reply: the next command's MAC starts from it
    c_mac: bytes = b""
    cp_random: bytes = b""  # RND.A of the last challenge
    cp_crypt: bytes = b""

    # -- frames -------------------------------------------------------------------------
    def command(
        self,
        cmd: int,
        data: bytes = b"",
        scb: bytes = b"",
        *,
        secure: bool = False,
        encrypt: bool = True,
    ) -> bytes:
        """The next command frame (0xFF mark first); MAC'd, data encrypted, when ``secure``."""
        if secure:
            encrypt = encrypt and bool(data)
            scb = bytes([2, 0x17 if encrypt else 0x15])
            if encrypt:
                data = _cbc(self.s_enc, _invert(self.r_mac), _pad(data))
        ctrl = self.seq | 0x04 | (0x08 if scb else 0)
        body = bytearray([0x53, self.address, 0, 0, ctrl]) + scb + bytes([cmd]) + data
        size = len(body) + (4 if secure else 0) + 2
        body[2], body[3] = size & 0xFF, size >> 8
        if secure:
            self.c_mac = self._mac(bytes(body), self.r_mac)
            body += self.c_mac[:4]
        crc = crc16(bytes(body))
        frame = b"\xff" + bytes(body) + bytes([crc & 0xFF, crc >> 8])
        self.sent.append(frame)
        self.seq = self.seq % 3 + 1
        return frame

    def parse(self, tx: bytes) -> Reply:
        """The controller's reply; checks CRC, address and, in a session, MAC and padding."""
        raw = tx[1:] if tx[:1] == b"\xff" else tx
        assert raw[:1] == b"\x53" and len(raw) == (raw[2] | raw[3] << 8), f"no reply: {tx.hex()}"
        assert crc16(raw[:-2]) == raw[-2] | raw[-1] << 8, "reply CRC"
        assert raw[1] == self.address | 0x80
        at = 5 + (raw[5] if raw[4] & 0x08 else 0)
        scs = raw[6] if raw[4] & 0x08 else 0
        end = len(raw) - 2
        if scs in (0x16, 0x18):
            end -= 4
            mac = self._mac(raw[:end], self.c_mac)
            assert raw[end : end + 4] == mac[:4], "reply MAC"
            self.r_mac = mac
        data = raw[at + 1 : end]
        if scs == 0x18:
            plain = _cbc(self.s_enc, _invert(self.c_mac), data, decrypt=True).rstrip(b"\x00")
            assert plain.endswith(b"\x80"), "reply padding"
            data = plain[:-1]
        return Reply(raw, raw[at], data)

    def _mac(self, data: bytes, iv: bytes) -> bytes:
        padded = data if len(data) % 16 == 0 else _pad(data)
        head, last = padded[:-16], padded[-16:]
        chain = _cbc(self.s_mac1, iv, head)[-16:] if head else iv
        return _ecb(self.s_mac2, bytes(a ^ b for a, b in zip(chain, last, strict=True)))

    # -- the secure channel handshake --------------------------------------------------------
    def challenge(self, *, default_key: bool = False) -> bytes:
        """osdp_CHLNG with a fresh RND.A; derives the session keys from it."""
        self.active = False
        self.cp_random = os.urandom(8)
        key = SCBK_D if default_key else self.key
        d = bytearray(16)
        d[0], d[2:8] = 0x01, self.cp_random[:6]
        keys = []
        for kind in (0x82, 0x01, 0x02):
            d[1] = kind
            keys.append(_ecb(key, bytes(d)))
        self.s_enc, self.s_mac1, self.s_mac2 = keys
        return self.command(CHLNG, self.cp_random, bytes([3, 0x11, 0 if default_key else 1]))

    def answer(self, reply: Reply, *, check: bool = True) -> bytes:
        """osdp_SCRYPT for the controller's osdp_CCRYPT (whose cryptogram it checks)."""
        assert reply.code == CCRYPT, f"expected osdp_CCRYPT, got {reply.code:#x}"
        pd_random, pd_crypt = reply.data[8:16], reply.data[16:32]
        if check:
            assert pd_crypt == _ecb(self.s_enc, self.cp_random + pd_random), "PD cryptogram"
        self.cp_crypt = _ecb(self.s_enc, pd_random + self.cp_random)
        return self.command(SCRYPT, self.cp_crypt, bytes([3, 0x13, reply.raw[7]]))

    def confirmed(self, reply: Reply) -> None:
        """Checks osdp_RMAC_I and starts the MAC chain from it."""
        assert reply.code == RMAC_I, f"expected osdp_RMAC_I, got {reply.code:#x}"
        expected = _ecb(self.s_mac2, _ecb(self.s_mac1, self.cp_crypt))
        assert reply.data == expected, "R-MAC-I"
        self.r_mac = expected
        self.active = True


def exchange(vm: FirmwareVm, panel: Panel, frame: bytes) -> Reply:
    """Send one command on the controller's line; its reply, parsed (and checked)."""
    return panel.parse(vm.advance(10, rx=frame))


def open_session(vm: FirmwareVm, panel: Panel, *, default_key: bool = False) -> None:
    """The host (re)starts: sequence 0, then the CHLNG / SCRYPT handshake."""
    panel.seq = 0
    exchange(vm, panel, panel.command(ID, b"\x00"))
    ccrypt = exchange(vm, panel, panel.challenge(default_key=default_key))
    panel.confirmed(exchange(vm, panel, panel.answer(ccrypt)))


def pulse(vm: FirmwareVm, panel: Panel) -> Reply:
    """osdp_OUT: output 0, timed pulse of 1 s."""
    return exchange(vm, panel, panel.command(OUT, bytes([0, 5, 10, 0]), secure=True))


def replay_frames(
    send: Callable[[bytes], object], last_seq: Callable[[], int], frames: list[bytes]
) -> None:
    """Send recorded frames as they were, steering the controller's sequence number first.

    A MAC covers the sequence number, so a MAC'd frame goes out with its own; any frame
    with the number before it (refused, but counted) makes the controller expect it next.
    ``last_seq``: the sequence number the controller answered last.
    """
    for frame in frames:
        raw = frame[1:] if frame[:1] == b"\xff" else frame
        seq = raw[4] & 3
        if seq and last_seq() % 3 + 1 != seq:
            plain_poll = bytes([0x53, raw[1], 8, 0, 0x04, POLL, 0, 0])  # no MAC: any seq will do
            send(with_seq(plain_poll, 3 if seq == 1 else seq - 1))
        send(frame)
