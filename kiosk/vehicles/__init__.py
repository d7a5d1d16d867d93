"""The vehicle lane: licence plates instead of passes, the office's vehicle registry and risk list."""
