"""A small OSDP control panel written from the OSDP 2.2 text, for the firmware's tests.

It sends exactly the frames a test asks for (any address, sequence number or length, which
libosdp never would) and speaks the secure channel of OSDP 2.2 annex D: the osdp_CHLNG /
osdp_SCRYPT handshake, AES-128-CBC data blocks and the chained CBC-MAC.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.mcu_support import crc16

SCBK_D = b"0123456789:;<=>?"  # the install-mode key, annex D
ACK, NAK, PDID, PDCAP, ISTATR, OSTATR, CCRYPT, RMAC_I, MFGREP = (
    0x40, 0x41, 0x45, 0x46, 0x49, 0x4A, 0x76, 0x78, 0x90,
)  # fmt: skip


def _aes(key: bytes, data: bytes, iv: bytes | None = None, decrypt: bool = False) -> bytes:
    mode = modes.ECB() if iv is None else modes.CBC(iv)
    cipher = Cipher(algorithms.AES(key), mode)
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(data) + op.finalize()


def _pad(data: bytes) -> bytes:
    data += b"\x80"
    return data + bytes(-len(data) % 16)


def _invert(block: bytes) -> bytes:
    return bytes(~b & 0xFF for b in block)


def frame(address: int, seq: int, cmd: int, data: bytes = b"", scb: bytes = b"") -> bytes:
    """A plain command frame with its CRC-16 (OSDP 2.2 section 5.2)."""
    body = bytearray([0x53, address, 0, 0, seq | 0x04 | (0x08 if scb else 0)])
    body += scb + bytes([cmd]) + data
    size = len(body) + 2
    body[2], body[3] = size & 0xFF, size >> 8
    crc = crc16(bytes(body))
    return b"\xff" + bytes(body) + bytes([crc & 0xFF, crc >> 8])


@dataclass(frozen=True)
class Reply:
    """One reply frame, split into its fields (the data block still encrypted)."""

    raw: bytes  # from SOM, without the mark byte
    address: int
    seq: int
    scb: bytes
    code: int
    data: bytes

    @classmethod
    def parse(cls, line: bytes) -> Reply:
        raw = line[1:] if line[:1] == b"\xff" else line
        assert raw[:1] == b"\x53", f"no reply: {line.hex()}"
        size = raw[2] | raw[3] << 8
        raw = raw[:size]
        assert crc16(raw[:-2]) == raw[-2] | raw[-1] << 8, "bad CRC"
        ctrl = raw[4]
        scb = raw[5 : 5 + raw[5]] if ctrl & 0x08 else b""
        body = 5 + len(scb)
        end = size - 2 - (4 if scb[1:2] in (b"\x15", b"\x16", b"\x17", b"\x18") else 0)
        return cls(raw, raw[1], ctrl & 3, scb, raw[body], raw[body + 1 : end])


class Panel:
    """Talks to one PD through ``send`` (bytes to the line -> bytes the PD answered)."""

    def __init__(self, send: Callable[[bytes], bytes], address: int = 1) -> None:
        self.send = send
        self.address = address
        self.seq = 0  # the next command's sequence number
        self.r_mac = b""
        self.s_enc = self.s_mac1 = self.s_mac2 = b""

    def next_seq(self) -> int:
        seq = self.seq
        self.seq = seq % 3 + 1
        return seq

    def raw(self, line: bytes) -> Reply | None:
        """Send any bytes; the reply, or None when the PD stayed silent."""
        answer = self.send(line)
        return Reply.parse(answer) if answer else None

    def plain(self, cmd: int, data: bytes = b"", scb: bytes = b"") -> Reply:
        reply = self.raw(frame(self.address, self.next_seq(), cmd, data, scb))
        assert reply is not None, f"no reply to command {cmd:#x}"
        return reply

    def handshake(self, key: bytes = SCBK_D) -> Reply:
        """osdp_CHLNG, osdp_SCRYPT (annex D.3); returns the reply to osdp_SCRYPT."""
        number = 0 if key == SCBK_D else 1
        cp_random = os.urandom(8)
        ccrypt = self.plain(0x76, cp_random, bytes([3, 0x11, number]))
        if ccrypt.code != CCRYPT:
            return ccrypt
        pd_random, pd_crypt = ccrypt.data[8:16], ccrypt.data[16:32]
        derive = bytearray(16)
        derive[0], derive[2:8] = 0x01, cp_random[:6]
        keys = []
        for kind in (0x82, 0x01, 0x02):
            derive[1] = kind
            keys.append(_aes(key, bytes(derive)))
        self.s_enc, self.s_mac1, self.s_mac2 = keys
        assert _aes(self.s_enc, cp_random + pd_random) == pd_crypt, "PD cryptogram"
        cp_crypt = _aes(self.s_enc, pd_random + cp_random)
        reply = self.plain(0x77, cp_crypt, bytes([3, 0x13, number]))
        if reply.code == RMAC_I:
            self.r_mac = _aes(self.s_mac2, _aes(self.s_mac1, cp_crypt))
        return reply

    def secure(self, cmd: int, data: bytes = b"") -> Reply:
        """A command in the secure channel (SCS_15 / SCS_17); the reply's data decrypted."""
        payload = _aes(self.s_enc, _pad(data), _invert(self.r_mac)) if data else b""
        scb = bytes([2, 0x17 if data else 0x15])
        body = bytearray(frame(self.address, self.next_seq(), cmd, payload, scb)[1:-2])
        size = len(body) + 4 + 2
        body[2], body[3] = size & 0xFF, size >> 8
        c_mac = self._mac(bytes(body), self.r_mac)
        body += c_mac[:4]
        crc = crc16(bytes(body))
        reply = self.raw(b"\xff" + bytes(body) + bytes([crc & 0xFF, crc >> 8]))
        assert reply is not None, f"no reply to secure command {cmd:#x}"
        if reply.scb[1:2] not in (b"\x16", b"\x18"):
            return reply  # a NAK in plain text: the session is over
        self.r_mac = self._mac(reply.raw[: len(reply.raw) - 6], c_mac)
        assert self.r_mac[:4] == reply.raw[-6:-2], "reply MAC"
        if not reply.data:
            return reply
        plain = _aes(self.s_enc, reply.data, _invert(c_mac), decrypt=True).rstrip(b"\x00")
        return Reply(reply.raw, reply.address, reply.seq, reply.scb, reply.code, plain[:-1])

    def _mac(self, message: bytes, iv: bytes) -> bytes:
        if len(message) % 16:
            message = _pad(message)
        head, last = message[:-16], message[-16:]
        chain = _aes(self.s_mac1, head, iv)[-16:] if head else iv
        return _aes(self.s_mac2, bytes(a ^ b for a, b in zip(chain, last, strict=True)))
