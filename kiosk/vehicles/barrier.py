"""The barrier and its vehicle loop, as the lane's doorway sees them (kiosk.doorway).

The gate relay lifts the barrier; the loop in the road just behind it is wired as the door
contact (``[gpio] door_pin``, active while a vehicle stands on it). One opening is one
vehicle: the barrier comes down once the loop has read clear for ``LOOP_CLEAR_S``, an
opening whose time runs out with the loop never taken is logged as unused, and the loop taken
again while the arm is still coming down is a second vehicle on the same opening: the
tailgating alarm.
"""

from __future__ import annotations

__all__ = ["BARRIER_FALL_S", "LOOP_CLEAR_S"]

# How long after the loop cleared a second vehicle on it counts as following the first: a
# barrier arm takes 1.5-6 s to come down (longer arms are slower); after that it is forced.
BARRIER_FALL_S = 6.0

# How long the loop must read clear before the vehicle counts as gone and the barrier comes
# down: shorter is the loop detector dropping out under a car (a flapping loop, a trailer's
# hitch). A second car leaves a longer gap at gate speed (1 m at 10 km/h is 0.36 s); closer
# than that, one loop cannot tell two cars from one.
LOOP_CLEAR_S = 0.3
