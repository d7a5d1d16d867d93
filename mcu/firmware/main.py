"""The boot selector: runs the firmware that slots.json names, a new one on trial.

The board runs this file at power-up. It is never replaced by an update (nor are slots.py,
bundle.py and flashfs.py, which it imports before any firmware folder is on the path), so a
broken update cannot take the way back with it. A firmware on trial runs under the watchdog
from its first import on, so one that hangs while loading resets too; one that raises sends
the board back to the previous firmware at once.
"""

import os
import sys

import machine
import slots

TRIAL_WDT_MS = 8000  # rp2's longest; the firmware arms its own, shorter, once it runs


def main():
    folder, trial = slots.select()
    if folder:
        sys.path.insert(0, os.getcwd().rstrip("/") + "/" + folder)
    if not trial:
        import app

        app.main()
        return
    machine.WDT(timeout=TRIAL_WDT_MS)
    try:
        import app

        app.main(trial=True)
    except Exception as e:  # not KeyboardInterrupt: mpremote may stop it to copy files
        sys.print_exception(e)
        slots.rollback()
        machine.reset()


if __name__ == "__main__":
    main()
