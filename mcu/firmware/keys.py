"""The secure channel base key (SCBK), kept as 32 hex digits in a file on the board.

No file at all is the only way into install mode (and then only with the install jumper
held at boot). A file that is there but does not hold a key (empty, truncated, not hex,
unreadable) is damage, not absence: the board must not fall back to taking a new key.
"""

import os

from flashfs import write_atomic


class KeyDamaged(ValueError):
    """The key file exists but does not hold a 128-bit key."""


class KeyFile:
    """Loads and atomically replaces the key file."""

    def __init__(self, path):
        self.path = path

    def load(self):
        """The key; None when there is no key file; KeyDamaged when it is unusable."""
        if not self.exists():
            return None
        try:
            with open(self.path) as f:
                text = f.read().strip()
        except OSError:
            raise KeyDamaged("key file unreadable") from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise KeyDamaged("key file is not hex") from None
        if len(key) != 16:
            raise KeyDamaged("key file does not hold 16 bytes")
        return key

    def exists(self):
        """Whether the file is listed; a folder that cannot be listed counts as damage."""
        # Asked of the listing, not of open()'s errno: ports number ENOENT differently.
        i = self.path.rfind("/")
        try:
            names = os.listdir(self.path[:i] or "/") if i >= 0 else os.listdir()
            return self.path[i + 1 :] in names
        except OSError:
            raise KeyDamaged("key folder unreadable") from None

    def save(self, key):
        """Write, sync, rename: after a power cut the file holds the old key or the new one."""
        write_atomic(self.path, key.hex())
