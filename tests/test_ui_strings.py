"""Words for every code in both languages, glyphs that really render, masking of personal data."""

from __future__ import annotations

import re
from dataclasses import replace

import pygame
import pytest

from kiosk.exc import FontMissing
from kiosk.model import Reason
from kiosk.view import Aim, AlarmCode, Prompt, Stage
from ui import fonts, linebreak, samples, strings
from ui.mask import mask_name, mask_phone, mask_phones_in


@pytest.fixture(scope="module")
def font() -> pygame.font.Font:
    pygame.font.init()
    return pygame.font.Font(str(fonts.find_cjk_font()), 40)


# Words a resident at a gate does not know: engineering names of what went wrong.
JARGON = (
    "签名",
    "密钥",
    "签发",
    "编码",
    "COSE",
    "signature",
    "issuer key",
    "encoding",
    "claims",
    "anti-passback",
    "backlog",
    "CWT",
    "kid",
)
# A hint tells a resident what to do now or whom to ask: it names an action or a person.
ACTIONS = {
    "zh-CN": ("请", "保安", "社区", "可以", "正在", "第一次"),
    "en": (
        "please",
        "guard",
        "office",
        "scan",
        "come",
        "go",
        "step",
        "hold",
        "rest",
        "ask",
        "report",
        "get",
        "renew",
        "see",
        "show",
        "use",
        "you",
        "close",
        "the first",
    ),
}


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_plain_words_and_what_to_do(language: str, reason: Reason) -> None:
    """The table test: a title and a hint in both languages, in a resident's words."""
    words = strings.reason_words(language, reason)
    assert words.title.strip(), reason
    if reason is not Reason.OK:
        assert words.hint.strip(), f"{reason} says what happened but not what to do now"
        hint = words.hint.lower()
        assert any(a in hint for a in ACTIONS[language]), f"{reason}: {words.hint!r}"
    for term in JARGON:
        assert term.lower() not in (words.title + words.hint).lower(), (reason, term)


@pytest.mark.parametrize("language", strings.LANGUAGES)
@pytest.mark.parametrize("code", list(AlarmCode))
def test_every_alarm_code_has_words_with_its_value(language: str, code: AlarmCode) -> None:
    """The alarm table test: every code the kiosk logs reads as words in both languages, its
    value is in them, and nothing of the engineer's English note leaks onto the screen."""
    alarm = samples.alarm_of(code)
    words = strings.alarm_detail(language, alarm)
    assert words.strip() and "{" not in words, (code, words)
    assert alarm.value in words, f"{code}: the value {alarm.value!r} is not shown"
    if language == "zh-CN":
        assert not re.search("[A-Za-z]", words.replace("°C", "")), (code, words)
    for term in JARGON:
        assert term.lower() not in words.lower(), (code, term)
    unlogged = strings.alarm_detail(language, replace(alarm, logged=False))
    assert unlogged.startswith(words) and unlogged != words


def test_every_alarm_the_kiosk_raises_has_its_own_code() -> None:
    """A reason the state machine raises alarms for never falls back to the generic words."""
    from kiosk.machine import ALARMING, ALARMING_REFUSALS
    from kiosk.view import alarm_code

    doors = {Reason.DOOR_FORCED_OPEN, Reason.DOOR_HELD_OPEN, Reason.EXIT_BUTTON}
    raised = ALARMING | ALARMING_REFUSALS | doors
    assert all(alarm_code(r) is not AlarmCode.CHECK_PERSON for r in raised)
    assert strings.ALARM_DETAILS["zh-CN"].keys() == strings.ALARM_DETAILS["en"].keys()
    assert set(strings.ALARM_DETAILS["en"]) == set(AlarmCode)


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
    assert strings.AIMS[zh].keys() == strings.AIMS[en].keys() == set(Aim)
    assert strings.PROMPTS[zh].keys() == strings.PROMPTS[en].keys() == set(Prompt)


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
        parts += [*strings.AIMS[language].values(), strings.NOT_LOGGED[language]]
        parts += [w for words in strings.PROMPTS[language].values() for w in words]
        parts.append(strings.OPEN_FOR[language])
        parts += [strings.alarm_detail(language, samples.alarm_of(code)) for code in AlarmCode]
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


def every_string() -> list[tuple[str, str]]:
    """(language, text) of every string a screen can show."""
    found = []
    for language in strings.LANGUAGES:
        texts = [w for words in strings.REASONS[language].values() for w in words]
        texts += [w for words in strings.STAGES[language].values() for w in words]
        texts += list(strings.ALARMS[language].values()) + list(strings.UI[language].values())
        texts += list(strings.AIMS[language].values())
        texts += [w for words in strings.PROMPTS[language].values() for w in words]
        texts.append(strings.OPEN_FOR[language])
        found += [(language, t.format_map(_Filled())) for t in texts if t]
        alarms = [samples.alarm_of(code, logged=False) for code in AlarmCode]
        found += [(language, strings.alarm_detail(language, a)) for a in alarms]
    return found


class _Filled(dict[str, str]):
    """Fills every ``{name}`` of a template with a number, as the screens do."""

    def __missing__(self, key: str) -> str:
        return "42"


def test_line_breaking_over_every_string_at_every_width(font: pygame.font.Font) -> None:
    """No line starts with closing punctuation or ends with an opening bracket; English and
    numbers with their units are never split, at any width down to a few characters."""
    for language, text in every_string():
        full = font.size(text)[0]
        for width in range(font.size("通行")[0], full + 40, 23):
            lines = fonts.wrap(text, width, font)
            assert linebreak.breaks_ok(lines), (text, width, lines)
            assert "".join(lines).replace(" ", "") == linebreak.clean(text).replace(" ", ""), (
                text,
                lines,
            )
            if language == "en":
                assert " ".join(lines).split() == text.split(), (text, width, lines)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("通行证无效（签名错误）", ("通行证无效（", "签名错误）")),
        ("请在一旁稍候，或联系保安", ("请在一旁稍候", "，或联系保安")),
        ("体温 38.4 °C", ("体温 38.4", "°C")),
    ],
)
def test_the_breaks_a_typesetter_forbids_are_refused(text: str, bad: tuple[str, str]) -> None:
    assert not linebreak.breaks_ok(list(bad))
    pieces = linebreak.units(text)
    assert "".join(pieces) == text
    cut = len(bad[0])
    assert cut not in _boundaries(pieces), f"{text!r} may be broken after {bad[0]!r}"


def _boundaries(pieces: list[str]) -> set[int]:
    at, found = 0, set()
    for piece in pieces:
        at += len(piece)
        found.add(at)
    return found
