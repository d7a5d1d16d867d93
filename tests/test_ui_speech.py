"""Spoken verdicts: on by default, rendered once to WAV by espeak-ng and played by aplay; the
resident hears "体温正常，请通行" or "体温偏高，请找保安"; quietly off without a sound card."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pygame
import pytest

from kiosk.config import load_config
from kiosk.model import Reason, Verdict
from kiosk.view import Stage
from ui import samples
from ui.screen import Screen
from ui.speech import PHRASES, Speaker

CARD = " 0 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0\n"


def fakes(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    """A fake espeak-ng (writes the WAV path it was given), a fake aplay, their logs, a card."""
    said, played = tmp_path / "said", tmp_path / "played"
    espeak = tmp_path / "espeak-ng"
    espeak.write_text(f'#!/bin/sh\necho "$@" >> {said}\nprintf RIFF > "$4"\n')
    aplay = tmp_path / "aplay"
    aplay.write_text(f'#!/bin/sh\necho "$@" >> {played}\n')
    for script in (espeak, aplay):
        script.chmod(0o755)
    cards = tmp_path / "cards"
    cards.write_text(CARD)
    return espeak, aplay, said, played


def speaker_for(tmp_path: Path, cards: Path | None = None) -> Speaker:
    espeak, aplay, _, _ = fakes(tmp_path)
    return Speaker(
        True,
        str(espeak),
        player=str(aplay),
        cache=tmp_path / "cache",
        cards=cards or tmp_path / "cards",
    )


def test_speech_is_on_by_default() -> None:
    assert load_config(None).ui.speech is True


def test_a_phrase_is_rendered_once_and_played(tmp_path: Path) -> None:
    speaker = speaker_for(tmp_path)
    assert speaker.available, speaker.why_quiet
    speaker.say("pass", "zh-CN")
    speaker.close()
    speaker.say("pass", "zh-CN")
    speaker.close()
    said = (tmp_path / "said").read_text().splitlines()
    assert said == [f"-v cmn -w {tmp_path / 'cache' / 'zh-CN-pass.part'} 体温正常，请通行"]
    assert (tmp_path / "cache" / "zh-CN-pass.wav").is_file()


def test_without_a_sound_card_the_speaker_is_quiet(tmp_path: Path) -> None:
    empty = tmp_path / "no-cards"
    empty.write_text("--- no soundcards ---\n")
    speaker = speaker_for(tmp_path, empty)
    assert not speaker.available and "sound card" in speaker.why_quiet
    speaker.say("pass", "zh-CN")
    assert not (tmp_path / "said").exists()
    missing = Speaker(True, "/nonexistent/espeak-ng", player="/bin/true", cards=tmp_path / "cards")
    missing.say("pass", "zh-CN")  # cannot start: goes quiet instead of raising
    assert not missing.available


class Heard(Speaker):
    def __init__(self) -> None:
        super().__init__(False)
        self.keys: list[str] = []

    def say(self, key: str, language: str) -> None:
        self.keys.append(key)


@pytest.mark.parametrize(
    ("stage", "reason", "key"),
    [
        (Stage.OPEN, Reason.OK, "pass"),
        (Stage.DENIED, Reason.FEVER, "fever"),
        (Stage.DENIED, Reason.REVOKED, "refused"),
        (Stage.GUARD, Reason.SENSOR_FAULT, "guard"),
    ],
)
def test_the_screen_says_each_verdict_once(stage: Stage, reason: Reason, key: str) -> None:
    heard = Heard()
    view = replace(samples.BASE, stage=stage, reason=reason, verdict=Verdict.ALLOW)
    kiosk = samples.FakeKiosk(view)
    screen = Screen(kiosk, pygame.Surface((800, 480)), speaker=heard)
    screen.draw()
    screen.draw()
    assert heard.keys == [key]
    kiosk.publish(stage=Stage.IDLE, reason=Reason.OK)
    screen.draw()
    kiosk.publish(stage=stage, reason=reason)  # the next person, the same verdict: said again
    screen.draw()
    assert heard.keys == [key, key]


def test_the_resident_hears_the_temperature_words() -> None:
    assert PHRASES["zh-CN"]["pass"] == "体温正常，请通行"
    assert PHRASES["zh-CN"]["fever"] == "体温偏高，请找保安"


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_ng_renders_every_phrase_in_both_languages(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.write_text(CARD)
    speaker = Speaker(True, player="/bin/true", cache=tmp_path / "cache", cards=cards)
    speaker.prepare()
    for language, phrases in PHRASES.items():
        for key in phrases:
            wav = speaker.wav(key, language)
            assert wav.read_bytes()[:4] == b"RIFF" and wav.stat().st_size > 8000, wav
