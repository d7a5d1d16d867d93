"""Test-wide settings: headless SDL, no audio, and no stray network or real hardware."""

import os

# pygame must never open a window or a sound device in tests.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# gpiozero picks its pin factory from here when a test forgets to pass one.
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
