"""Where a line may break, for Chinese and English.

Chinese is written without spaces, so a line may break inside it only where the string tables
say: after punctuation, or at a break mark (``MARK``, a zero-width space put between two words,
"请把\u200b额头\u200b靠近\u200b测温器"). A run of Chinese characters without a mark stays on one
line, so no word is ever split ("通/行证"). A line must not start with closing punctuation
(，。）」…) and must not end with an opening bracket (（「“). English breaks only at spaces.
``units`` cuts a text into the pieces that must stay on one line; wrapping then only ever
breaks between two units. ``clean`` takes the marks out before a text is drawn or spoken.
"""

from __future__ import annotations

import re

# May not start a line: closing brackets and quotes, sentence and clause marks, units.
CLOSING = frozenset("，。、；：？！）」』】》〉〕］｝”’…—·％,.;:?!)]}%°℃")
# May not end a line: opening brackets and quotes.
OPENING = frozenset("（「『【《〈〔［｛“‘([{")

MARK = "\u200b"  # zero-width space: a line may break here (between two Chinese words)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# A Latin word (a range such as 3–5 is one) with its trailing space, a run of spaces, or any
# other single character.
_TOKENS = re.compile(r"[0-9A-Za-z'’.,:;!?()%°/+*#@&\-–]+\s*|\s+|.")


def units(text: str) -> list[str]:
    """``text`` cut into unbreakable pieces; joined again they give ``clean(text)`` back.

    A text with no mark at all (an office's message, a guard page's detail line) may break
    between any two Chinese characters: nobody marked its words, and a cut is worse."""
    free = MARK not in text
    pieces: list[str] = []
    marked = False
    for token in _TOKENS.findall(text):
        if token == MARK:
            marked = True
            continue
        if pieces and _glues(pieces[-1], token, marked or free):
            pieces[-1] += token
        else:
            pieces.append(token)
        marked = False
    return pieces


def has_han(text: str) -> bool:
    """Whether ``text`` has a Chinese character (its ink is as tall as the font is large)."""
    return _HAN.search(text) is not None


def clean(text: str) -> str:
    """``text`` without its break marks, as it is drawn and spoken."""
    return text.replace(MARK, "")


def _glues(before: str, token: str, breakable: bool) -> bool:
    """Whether ``token`` must stay on the line of ``before`` (``breakable``: a mark between)."""
    if token[0] in CLOSING or token.isspace():
        return True
    last = before.rstrip()[-1:]
    if last in OPENING and last == before[-1:]:
        return True
    return not breakable and bool(_HAN.match(last) and _HAN.match(token[0]))


def breaks_ok(lines: list[str] | tuple[str, ...]) -> bool:
    """True when no line starts with closing punctuation and none ends with an opening one."""
    return all(not (line and (line[0] in CLOSING or line[-1] in OPENING)) for line in lines)
