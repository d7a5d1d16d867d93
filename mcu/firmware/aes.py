"""AES-128 in plain Python, with the interface of MicroPython's ``cryptolib.aes`` (ECB only).

Used where the interpreter lacks ``cryptolib`` (the WebAssembly build the tests run in);
a board's firmware has ``cryptolib`` and never imports this. Like cryptolib, one object
does either encryption or decryption: the inverse key schedule is made on first decrypt.
"""

from micropython import const

MODE_ECB = const(1)

_SBOX = bytes.fromhex(
    "637c777bf26b6fc53001672bfed7ab76ca82c97dfa5947f0add4a2af9ca472c0"
    "b7fd9326363ff7cc34a5e5f171d8311504c723c31896059a071280e2eb27b275"
    "09832c1a1b6e5aa0523bd6b329e32f8453d100ed20fcb15b6acbbe394a4c58cf"
    "d0efaafb434d338545f9027f503c9fa851a3408f929d38f5bcb6da2110fff3d2"
    "cd0c13ec5f974417c4a77e3d645d197360814fdc222a908846eeb814de5e0bdb"
    "e0323a0a4906245cc2d3ac629195e479e7c8376d8dd54ea96c56f4ea657aae08"
    "ba78252e1ca6b4c6e8dd741f4bbd8b8a703eb5664803f60e613557b986c11d9e"
    "e1f8981169d98e949b1e87e9ce5528df8ca1890dbfe6426841992d0fb054bb16"
)
_INV = bytearray(256)
for _i in range(256):
    _INV[_SBOX[_i]] = _i
_RCON = b"\x01\x02\x04\x08\x10\x20\x40\x80\x1b\x36"


def _xtime(a):
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a = _xtime(a)
        b >>= 1
    return r


def _expand(key):
    w = bytearray(176)
    w[:16] = key
    for i in range(16, 176, 4):
        t0, t1, t2, t3 = w[i - 4], w[i - 3], w[i - 2], w[i - 1]
        if i % 16 == 0:
            t0, t1, t2, t3 = _SBOX[t1] ^ _RCON[i // 16 - 1], _SBOX[t2], _SBOX[t3], _SBOX[t0]
        w[i] = w[i - 16] ^ t0
        w[i + 1] = w[i - 15] ^ t1
        w[i + 2] = w[i - 14] ^ t2
        w[i + 3] = w[i - 13] ^ t3
    return w


def _encrypt(w, s):
    for i in range(16):
        s[i] ^= w[i]
    for rnd in range(1, 11):
        # SubBytes and ShiftRows in one pass (state is column-major).
        t = bytearray(16)
        for c in range(4):
            for r in range(4):
                t[4 * c + r] = _SBOX[s[4 * ((c + r) % 4) + r]]
        if rnd < 10:
            for c in range(0, 16, 4):
                a0, a1, a2, a3 = t[c], t[c + 1], t[c + 2], t[c + 3]
                x = a0 ^ a1 ^ a2 ^ a3
                t[c] = a0 ^ x ^ _xtime(a0 ^ a1)
                t[c + 1] = a1 ^ x ^ _xtime(a1 ^ a2)
                t[c + 2] = a2 ^ x ^ _xtime(a2 ^ a3)
                t[c + 3] = a3 ^ x ^ _xtime(a3 ^ a0)
        k = 16 * rnd
        for i in range(16):
            s[i] = t[i] ^ w[k + i]


def _decrypt(w, s):
    for i in range(16):
        s[i] ^= w[160 + i]
    for rnd in range(9, -1, -1):
        t = bytearray(16)
        for c in range(4):
            for r in range(4):
                t[4 * ((c + r) % 4) + r] = _INV[s[4 * c + r]]
        k = 16 * rnd
        for i in range(16):
            t[i] ^= w[k + i]
        if rnd > 0:
            for c in range(0, 16, 4):
                a0, a1, a2, a3 = t[c], t[c + 1], t[c + 2], t[c + 3]
                t[c] = _mul(a0, 14) ^ _mul(a1, 11) ^ _mul(a2, 13) ^ _mul(a3, 9)
                t[c + 1] = _mul(a0, 9) ^ _mul(a1, 14) ^ _mul(a2, 11) ^ _mul(a3, 13)
                t[c + 2] = _mul(a0, 13) ^ _mul(a1, 9) ^ _mul(a2, 14) ^ _mul(a3, 11)
                t[c + 3] = _mul(a0, 11) ^ _mul(a1, 13) ^ _mul(a2, 9) ^ _mul(a3, 14)
        s[:] = t


class aes:
    """``aes(key, 1)``: AES-128-ECB; ``encrypt(src, dst=None)``, ``decrypt(src, dst=None)``."""

    def __init__(self, key, mode):
        if len(key) != 16 or mode != MODE_ECB:
            raise ValueError("only AES-128 in ECB mode")
        self._w = _expand(key)

    def encrypt(self, src, dst=None):
        return self._run(_encrypt, src, dst)

    def decrypt(self, src, dst=None):
        return self._run(_decrypt, src, dst)

    def _run(self, fn, src, dst):
        out = bytearray(len(src)) if dst is None else dst
        block = bytearray(16)
        for off in range(0, len(src), 16):
            block[:] = src[off : off + 16]
            fn(self._w, block)
            out[off : off + 16] = block
        return bytes(out) if dst is None else None
