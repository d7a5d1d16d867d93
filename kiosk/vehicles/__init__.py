"""The vehicle lane: licence plates instead of passes, the vehicle registry and the risk list."""
