"""A small OSDP control panel written from the OSDP 2.2 text, not libosdp, for the firmware tests.

It builds every frame byte by byte (any address, sequence number or length, which libosdp
never would; CRC-16; the secure channel of annex D: the osdp_CHLNG / osdp_SCRYPT handshake,
session keys, AES-128-CBC data blocks and the chained CBC-MAC), keeps every command it built
so a test can record a session and replay or alter any part of it, and checks every reply
(CRC, reply address and, in a session, MAC and padding).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from drivers.gate_osdp_sim import FirmwareVm
from tests.mcu_support import crc16, with_seq

SCBK_D = b"0123456789:;<=>?"  # OSDP 2.2 annex D: the install-mode default key

POLL, ID, CAP, LSTAT, OUT, LED, BUZ, KEYSET, CHLNG, SCRYPT, FILETRANSFER, MFG = (
    0x60, 0x61, 0x62, 0x64, 0x68, 0x69, 0x6A, 0x75, 0x76, 0x77, 0x7C, 0x80,
)  # fmt: skip
ACK, NAK, PDID, PDCAP, ISTATR, OSTATR, CCRYPT, RMAC_I, FTSTAT, MFGREP = (
    0x40, 0x41, 0x45, 0x46, 0x49, 0x4A, 0x76, 0x78, 0x7A, 0x90,
)  # fmt: skip


def _aes(key: bytes, data: bytes, iv: bytes | None = None, decrypt: bool = False) -> bytes:
    """AES-128: ECB for one block without ``iv``, CBC with it."""
    mode = modes.ECB() if iv is None else modes.CBC(iv)
    cipher = Cipher(algorithms.AES(key), mode)
    op = cipher.decryptor() if decrypt else cipher.encryptor()
    return op.update(data) + op.finalize()


def _pad(data: bytes) -> bytes:
    data += b"\x80"
    return data + bytes(-len(data) % 16)


def _invert(block: bytes) -> bytes:
    return bytes(~b & 0xFF for b in block)


def frame(
    address: int,
    seq: int,
    cmd: int,
    data: bytes = b"",
    scb: bytes = b"",
    sign: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """A command frame, 0xFF mark first, with its CRC-16 (OSDP 2.2 section 5.2).

    ``sign``: the MAC of the frame so far (secure channel); its first 4 bytes go in.
    """
    body = bytearray([0x53, address, 0, 0, seq | 0x04 | (0x08 if scb else 0)])
    body += scb + bytes([cmd]) + data
    size = len(body) + (4 if sign else 0) + 2
    body[2], body[3] = size & 0xFF, size >> 8
    if sign:
        body += sign(bytes(body))[:4]
    crc = crc16(bytes(body))
    return b"\xff" + bytes(body) + bytes([crc & 0xFF, crc >> 8])


@dataclass(frozen=True)
class Reply:
    """One reply frame, split into its fields (data decrypted when it came encrypted)."""

    raw: bytes  # from SOM, without the mark byte
    address: int
    seq: int
    scb: bytes
    code: int
    data: bytes

    @property
    def nak_reason(self) -> int | None:
        return self.data[0] if self.code == NAK else None


class Panel:
    """A control panel for one PD: ``send`` puts bytes on the line and returns what the PD
    answered; ``key`` is the secure channel base key it makes sessions with."""

    def __init__(
        self, send: Callable[[bytes], bytes], key: bytes = SCBK_D, address: int = 1
    ) -> None:
        self.send = send
        self.key = key
        self.address = address
        self.seq = 0  # the next command's sequence number
        self.sent: list[bytes] = []  # every command frame built, in order
        self.s_enc = self.s_mac1 = self.s_mac2 = b""
        self.r_mac = b""  # MAC of the last reply: the next command's MAC starts from it
        self.c_mac = b""  # MAC of the last command: the reply's MAC starts from it
        self.cp_random = b""  # RND.A of the last challenge
        self.cp_crypt = b""

    @classmethod
    def on(cls, vm: FirmwareVm, key: bytes = SCBK_D, step_ms: int = 10) -> Panel:
        """A panel on the simulated board's line: each command gets ``step_ms`` to answer."""
        return cls(lambda line: vm.advance(step_ms, rx=line), key)

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
        """The next command frame (kept in ``sent``); MAC'd, data encrypted, when ``secure``."""
        sign = None
        if secure:
            encrypt = encrypt and bool(data)
            scb = bytes([2, 0x17 if encrypt else 0x15])
            if encrypt:
                data = _aes(self.s_enc, _pad(data), _invert(self.r_mac))
            sign = self._sign
        line = frame(self.address, self.seq, cmd, data, scb, sign)
        self.sent.append(line)
        self.seq = self.seq % 3 + 1
        return line

    def parse(self, line: bytes, address: int | None = None) -> Reply:
        """The PD's reply to a command for ``address`` (ours by default): CRC and reply
        address checked and, in a session, its MAC and padding; its data decrypted."""
        raw = line[1:] if line[:1] == b"\xff" else line
        assert raw[:1] == b"\x53" and len(raw) == (raw[2] | raw[3] << 8), f"no reply: {line.hex()}"
        assert crc16(raw[:-2]) == raw[-2] | raw[-1] << 8, "reply CRC"
        assert raw[1] == (self.address if address is None else address) | 0x80, "reply address"
        scb = raw[5 : 5 + raw[5]] if raw[4] & 0x08 else b""
        at = 5 + len(scb)
        end = len(raw) - 2
        if scb[1:2] in (b"\x16", b"\x18"):
            end -= 4
            mac = self._mac(raw[:end], self.c_mac)
            assert raw[end : end + 4] == mac[:4], "reply MAC"
            self.r_mac = mac
        data = raw[at + 1 : end]
        if scb[1:2] == b"\x18":
            plain = _aes(self.s_enc, data, _invert(self.c_mac), decrypt=True).rstrip(b"\x00")
            assert plain.endswith(b"\x80"), "reply padding"
            data = plain[:-1]
        return Reply(raw, raw[1], raw[4] & 3, scb, raw[at], data)

    # -- on the line ----------------------------------------------------------------------
    def raw(self, line: bytes) -> Reply | None:
        """Send any frame; the reply, or None when the PD stayed silent."""
        answer = self.send(line)
        return self.parse(answer, line[2] if line[:1] == b"\xff" else line[1]) if answer else None

    def exchange(self, line: bytes) -> Reply:
        """Send one frame; its reply, which must come."""
        reply = self.raw(line)
        assert reply is not None, f"no reply to {line.hex()}"
        return reply

    def plain(self, cmd: int, data: bytes = b"", scb: bytes = b"") -> Reply:
        return self.exchange(self.command(cmd, data, scb))

    def secure(self, cmd: int, data: bytes = b"") -> Reply:
        """A command in the secure channel (SCS_15 / SCS_17); the reply's data decrypted."""
        return self.exchange(self.command(cmd, data, secure=True))

    # -- the secure channel handshake --------------------------------------------------------
    def challenge(self, *, default_key: bool = False) -> bytes:
        """osdp_CHLNG with a fresh RND.A; derives the session keys from it."""
        return self._challenge(SCBK_D if default_key else self.key, default_key)

    def answer(self, reply: Reply, *, check: bool = True) -> bytes:
        """osdp_SCRYPT for the controller's osdp_CCRYPT (whose cryptogram it checks)."""
        assert reply.code == CCRYPT, f"expected osdp_CCRYPT, got {reply.code:#x}"
        pd_random, pd_crypt = reply.data[8:16], reply.data[16:32]
        if check:
            assert pd_crypt == _aes(self.s_enc, self.cp_random + pd_random), "PD cryptogram"
        self.cp_crypt = _aes(self.s_enc, pd_random + self.cp_random)
        return self.command(SCRYPT, self.cp_crypt, bytes([3, 0x13, reply.scb[2]]))

    def confirmed(self, reply: Reply) -> None:
        """Checks osdp_RMAC_I and starts the MAC chain from it."""
        assert reply.code == RMAC_I, f"expected osdp_RMAC_I, got {reply.code:#x}"
        expected = _aes(self.s_mac2, _aes(self.s_mac1, self.cp_crypt))
        assert reply.data == expected, "R-MAC-I"
        self.r_mac = expected

    def handshake(self, key: bytes | None = None) -> Reply:
        """osdp_CHLNG, osdp_SCRYPT (annex D.3) with ``key`` (default: the panel's; SCBK-D:
        install mode), at the current sequence number; returns the PD's last reply."""
        key = self.key if key is None else key
        ccrypt = self.exchange(self._challenge(key, key == SCBK_D))
        if ccrypt.code != CCRYPT:
            return ccrypt
        reply = self.exchange(self.answer(ccrypt))
        if reply.code == RMAC_I:
            self.confirmed(reply)
        return reply

    def open_session(self, *, default_key: bool = False) -> None:
        """The host (re)starts: sequence 0, osdp_ID, then the handshake, which must succeed."""
        self.seq = 0
        self.plain(ID, b"\x00")
        ccrypt = self.exchange(self.challenge(default_key=default_key))
        self.confirmed(self.exchange(self.answer(ccrypt)))

    def _challenge(self, key: bytes, default_key: bool) -> bytes:
        self.cp_random = os.urandom(8)
        derive = bytearray(16)
        derive[0], derive[2:8] = 0x01, self.cp_random[:6]
        keys = []
        for kind in (0x82, 0x01, 0x02):
            derive[1] = kind
            keys.append(_aes(key, bytes(derive)))
        self.s_enc, self.s_mac1, self.s_mac2 = keys
        return self.command(CHLNG, self.cp_random, bytes([3, 0x11, 0 if default_key else 1]))

    def _sign(self, body: bytes) -> bytes:
        self.c_mac = self._mac(body, self.r_mac)
        return self.c_mac

    def _mac(self, message: bytes, iv: bytes) -> bytes:
        if len(message) % 16:
            message = _pad(message)
        head, last = message[:-16], message[-16:]
        chain = _aes(self.s_mac1, head, iv)[-16:] if head else iv
        return _aes(self.s_mac2, bytes(a ^ b for a, b in zip(chain, last, strict=True)))


def pulse(panel: Panel) -> Reply:
    """osdp_OUT: output 0, timed pulse of 1 s."""
    return panel.secure(OUT, bytes([0, 5, 10, 0]))


def replay_frames(
    send: Callable[[bytes], object], last_seq: Callable[[], int], frames: list[bytes]
) -> None:
    """Send recorded frames as they were, steering the controller's sequence number first.

    A MAC covers the sequence number, so a MAC'd frame goes out with its own; any frame
    with the number before it (refused, but counted) makes the controller expect it next.
    ``last_seq``: the sequence number the controller answered last.
    """
    for line in frames:
        raw = line[1:] if line[:1] == b"\xff" else line
        seq = raw[4] & 3
        if seq and last_seq() % 3 + 1 != seq:
            plain_poll = bytes([0x53, raw[1], 8, 0, 0x04, POLL, 0, 0])  # no MAC: any seq will do
            send(with_seq(plain_poll, 3 if seq == 1 else seq - 1))
        send(line)
