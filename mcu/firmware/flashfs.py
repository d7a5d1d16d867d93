"""Files on the board's flash that must survive a power cut whole: write, sync, rename."""

import os


def write_atomic(path, data):
    """After a power cut ``path`` holds its old contents or ``data``, never half of either."""
    tmp = path + ".new"
    with open(tmp, "wb" if isinstance(data, (bytes, bytearray)) else "w") as f:
        f.write(data)
        f.flush()
    sync()
    os.rename(tmp, path)
    sync()


def sync():
    sync = getattr(os, "sync", None)  # rp2 has it; a filesystem without one syncs on close
    if sync:
        sync()


def remove(path):
    """Delete ``path`` if it is there."""
    try:  # noqa: SIM105 -- MicroPython has no contextlib
        os.remove(path)
    except OSError:
        pass
