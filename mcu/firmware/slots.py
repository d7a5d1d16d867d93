"""Which firmware runs: the boot selector's state, kept in ``slots.json`` on the flash.

The firmware ``kiosk mcu flash`` copied sits at the top of the flash (slot ""); updates
received over OSDP go into one of two folders, ``fw_a`` and ``fw_b``, never the one that
runs. The state moves on only by whole-file replacement (flashfs.write_atomic), so a power
cut at any moment leaves one of these:

    {"slot": S}                            run S
    {"slot": S, "stage": T}                a checked bundle waits in update.bin: install it
                                           into T, then try T
    {"slot": S, "trial": T, "tries": 0}    T is installed: boot it once, on trial
    {"slot": S, "trial": T, "tries": 1}    T had its boot and never reached the host: run S

A trial firmware is committed (``commit``: {"slot": T}) once the host has spoken to it in a
secure session; until then S stays on the board, and any other way out of the trial boot
(an exception, the watchdog, a reset, a power cut, no session within TRIAL_MS) runs S next.
"""

import json

import bundle
from flashfs import remove, write_atomic

STATE = "slots.json"
STAGED = "update.bin"  # the bundle as received over OSDP
FOLDERS = ("fw_a", "fw_b")
_SLOTS = ("", "fw_a", "fw_b")  # the top of the flash and FOLDERS


def load():
    """The state; a missing or unreadable state file runs the flashed firmware."""
    try:
        with open(STATE) as f:
            state = json.load(f)
        if isinstance(state, dict) and state.get("slot", "") in _SLOTS:
            return state
    except (OSError, ValueError):
        pass
    return {"slot": ""}


def running():
    """The folder the committed firmware runs from ("" for the top of the flash)."""
    return load()["slot"]


def spare(slot):
    """The folder an update may be written to while ``slot`` runs."""
    return FOLDERS[1] if slot == FOLDERS[0] else FOLDERS[0]


def stage():
    """A checked bundle is in STAGED: the next boot installs and tries it."""
    slot = running()
    write_atomic(STATE, json.dumps({"slot": slot, "stage": spare(slot)}))


def select():
    """This boot's folder and whether it is a trial (called once, before the firmware)."""
    state = load()
    slot = state["slot"]
    if state.get("stage") in FOLDERS:
        try:
            bundle.install(STAGED, slot, state["stage"])
            state = {"slot": slot, "trial": state["stage"], "tries": 0}
        except (OSError, bundle.BundleError):  # e.g. the flash is full: keep what runs
            state = {"slot": slot}
        write_atomic(STATE, json.dumps(state))
        remove(STAGED)
    trial = state.get("trial")
    if trial not in FOLDERS:
        return slot, False
    if state.get("tries", 0) >= 1:  # it had its boot and never reached the host
        rollback()
        return slot, False
    state["tries"] = 1  # written before it runs: whatever ends this boot ends the trial
    write_atomic(STATE, json.dumps(state))
    return trial, True


def commit():
    """The trial firmware has answered the host securely: it runs from now on."""
    state = load()
    if state.get("trial") in FOLDERS:
        write_atomic(STATE, json.dumps({"slot": state["trial"]}))


def rollback():
    """The trial is over without a commit: the previous firmware runs again."""
    state = load()
    write_atomic(STATE, json.dumps({"slot": state["slot"], "rolled_back": state.get("trial")}))


def rolled_back():
    """True once after a rollback (the firmware reports it to the host as an event)."""
    state = load()
    if not state.get("rolled_back"):
        return False
    write_atomic(STATE, json.dumps({"slot": state["slot"]}))
    return True
