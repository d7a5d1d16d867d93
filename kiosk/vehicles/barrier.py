"""The barrier and its vehicle loop, as the lane's doorway sees them (kiosk.doorway).

The gate relay lifts the barrier; the loop in the road just behind it is wired as the door
contact (``[gpio] door_pin``, active while a vehicle stands on it). One opening is one
vehicle: the barrier comes down once the loop has read clear for ``[gpio] loop_clear_s``, an
opening whose time runs out with the loop never taken is logged as unused, and the loop taken
again while the arm is still coming down is a second vehicle on the same opening: the
tailgating alarm.
"""

from __future__ import annotations

from kiosk.config import GpioSettings
from kiosk.doorway import Loop

__all__ = ["BARRIER_FALL_S", "LOOP_TAKEN_S", "loop"]

# How long after the loop cleared a second vehicle on it counts as following the first: a
# barrier arm takes 1.5-6 s to come down (longer arms are slower); after that it is forced.
BARRIER_FALL_S = 6.0

# How long the loop must read occupied before a vehicle counts as on it: shorter is the
# detector's noise (a wet loop, a lorry passing in the street). The shortest real vehicle, a
# motorbike at 20 km/h over a 1.5 m loop, stays on it 0.6 s.
LOOP_TAKEN_S = 0.3


def loop(gpio: GpioSettings) -> Loop:
    """How the doorway reads the vehicle loop on ``gpio.door_pin``."""
    return Loop(follow_s=BARRIER_FALL_S, clear_s=gpio.loop_clear_s, taken_s=LOOP_TAKEN_S)
