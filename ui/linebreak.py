"""Where a line may break, for Chinese and English.

Chinese may break between any two characters except that a line must not start with closing
punctuation (，。）」…) and must not end with an opening bracket (（「“). English breaks only at
spaces. ``units`` cuts a text into the pieces that must stay on one line; wrapping then only
ever breaks between two units.
"""

from __future__ import annotations

import re

# May not start a line: closing brackets and quotes, sentence and clause marks, units.
CLOSING = frozenset("，。、；：？！）」』】》〉〕］｝”’…—·％,.;:?!)]}%°℃")
# May not end a line: opening brackets and quotes.
OPENING = frozenset("（「『【《〈〔［｛“‘([{")

# A Latin word (a range such as 3–5 is one) with its trailing space, a run of spaces, or any
# other single character.
_TOKENS = re.compile(r"[0-9A-Za-z'’.,:;!?()%°/+*#@&\-–]+\s*|\s+|.")


def units(text: str) -> list[str]:
    """``text`` cut into unbreakable pieces; joined again they give ``text`` back."""
    pieces: list[str] = []
    for token in _TOKENS.findall(text):
        if pieces and _glues(pieces[-1], token):
            pieces[-1] += token
        else:
            pieces.append(token)
    return pieces


def _glues(before: str, token: str) -> bool:
    """Whether ``token`` must stay on the line of ``before``."""
    if token[0] in CLOSING or token.isspace():
        return True
    last = before.rstrip()[-1:]
    return last in OPENING and last == before[-1:]


def breaks_ok(lines: list[str] | tuple[str, ...]) -> bool:
    """True when no line starts with closing punctuation and none ends with an opening one."""
    return all(not (line and (line[0] in CLOSING or line[-1] in OPENING)) for line in lines)
