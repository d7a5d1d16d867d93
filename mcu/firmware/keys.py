"""The secure channel base key (SCBK), kept as 32 hex digits in a file on the board."""

import os


class KeyFile:
    """Loads and atomically replaces the key file; no file means install mode."""

    def __init__(self, path):
        self.path = path

    def load(self):
        try:
            with open(self.path) as f:
                text = f.read().strip()
        except OSError:
            return None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            return None
        return key if len(key) == 16 else None

    def save(self, key):
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            f.write(key.hex())
        os.rename(tmp, self.path)
