"""A participant's pick of a breakout group, from the chat or the phone keypad. Pure.

Strict on purpose: only a message that is nothing but a pick counts ("group 2", "g2",
"#2", "2", "join group 2", "group two"), so ordinary chat such as "I was in group 2 last
time" never moves anyone.
"""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

_WORDS = "|".join(NUMBER_WORDS)
_PICK = re.compile(
    rf"(?:join\s+)?group\s*\#?\s*(?P<group>[0-9]{{1,2}})"
    rf"|(?:join\s+)?group\s+(?P<word>{_WORDS})"
    r"|g\s*(?P<short>[0-9]{1,2})"
    r"|\#\s*(?P<hash>[0-9]{1,2})"
    r"|(?P<bare>[0-9]{1,2})",
    re.IGNORECASE,
)
_KEYPAD = re.compile(r"(?P<digits>[0-9]{1,2})\#?")


def _within(number: int, groups: int) -> int | None:
    return number if 1 <= number <= groups else None


def chosen_group(text: str, groups: int) -> int | None:
    """The group a chat message picks, or None if it is not a pick of one of 1..groups."""
    cleaned = text.strip()
    if cleaned[-1:] in ("!", "."):
        cleaned = cleaned[:-1].rstrip()
    found = _PICK.fullmatch(cleaned)
    if found is None:
        return None
    word = found.group("word")
    if word is not None:
        return _within(NUMBER_WORDS[word.lower()], groups)
    digits = next(d for d in found.group("group", "short", "hash", "bare") if d is not None)
    return _within(int(digits), groups)


def keypad_group(digits: str, groups: int) -> int | None:
    """The group a caller keyed: "2" or "2#" is group 2, if there is a group 2."""
    found = _KEYPAD.fullmatch(digits.strip())
    if found is None:
        return None
    return _within(int(found.group("digits")), groups)
