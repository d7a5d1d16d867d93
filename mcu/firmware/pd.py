"""The OSDP v2.2 peripheral device: one command frame in, one reply frame out.

Only the handshake and identification (osdp_ID, osdp_CAP, osdp_CHLNG, osdp_SCRYPT) are
answered in plain text; everything else needs the secure channel, and nothing that moves
the door is done in a session made with the public install-mode key. osdp_SCRYPT is taken
only as the answer to the osdp_CHLNG just answered, once; at any other time it is refused
and the running session is left as it was. A packet that fails its MAC is refused, counted
and ends the session, as the standard asks.
"""

import events as ev
import maintenance
from keys import KeyDamaged
from link import checksum, crc16
from micropython import const
from sc import SCBK_D, Session
from transfer import DONE, Receiver
from version import VERSION

# commands
_POLL = const(0x60)
_ID = const(0x61)
_CAP = const(0x62)
_LSTAT = const(0x64)
_ISTAT = const(0x65)
_OSTAT = const(0x66)
_OUT = const(0x68)
_LED = const(0x69)
_BUZ = const(0x6A)
_KEYSET = const(0x75)
_CHLNG = const(0x76)
_SCRYPT = const(0x77)
_FILETRANSFER = const(0x7C)
_MFG = const(0x80)
# replies
_ACK = const(0x40)
_NAK = const(0x41)
_PDID = const(0x45)
_PDCAP = const(0x46)
_LSTATR = const(0x48)
_ISTATR = const(0x49)
_OSTATR = const(0x4A)
_CCRYPT = const(0x76)
_RMAC_I = const(0x78)
_FTSTAT = const(0x7A)
_MFGREP = const(0x90)
# NAK reasons (OSDP 2.2 section 7.3)
_NAK_CMD_LEN = const(2)
_NAK_UNKNOWN = const(3)
_NAK_SEQ = const(4)
_NAK_SC_UNSUP = const(5)
_NAK_SC_COND = const(6)
_NAK_RECORD = const(9)

_CTRL_CRC = const(4)
_CTRL_SCB = const(8)
_BROADCAST = const(0x7F)
_BATCH = const(8)  # event records per reply
_KEY_STATE = {"missing": 0, "ok": 1, "install": 2, "damaged": 3}  # values of ev.KEY
_MFG_MAINTENANCE = const(1)  # osdp_MFG command: restart into a maintenance boot

VENDOR = b"\x4b\x43\x4b"  # private vendor code carried by our osdp_MFGREP event replies
_PLAIN_OK = (_ID, _CAP)
_INSTALL_OK = (_POLL, _ID, _CAP, _LSTAT, _ISTAT, _OSTAT, _KEYSET)
_CAPS = bytes(
    (
        1, 1, 4,  # contact status monitoring: door, exit button, tamper, fire
        2, 3, 2,  # output control: the relay and output 1, on/off and timed (section 7.5)
        4, 1, 1,  # reader LED control: LED 0, green and red (amber: both)
        5, 1, 1,  # buzzer
        8, 1, 0,  # CRC-16
        9, 1, 1,  # AES-128 secure channel, default key in install mode
        10, 0, 1,  # receive buffer: 256 bytes
    )
)  # fmt: skip


class Peripheral:
    """Answers the host's commands for the door, its signals and the secure channel."""

    def __init__(self, cfg, door, signals, events, keys, random, install_jumper, now):
        self.address = cfg.ADDRESS
        self.serial = cfg.SERIAL
        self.door = door
        self.signals = signals
        self.events = events
        self.keys = keys
        self.alarm = None  # output 1 (output.Output), when the board has one
        self.receiver = Receiver(cfg.UPDATE_MAX)
        self.maint_file = cfg.MAINT_FILE
        self.restart = False  # restart the board once the reply is sent
        self.staged = False  # a new firmware is staged: restart into it soon (controller.py)
        self.key_damaged = False
        try:
            self.scbk = keys.load()
        except KeyDamaged:  # fail secure: no session at all, and never install mode
            self.scbk = None
            self.key_damaged = True
        # Install mode (the public key SCBK-D, only to receive a key) needs no key file at
        # all and someone at the board: the install jumper held at boot.
        self.install_mode = self.scbk is None and not self.key_damaged and install_jumper
        if self._key_state() != "ok":
            events.push(ev.KEY, _KEY_STATE[self._key_state()], now)
        self.random = random
        self.sc = Session()
        self.out = bytearray(96)  # reply data before framing
        self.tx = bytearray(128)
        self.tx_len = 0
        self.signing = False  # the command passed its MAC check: the reply carries one
        self.encrypted = False  # ... and its data came encrypted
        self.seq = -1  # sequence number of the last command answered (-1: none since power-up)
        self.reply_address = self.address | 0x80
        self.reported = bytearray(4)  # input states the host last had in an osdp_ISTATR
        door.input_states(self.reported, 0)
        self.last_cmd = 0
        self.in_flight = 0  # event records sent in the last reply, not yet acknowledged
        self.mac_failures = 0
        self.decrypt_failures = 0  # MAC right, data block malformed: a broken host
        self.check_errors = 0
        self.refused = 0
        self.handshakes = 0

    def _key_state(self):
        if self.key_damaged:
            return "damaged"
        if self.install_mode:
            return "install"
        return "missing" if self.scbk is None else "ok"

    def handle(self, f, n, mark, now):
        """Answer the frame ``f[:n]``; returns the reply's length in ``tx`` (0: stay silent)."""
        self.signing = self.encrypted = False
        addr = f[1]
        if addr & 0x80 or ((addr & 0x7F) != self.address and addr != _BROADCAST):
            return 0  # another device's traffic on a shared bus
        # A reply to the broadcast address carries 0x7F, not our own (as libosdp's PD does).
        self.reply_address = addr | 0x80
        ctrl = f[4]
        end = n - 2 if ctrl & _CTRL_CRC else n - 1
        if ctrl & _CTRL_CRC:
            ok = crc16(f, 0, end) == f[end] | (f[end + 1] << 8)
        else:
            ok = checksum(f, 0, end) == f[end]
        if not ok:
            self.check_errors += 1
            return 0
        seq = ctrl & 3
        body = 5 + (f[5] if ctrl & _CTRL_SCB else 0)
        if body >= end:
            return self._nak(_NAK_CMD_LEN, seq, mark)
        cmd = f[body]
        if seq == 0:  # the host (re)starts the conversation
            self.sc.end()
            self.in_flight = 0
        elif self.seq < 0:  # the first command after our power-up carries sequence 0 (libosdp's
            # osdp_phy.c: a PD starts at -1 and accepts only 0 next)
            return self._nak(_NAK_SEQ, seq, mark)
        elif seq == self.seq and self.tx_len and cmd == self.last_cmd:
            return self.tx_len  # our reply was lost: the same bytes again
        elif seq != (self.seq % 3) + 1:
            self.sc.forget_challenge()
            return self._nak(_NAK_SEQ, seq, mark)
        if cmd != _SCRYPT:
            self.sc.forget_challenge()  # osdp_SCRYPT answers only the CHLNG just answered
        scs = f[6] if ctrl & _CTRL_SCB else 0
        secure = scs in (0x15, 0x17)
        stop = end
        if secure:
            if not self.sc.active:
                return self._nak(_NAK_SC_COND, seq, mark)
            stop = end - 4
            if stop <= body or not self.sc.check_mac(f, stop, stop):
                self.mac_failures += 1
                return self._auth_failed(seq, mark, now)
            if scs == 0x17:
                plain = self.sc.decrypt(f, body + 1, stop)
                if plain < 0:
                    self.decrypt_failures += 1
                    return self._auth_failed(seq, mark, now)
                stop = body + 1 + plain
            self.signing = True
            self.encrypted = scs == 0x17
            self.events.drop(self.in_flight)  # the host has the last reply
            self.in_flight = 0
            if not self.sc.default_key:  # anyone can make an install-mode session
                self.door.host_alive(now)
        elif not ((scs == 0x11 and cmd == _CHLNG) or (scs == 0x13 and cmd == _SCRYPT)) and (
            scs or self.sc.active or cmd not in _PLAIN_OK
        ):
            return self._nak(_NAK_SC_COND, seq, mark)
        if secure and self.sc.default_key and cmd not in _INSTALL_OK:
            return self._nak(_NAK_SC_COND, seq, mark)
        self.seq = seq
        self.last_cmd = cmd
        return self._command(cmd, f, body + 1, stop, seq, mark, now)

    def too_long(self, f, intact, mark):
        """A frame longer than our receive buffer (osdp_PDCAP function 10), header in ``f``.

        Addressed to us (not broadcast), it is answered osdp_NAK "command length" (OSDP
        2.2.2 section 5.6). Its MAC cannot be checked, so a secure session ends with it.
        """
        if not intact:
            self.check_errors += 1
            return 0
        if f[1] != self.address:
            return 0
        self.signing = self.encrypted = False
        self.sc.end()
        self.in_flight = 0
        self.reply_address = self.address | 0x80
        return self._nak(_NAK_CMD_LEN, f[4] & 3, mark)

    def _command(self, cmd, f, at, stop, seq, mark, now):
        size = stop - at
        out = self.out
        if cmd == _POLL:
            n = self.door.input_states(out, 0)
            if out[:n] != self.reported:  # an input changed: osdp_ISTATR (section 7.7) first
                self.reported[:] = out[:n]
                return self._reply(_ISTATR, n, seq, mark)
            if self.events.count:
                out[0:3] = VENDOR
                n = self.events.copy_out(_BATCH, out, 3)
                self.in_flight = n // ev.RECORD
                return self._reply(_MFGREP, 3 + n, seq, mark)
            return self._reply(_ACK, 0, seq, mark)
        if cmd == _ID:
            out[0:3] = VENDOR
            out[3] = 1  # model
            out[4] = 1  # version
            for i in range(4):
                out[5 + i] = (self.serial >> (8 * i)) & 0xFF
            out[9:12] = bytes(VERSION)  # firmware major, minor, build
            return self._reply(_PDID, 12, seq, mark)
        if cmd == _CAP:
            out[: len(_CAPS)] = _CAPS
            if self.alarm is None:
                out[5] = 1  # function 2's count: the relay alone
            return self._reply(_PDCAP, len(_CAPS), seq, mark)
        if cmd == _LSTAT:
            out[0] = 1 if self.door.tamper.active else 0
            out[1] = 0  # power: no monitoring of the supply
            return self._reply(_LSTATR, 2, seq, mark)
        if cmd == _ISTAT:
            n = self.door.input_states(out, 0)
            self.reported[:] = out[:n]
            return self._reply(_ISTATR, n, seq, mark)
        if cmd == _OSTAT:
            return self._reply(_OSTATR, self._output_states(), seq, mark)
        if cmd == _OUT:
            return self._output(f, at, size, seq, mark, now)
        if cmd == _LED:
            if size == 0 or size % 14:
                return self._nak(_NAK_CMD_LEN, seq, mark)
            for r in range(at, stop, 14):
                if f[r] or f[r + 1]:  # reader 0, LED 0 is all there is
                    return self._nak(_NAK_RECORD, seq, mark)
            for r in range(at, stop, 14):
                self.signals.led.command(f, r, now)
            return self._reply(_ACK, 0, seq, mark)
        if cmd == _BUZ:
            if size != 5:
                return self._nak(_NAK_CMD_LEN, seq, mark)
            self.signals.buzz(f[at + 1], f[at + 2], f[at + 3], f[at + 4], now)
            return self._reply(_ACK, 0, seq, mark)
        if cmd == _KEYSET:
            return self._keyset(f, at, size, seq, mark, now)
        if cmd == _CHLNG:
            return self._challenge(f, at, size, seq, mark)
        if cmd == _SCRYPT:
            return self._confirm(f, at, size, seq, mark, now)
        if cmd == _MFG:
            return self._manufacturer(f, at, size, seq, mark)
        if cmd == _FILETRANSFER:
            return self._file_transfer(f, at, size, seq, mark)
        return self._nak(_NAK_UNKNOWN, seq, mark)

    def _file_transfer(self, f, at, size, seq, mark):
        # A firmware bundle (transfer.py). Like every command but ID and CAP it only gets
        # here inside a secure session, and not in one made with SCBK-D.
        if size < 11 or size != 11 + (f[at + 9] | f[at + 10] << 8):
            return self._nak(_NAK_CMD_LEN, seq, mark)
        total = f[at + 1] | f[at + 2] << 8 | f[at + 3] << 16 | f[at + 4] << 24
        offset = f[at + 5] | f[at + 6] << 8 | f[at + 7] << 16 | f[at + 8] << 24
        data = memoryview(f)[at + 11 : at + size]
        status = self.receiver.fragment(f[at], total, offset, data)
        if status == DONE:
            self.staged = True
        out = self.out
        out[0] = 1  # FtAction: other commands may come between fragments
        out[1] = out[2] = 0  # FtDelay: none
        out[3] = status & 0xFF
        out[4] = (status >> 8) & 0xFF
        out[5] = out[6] = 0  # FtUpdateMsgMax: no change
        return self._reply(_FTSTAT, 7, seq, mark)

    def _output(self, f, at, size, seq, mark, now):
        if size == 0 or size % 4:
            return self._nak(_NAK_CMD_LEN, seq, mark)
        last = 0 if self.alarm is None else 1
        for r in range(at, at + size, 4):
            if f[r] > last or f[r + 1] > 6:  # outputs 0 (relay) and 1; control codes 0..6
                return self._nak(_NAK_RECORD, seq, mark)
        for r in range(at, at + size, 4):
            ms = (f[r + 2] | (f[r + 3] << 8)) * 100
            if f[r] == 0:
                self.door.output(f[r + 1], ms, now)
            elif self.alarm is not None:
                self.alarm.command(f[r + 1], ms, now)
        return self._reply(_OSTATR, self._output_states(), seq, mark)

    def _output_states(self):
        """osdp_OSTATR's data in ``out``: one byte a output; returns its length."""
        self.out[0] = 1 if self.door.on else 0
        if self.alarm is None:
            return 1
        self.out[1] = 1 if self.alarm.on else 0
        return 2

    def _manufacturer(self, f, at, size, seq, mark):
        # osdp_MFG: our vendor code and one command byte. Like every command but ID and CAP
        # it only gets here inside a secure session, and not in one made with SCBK-D.
        if size != 4 or f[at : at + 3] != VENDOR or f[at + 3] != _MFG_MAINTENANCE:
            return self._nak(_NAK_RECORD, seq, mark)
        maintenance.request(self.maint_file)
        self.restart = True
        return self._reply(_ACK, 0, seq, mark)

    def _keyset(self, f, at, size, seq, mark, now):
        """A new SCBK: in install mode, or to rotate the key in a session made with it."""
        if size != 18 or f[at] != 1 or f[at + 1] != 16:
            return self._nak(_NAK_CMD_LEN, seq, mark)
        key = bytes(f[at + 2 : at + 18])
        allowed = self.install_mode if self.sc.default_key else self.scbk is not None
        if not (allowed and self.encrypted and key != SCBK_D):
            self.refused += 1
            return self._nak(_NAK_SC_COND, seq, mark)
        self.keys.save(key)
        self.scbk = key
        self.install_mode = False
        self.events.push(ev.KEY, _KEY_STATE["ok"], now)
        n = self._reply(_ACK, 0, seq, mark)
        self.sc.end()  # the host starts a new session with the new key; the old one is gone
        return n

    def _challenge(self, f, at, size, seq, mark):
        if size != 8:
            return self._nak(_NAK_CMD_LEN, seq, mark)
        self.handshakes += 1
        default_key = f[7] == 0
        key = SCBK_D if default_key else self.scbk
        if key is None or (default_key and not self.install_mode):
            self.refused += 1
            return self._nak(_NAK_SC_COND, seq, mark)
        pd_random = self.random(8)
        crypt = self.sc.challenge(key, f[at : at + 8], pd_random, default_key)
        out = self.out
        out[0:3] = VENDOR
        out[3] = 1
        for i in range(4):
            out[4 + i] = (self.serial >> (8 * i)) & 0xFF
        out[8:16] = pd_random
        out[16:32] = crypt
        return self._reply(_CCRYPT, 32, seq, mark, 0x12, 0 if default_key else 1)

    def _confirm(self, f, at, size, seq, mark, now):
        if size != 16:
            return self._nak(_NAK_CMD_LEN, seq, mark)
        if not self.sc.pending:  # replayed, or out of turn: the session stays as it was
            self.refused += 1
            self.events.push(ev.AUTH, 2, now)
            return self._nak(_NAK_SC_COND, seq, mark)
        rmac = self.sc.confirm(f[at : at + 16])
        if rmac is None:
            self.refused += 1
            self.events.push(ev.AUTH, 2, now)
            return self._nak(_NAK_SC_UNSUP, seq, mark)
        self.out[0:16] = rmac
        return self._reply(_RMAC_I, 16, seq, mark, 0x14, 1)  # a handshake reply: no MAC

    def _auth_failed(self, seq, mark, now):
        self.in_flight = 0
        self.sc.end()
        self.events.push(ev.AUTH, 1, now)
        return self._nak(_NAK_SC_COND, seq, mark)

    def _nak(self, reason, seq, mark):
        self.out[0] = reason
        if self.seq >= 0 or seq == 0:  # before the host's first 0, nothing moves the count on
            self.seq = seq
        self.last_cmd = 0  # a NAK is never re-sent for a repeated sequence number
        return self._reply(_NAK, 1, seq, mark)

    def _reply(self, code, n, seq, mark, scs=0, scb_param=0):
        t = self.tx
        s = 1 if mark else 0
        t[0] = 0xFF
        t[s] = 0x53
        t[s + 1] = self.reply_address
        ctrl = seq | _CTRL_CRC
        p = s + 5
        # A reply MAC continues the chain of the command's MAC: an unauthenticated command
        # (refused) gets a plain reply and leaves a running session's chain untouched.
        secure = self.signing and self.sc.active
        if scs:
            ctrl |= _CTRL_SCB
            t[p], t[p + 1], t[p + 2] = 3, scs, scb_param
            p += 3
        elif secure:
            ctrl |= _CTRL_SCB
            t[p], t[p + 1] = 2, 0x18 if n else 0x16
            p += 2
        t[p] = code
        p += 1
        t[p : p + n] = self.out[:n]
        end = p + n
        if secure and not scs and n:
            end = self.sc.encrypt(t, p, end)
        total = end - s + (4 if secure and not scs else 0) + 2
        t[s + 2] = total & 0xFF
        t[s + 3] = total >> 8
        t[s + 4] = ctrl
        if secure and not scs:
            self.sc.sign(memoryview(t)[s:], end - s)
            end += 4
        crc = crc16(t, s, end)
        t[end] = crc & 0xFF
        t[end + 1] = crc >> 8
        self.tx_len = end + 2
        return self.tx_len
