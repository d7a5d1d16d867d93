"""GPIO library check: lgpio (gpiozero's pin factory on a Pi) loads from where the kiosk runs.

    python -m hw_tests.gpiolib [--sim]

lgpio makes a notification pipe (``.lgd-nfy*``) in ``$LG_WD``, else in the working directory,
when it is imported. Started from a folder its user cannot write, the import fails; gpiozero
then falls back to a slower pin factory (Pi 4) or to none at all (Pi 5).
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from hw_tests.harness import CheckFailed, Options, Person
from hw_tests.rig import Rig


def check(rig: Rig, person: Person, options: Options) -> str:
    """Import lgpio (when installed; required on the device) and say where it lives."""
    folder = os.environ.get("LG_WD") or os.getcwd()
    if importlib.util.find_spec("lgpio") is None:
        if options.sim:
            return "lgpio is not installed: simulated pins only"
        raise CheckFailed("lgpio is not installed: run setup.sh (apt python3-lgpio, or pip)")
    try:
        lgpio = importlib.import_module("lgpio")
    except OSError as error:
        raise CheckFailed(
            f"lgpio could not make its notification pipe in {folder} ({error}): run the kiosk "
            f"from a folder its user can write (its data folder, as the unit and setup.sh do), "
            "or set LG_WD to one"
        ) from error
    version = getattr(lgpio, "LGPIO_PY_VERSION", 0)
    return f"lgpio {version:#x} loaded; its pipe is in {os.environ.get('LG_WD') or os.getcwd()}"


if __name__ == "__main__":
    from hw_tests.runner import main

    raise SystemExit(main("gpiolib", check))
