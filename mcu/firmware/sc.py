"""OSDP secure channel, peripheral side: session keys, cryptograms, MACs, AES-128-CBC.

The session is set up by the host's osdp_CHLNG / osdp_SCRYPT handshake from the
secure channel base key (SCBK); each packet after that carries a MAC chained over every
earlier packet, so a replayed, reordered or forged packet fails its MAC check. A challenge
is confirmed at most once: its random numbers are wiped when it is used or abandoned, so a
recorded osdp_SCRYPT can never restart a MAC chain that a recording continues.
``cryptolib`` does the AES on the board; ``aes.py`` where the interpreter lacks it.
"""

from micropython import const

try:
    from cryptolib import aes
except ImportError:
    from aes import aes  # type: ignore[assignment]

_ECB = const(1)
SCBK_D = b"0123456789:;<=>?"  # the default key of install mode (OSDP 2.2, appendix D)


def _ecb(key, data):
    return aes(key, _ECB).encrypt(data)


class Session:
    """One secure channel session; ``active`` once the handshake has finished."""

    def __init__(self):
        self.active = False
        self.pending = False  # a challenge answered, its osdp_SCRYPT not yet seen
        self.default_key = False  # session made with SCBK-D (install mode)
        self.cp_random = bytearray(8)
        self.pd_random = bytearray(8)
        self.r_mac = bytearray(16)
        self.c_mac = bytearray(16)
        self.block = bytearray(16)
        self._enc = self._dec = self._mac1 = self._mac2 = None
        self._s_enc = b""

    def end(self):
        self.active = False
        self.default_key = False
        self._enc = self._dec = self._mac1 = self._mac2 = None
        self.forget_challenge()

    def forget_challenge(self):
        """Drop an unconfirmed challenge: its cryptogram can never be confirmed afterwards."""
        self.pending = False
        _wipe(self.cp_random)
        _wipe(self.pd_random)

    def challenge(self, scbk, cp_random, pd_random, default_key):
        """osdp_CHLNG: derive the session keys; return the PD cryptogram (16 bytes)."""
        self.end()
        self.default_key = default_key
        self.cp_random[:] = cp_random
        self.pd_random[:] = pd_random
        d = bytearray(16)
        d[2:8] = cp_random[:6]
        d[0], d[1] = 0x01, 0x82
        self._s_enc = _ecb(scbk, d)
        d[1] = 0x01
        s_mac1 = _ecb(scbk, d)
        d[1] = 0x02
        s_mac2 = _ecb(scbk, d)
        self._enc = aes(self._s_enc, _ECB)
        self._dec = aes(self._s_enc, _ECB)
        self._mac1 = aes(s_mac1, _ECB)
        self._mac2 = aes(s_mac2, _ECB)
        self.pending = True
        return _ecb(self._s_enc, bytes(cp_random) + bytes(pd_random))

    def confirm(self, cp_cryptogram):
        """osdp_SCRYPT: check the host's cryptogram; on success return R-MAC-I, else None.

        Only the challenge just answered can be confirmed, and only once; without one
        (a session running, no challenge, or this one confirmed already) nothing changes.
        """
        if not self.pending or self._mac1 is None or self._mac2 is None:
            return None
        want = _ecb(self._s_enc, bytes(self.pd_random) + bytes(self.cp_random))
        self.forget_challenge()
        if not _equal(want, cp_cryptogram):
            self.end()
            return None
        self._mac1.encrypt(bytes(cp_cryptogram), self.r_mac)
        self._mac2.encrypt(bytes(self.r_mac), self.r_mac)
        self.active = True
        return self.r_mac

    def check_mac(self, frame, end, mac):
        """True when the 4 bytes at ``mac`` are the MAC of ``frame[:end]`` (a command)."""
        self._mac(frame, end, self.r_mac, self.c_mac)
        return _equal(memoryview(self.c_mac)[:4], memoryview(frame)[mac : mac + 4])

    def sign(self, frame, end):
        """Append the reply's MAC at ``frame[end:end + 4]``."""
        self._mac(frame, end, self.c_mac, self.r_mac)
        frame[end : end + 4] = self.r_mac[:4]

    def decrypt(self, frame, start, end):
        """Decrypt a command's data block in place; its plain length, or -1 if malformed."""
        n = end - start
        if n <= 0 or n % 16:
            return -1
        iv = bytearray(16)
        for i in range(16):
            iv[i] = ~self.r_mac[i] & 0xFF
        dec = self._dec
        assert dec is not None, "no session"
        b = self.block
        for off in range(start, end, 16):
            b[:] = frame[off : off + 16]
            dec.decrypt(bytes(b), b)
            for i in range(16):
                b[i] ^= iv[i]
            iv[:] = frame[off : off + 16]
            frame[off : off + 16] = b
        i = end - 1
        while i > start and frame[i] == 0:
            i -= 1
        return i - start if frame[i] == 0x80 else -1

    def encrypt(self, frame, start, end):
        """Pad and encrypt a reply's data block in place; returns the new end."""
        frame[end] = 0x80
        stop = start + ((end - start) // 16 + 1) * 16
        for i in range(end + 1, stop):
            frame[i] = 0
        enc = self._enc
        assert enc is not None, "no session"
        b = self.block
        for i in range(16):
            b[i] = ~self.c_mac[i] & 0xFF
        for off in range(start, stop, 16):
            for i in range(16):
                b[i] ^= frame[off + i]
            enc.encrypt(bytes(b), b)
            frame[off : off + 16] = b
        return stop

    def _mac(self, frame, end, iv, out):
        mac1, mac2 = self._mac1, self._mac2
        assert mac1 is not None and mac2 is not None, "no session"
        b = self.block
        b[:] = iv
        off = 0
        while end - off > 16:
            for i in range(16):
                b[i] ^= frame[off + i]
            mac1.encrypt(bytes(b), b)
            off += 16
        rest = end - off
        for i in range(rest):
            b[i] ^= frame[off + i]
        if rest < 16:
            b[rest] ^= 0x80
        mac2.encrypt(bytes(b), out)


def _wipe(buf):
    for i in range(len(buf)):
        buf[i] = 0


def _equal(a, b):
    """Compare in constant time (a MAC check must not leak how many bytes matched)."""
    d = 0
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    return d == 0 and len(a) == len(b)
