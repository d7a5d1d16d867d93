"""Words for every code in both languages, glyphs that really render, masking of personal data."""

from __future__ import annotations

import pygame
import pytest

from kiosk.exc import FontMissing
from kiosk.model import Reason
from kiosk.view import Stage
from ui import fonts, strings
from ui.mask import mask_name, mask_phone, mask_phones_in


@pytest.fixture(scope="module")
def font() -> pygame.font.Font:
    pygame.font.init()
    return pygame.font.Font(str(fonts.find_cjk_font()), 40)


@pytest.mark.parametrize("language", strings.LANGUAGES)
def test_every_reason_has_words(language: str) -> None:
    for reason in Reason:
        assert strings.reason_words(language, reason).title.strip(), reason


@pytest.mark.parametrize("language", strings.LANGUAGES)
def test_every_stage_has_words(language: str) -> None:
    for stage in Stage:
        assert strings.stage_words(language, stage).title.strip(), stage


def test_languages_have_the_same_keys() -> None:
    zh, en = strings.LANGUAGES
    assert strings.UI[zh].keys() == strings.UI[en].keys()
    assert strings.ALARMS[zh].keys() == strings.ALARMS[en].keys()
    assert strings.REASONS[zh].keys() == strings.REASONS[en].keys() == set(Reason)
    assert strings.STAGES[zh].keys() == strings.STAGES[en].keys() == set(Stage)


def test_preset_reasons_have_labels() -> None:
    for language in strings.LANGUAGES:
        for code in strings.OPEN_REASONS:
            assert strings.text(language, f"open_{code}")
        for code in strings.VISIT_REASONS:
            assert strings.text(language, f"visit_{code}")


def test_unknown_language_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"'fr'.*zh-CN, en"):
        strings.check_language("fr")


def all_words() -> str:
    parts: list[str] = []
    for language in strings.LANGUAGES:
        parts += [w for words in strings.REASONS[language].values() for w in words]
        parts += [w for words in strings.STAGES[language].values() for w in words]
        parts += list(strings.ALARMS[language].values()) + list(strings.UI[language].values())
    return "".join(parts) + "●—←▲▼°·…"


def test_every_character_shown_has_a_glyph(font: pygame.font.Font) -> None:
    assert fonts.missing_glyphs(font, all_words()) == set()


def test_chinese_glyphs_are_real_not_tofu(font: pygame.font.Font) -> None:
    tofu = font.render("\uffff", True, (255, 255, 255), (0, 0, 0))
    for ch in "请通行":
        glyph = font.render(ch, True, (255, 255, 255), (0, 0, 0))
        raw = pygame.image.tobytes(glyph, "RGB")
        assert any(raw), f"{ch} rendered empty"
        assert raw != pygame.image.tobytes(tofu, "RGB"), f"{ch} rendered as the missing-glyph box"
    assert fonts.missing_glyphs(font, "\ue000") == {"\ue000"}  # the check does see tofu


def test_missing_font_says_which_package_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "KNOWN_CJK_FONTS", ())
    monkeypatch.setattr(fonts.shutil, "which", lambda _name: None)
    fonts.find_cjk_font.cache_clear()
    try:
        with pytest.raises(FontMissing, match="apt install fonts-wqy-microhei"):
            fonts.find_cjk_font()
    finally:
        fonts.find_cjk_font.cache_clear()


def test_phone_numbers_are_masked() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138-1234-5678") == "861******5678"
    assert mask_phone("12345") == "*****"


def test_phone_numbers_inside_text_are_masked() -> None:
    assert mask_phones_in("visitor 13812345678 refused") == "visitor 138****5678 refused"
    assert mask_phones_in("flat 3-2-501") == "flat 3-2-501"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("王小华", "王*华"),
        ("欧阳小明", "欧**明"),
        ("王华", "王*"),
        ("Jane Smith", "J*** S****"),
        ("", ""),
    ],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_balanced_wrap_leaves_no_orphan(font: pygame.font.Font) -> None:
    words = "请在一旁稍候后重新测量，或联系保安"
    width = font.size(words)[0] * 9 // 10
    lines = fonts.balanced_wrap(words, width, font)
    assert len(lines) == 2 and "".join(lines) == words
    assert min(len(line) for line in lines) >= len(words) // 3
