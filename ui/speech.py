"""Optional spoken prompts through espeak-ng, never blocking the screen (or the gate)."""

from __future__ import annotations

import shutil
import subprocess

VOICES = {"zh-CN": "cmn", "en": "en"}


class Speaker:
    """Speaks one prompt at a time; a newer prompt cuts the older one short.

    Silent when disabled or when espeak-ng is not installed (``available`` says which).
    """

    def __init__(self, enabled: bool, program: str | None = None) -> None:
        self.program = (program or shutil.which("espeak-ng")) if enabled else None
        self._speaking: subprocess.Popen[bytes] | None = None
        self._last = ""

    @property
    def available(self) -> bool:
        return self.program is not None

    def say(self, words: str, language: str) -> None:
        """Start speaking ``words`` unless they were the last thing said."""
        if self.program is None or not words or words == self._last:
            return
        self._last = words
        self.stop()
        voice = VOICES.get(language, "en")
        try:
            self._speaking = subprocess.Popen(
                [self.program, "-v", voice, words],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self.program = None  # gone or broken: stay quiet rather than retry every prompt

    def stop(self) -> None:
        """Cut the current prompt short (only the process this speaker started)."""
        if self._speaking is not None and self._speaking.poll() is None:
            self._speaking.terminate()
            try:
                self._speaking.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self._speaking.kill()
        self._speaking = None

    def close(self) -> None:
        self.stop()
