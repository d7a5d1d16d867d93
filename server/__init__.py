"""The community office's central service: passes, households, kiosks and the event archive."""
