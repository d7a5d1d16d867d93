"""Which passwords the office accepts, and the temporary ones an admin's reset hands out.

A password is refused when it is short, one of the passwords people pick first (12345678,
woaini1314, qwerty123...), a phone number or a run of digits, or the user name itself: those
are the first an attacker tries, and a phone number is printed on the pass's household list.
"""

from __future__ import annotations

import itertools
import re
import secrets

from server.exc import ServerConfigError

MIN_PASSWORD = 8
# Lower-cased; the first ones guessed the world over and in Chinese-speaking places.
COMMON = frozenset(
    [
        "12345678",
        "123456789",
        "1234567890",
        "0123456789",
        "87654321",
        "987654321",
        "11111111",
        "00000000",
        "88888888",
        "66666666",
        "99999999",
        "12341234",
        "11223344",
        "12344321",
        "123123123",
        "147258369",
        "159357456",
        "520131400",
        "5201314520",
        "13145200",
        "woaini1314",
        "woaini520",
        "iloveyou",
        "iloveyou1",
        "password",
        "password1",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "qwertyui",
        "qwerty12",
        "qwerty123",
        "qwertyuiop",
        "1qaz2wsx",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "qweasdzxc",
        "123qweasd",
        "qwer1234",
        "1234qwer",
        "asdfghjk",
        "asdf1234",
        "zxcvbnm1",
        "zxcvbnm123",
        "a1234567",
        "a12345678",
        "aa123456",
        "abc12345",
        "abc123456",
        "abcd1234",
        "abcdefgh",
        "admin123",
        "admin1234",
        "administrator",
        "letmein1",
        "welcome1",
        "sunshine",
        "football",
        "baseball",
        "princess",
        "dragon123",
        "monkey123",
        "wang123456",
        "zhang123",
        "li123456",
        "nihao123",
        "nihaoma1",
        "aaaaaaaa",
        "changeme",
        "changeme1",
    ]
)
PHONE_LIKE = re.compile(r"^\+?\d{7,15}$")
TEMPORARY_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread over the phone


class WeakPassword(ServerConfigError):
    """A password the policy refuses; ``key`` names the reason in the page catalogues."""

    def __init__(self, key: str, words: str) -> None:
        super().__init__(words)
        self.key = key


WORDS = {
    "reg.err.password": f"a password needs at least {MIN_PASSWORD} characters",
    "pw.common": "that password is one of the first ones guessed; choose another",
    "pw.phone": "a phone number (or a run of digits) is not a password; choose another",
    "pw.username": "the password may not contain the user name",
}


def problem(password: str, username: str = "") -> str:
    """The catalogue key of what is wrong with ``password`` ('' when it may be used)."""
    if len(password) < MIN_PASSWORD:
        return "reg.err.password"
    folded = password.lower()
    if folded in COMMON or len(set(folded)) <= 2 or _run(folded):
        return "pw.common"
    if PHONE_LIKE.match(re.sub(r"[\s\-()]", "", password)):
        return "pw.phone"
    name = username.strip().lower()
    if len(name) >= 3 and (name in folded or folded in name):
        return "pw.username"
    return ""


def check(password: str, username: str = "") -> None:
    """Raise WeakPassword when the policy refuses ``password``."""
    key = problem(password, username)
    if key:
        raise WeakPassword(key, WORDS[key])


def _run(text: str) -> bool:
    """abcdefgh, 23456789, 98765432: each character one after (or before) the last."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(text)}
    return steps in ({1}, {-1})


def temporary() -> str:
    """A temporary password to read out or hand over: 'k7mq-2xtp-9hwn' (about 59 bits)."""
    groups = ("".join(secrets.choice(TEMPORARY_LETTERS) for _ in range(4)) for _ in range(3))
    return "-".join(groups)
