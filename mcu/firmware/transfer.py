"""osdp_FILETRANSFER (OSDP 2.2 section 6.26): a firmware bundle received into update.bin.

Fragments must come in order, each from where the last one ended; offset 0 starts again.
The bundle is only written to its own file while it arrives: nothing runs from it, and the
door's rules run on between fragments. When the last byte is in, the bundle is checked
(bundle.check) against what the board runs; a good one is staged for the next boot
(slots.stage), a bad one is deleted. A transfer that stops half-way changes nothing.
"""

import bundle
import slots
from flashfs import remove
from micropython import const

FIRMWARE = const(1)  # FtType of a firmware bundle (the kiosk's file id)
# osdp_FTSTAT FtStatusDetail
PROCEED = const(0)
DONE = const(1)  # the file was processed: the board restarts into it (after this reply)
ABORT = const(-1)
UNKNOWN = const(-2)  # a file type we do not take
INVALID = const(-3)  # data out of order, too big, or a bundle that failed its check


class Receiver:
    """One transfer at a time into ``slots.STAGED``; ``limit``: the largest bundle taken."""

    def __init__(self, limit):
        self.limit = limit
        self.file = None
        self.size = 0
        self.got = 0

    def fragment(self, ftype, size, offset, data):
        """Take one fragment; its FtStatusDetail."""
        try:
            return self._take(ftype, size, offset, data)
        except OSError:  # the flash is full or failing: the running firmware stays
            return self.abort(ABORT)

    def _take(self, ftype, size, offset, data):
        if ftype != FIRMWARE:
            return UNKNOWN
        if offset == 0 and len(data):
            self._start(size)
        elif size != self.size or offset != self.got:
            return self.abort(INVALID)
        file = self.file
        if file is None or size <= 0 or size > self.limit or self.got + len(data) > size:
            return self.abort(INVALID)
        file.write(data)
        self.got += len(data)
        if self.got < size:
            return PROCEED
        file.close()
        self.file = None
        try:
            bundle.check(slots.STAGED, slots.running())
        except bundle.BundleError:
            return self.abort(INVALID)
        slots.stage()
        return DONE

    def abort(self, status):
        """Drop the transfer and its file; returns ``status``."""
        if self.file is not None:
            self.file.close()
            self.file = None
        self.got = self.size = 0
        remove(slots.STAGED)
        return status

    def _start(self, size):
        if self.file is not None:
            self.file.close()
        self.file = open(slots.STAGED, "wb")  # noqa: SIM115 -- open across fragments
        self.size = size
        self.got = 0
