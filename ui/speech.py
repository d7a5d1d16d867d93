"""Spoken verdicts, offline: a few fixed phrases rendered once to WAV by espeak-ng (Chinese
"cmn" and English voices) and played with aplay, never blocking the screen (or the gate).

A resident who cannot read the screen hears "体温正常，请通行" or "体温偏高，请找保安"; the
buzzer's beeps still sound as before. The phrases are rendered at first use into a cache
folder, so a decision is spoken at once after that. Without espeak-ng, aplay or a sound card
the speaker is quietly off (``available`` says so, ``why_quiet`` says why).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from kiosk.model import Reason
from kiosk.view import KioskView, Stage

log = logging.getLogger(__name__)

VOICES = {"zh-CN": "cmn", "en": "en"}
SOUND_CARDS = Path("/proc/asound/cards")
PHRASES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "pass": "体温正常，请通行",
        "fever": "体温偏高，请找保安",
        "refused": "不能通行，请看屏幕",
        "guard": "请找保安",
        "remeasure": "请站好不动，再测一次",
    },
    "en": {
        "pass": "Temperature normal, please go through",
        "fever": "Temperature high, please see the guard",
        "refused": "No entry, please read the screen",
        "guard": "Please see the guard",
        "remeasure": "Hold still, measuring once more",
    },
}
FEVER = frozenset({Reason.FEVER})


def phrase_key(view: KioskView) -> str | None:
    """Which phrase a view's stage calls for (None: nothing to say)."""
    if view.stage is Stage.OPEN:
        return "pass"
    if view.stage is Stage.DENIED:
        return "fever" if view.reason in FEVER else "refused"
    if view.stage is Stage.GUARD:
        return "guard"
    if view.stage is Stage.REMEASURE:
        return "remeasure"
    return None


def has_sound_card(cards: Path = SOUND_CARDS) -> bool:
    """Whether ALSA lists a sound card (HDMI or the headphone jack count)."""
    try:
        listed = cards.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return bool(listed.strip()) and "no soundcards" not in listed


class Speaker:
    """Says one phrase at a time; a newer one cuts the older one short."""

    def __init__(
        self,
        enabled: bool,
        program: str | None = None,
        *,
        player: str | None = None,
        cache: Path | None = None,
        cards: Path = SOUND_CARDS,
    ) -> None:
        self.program = program or shutil.which("espeak-ng")
        self.player = player or shutil.which("aplay")
        self.cache = cache or Path(tempfile.gettempdir()) / "kiosk-speech"
        self.why_quiet = self._quiet_reason(enabled, cards)
        if self.why_quiet and enabled:
            log.info("spoken verdicts are off: %s", self.why_quiet)
        self._playing: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def _quiet_reason(self, enabled: bool, cards: Path) -> str:
        if not enabled:
            return "[ui] speech is off"
        if self.program is None:
            return "espeak-ng is not installed (apt install espeak-ng)"
        if self.player is None:
            return "aplay is not installed (apt install alsa-utils)"
        if not has_sound_card(cards):
            return f"no sound card ({cards} lists none)"
        return ""

    @property
    def available(self) -> bool:
        return not self.why_quiet

    def wav(self, key: str, language: str) -> Path:
        return self.cache / f"{language}-{key}.wav"

    def prepare(self, languages: tuple[str, ...] = tuple(PHRASES)) -> None:
        """Render every phrase not yet in the cache (at start-up, in the background)."""
        for language in languages:
            for key in PHRASES[language]:
                if self.available:
                    self._render(key, language)

    def _render(self, key: str, language: str) -> Path | None:
        target = self.wav(key, language)
        if target.is_file():
            return target
        assert self.program is not None
        self.cache.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        voice = VOICES.get(language, "en")
        words = PHRASES[language][key]
        try:
            subprocess.run(
                [self.program, "-v", voice, "-w", str(partial), words],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=30,
                check=True,
            )
            partial.replace(target)  # whole or not at all: a cut WAV is never played
        except (OSError, subprocess.SubprocessError) as error:
            self.why_quiet = f"espeak-ng failed: {error}"
            log.warning("spoken verdicts are off: %s", self.why_quiet)
            return None
        return target

    def say(self, key: str, language: str) -> None:
        """Play phrase ``key`` in ``language`` (rendering it first if it is not cached yet)."""
        if not self.available or key not in PHRASES.get(language, {}):
            return
        with self._lock:
            wav = self._render(key, language)
            if wav is None or self.player is None:
                return
            self._stop()
            try:
                self._playing = subprocess.Popen(
                    [self.player, "-q", str(wav)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as error:
                self.why_quiet = f"aplay failed: {error}"  # stay quiet rather than retry

    def _stop(self) -> None:
        """Cut the current phrase short (only the process this speaker started)."""
        if self._playing is not None and self._playing.poll() is None:
            self._playing.terminate()
            try:
                self._playing.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self._playing.kill()
        self._playing = None

    def close(self) -> None:
        with self._lock:
            self._stop()
