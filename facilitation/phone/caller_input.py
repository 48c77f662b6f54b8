"""What a call brings in: keypad digits, checked, and the caller's number, when there is a
usable one."""

from __future__ import annotations

import re

DIGITS = re.compile(r"[0-9*#]{1,12}")


class BadDigits(ValueError):
    """Keypad input that is not 1 to 12 of 0-9, * and #."""


# What providers send instead of a number when the caller withholds it (Twilio's stand-ins
# for anonymous, unknown, blocked, restricted and unavailable, and common PBX words).
WITHHELD = frozenset(
    {
        "+266696687",
        "+86282452253",
        "+8656696687",
        "+7378742833",
        "+2562533",
        "anonymous",
        "restricted",
        "unknown",
        "unavailable",
        "private",
        "withheld",
    }
)


def caller_number(caller: str) -> str:
    """The caller's digits, or "" when there is no usable number (withheld, too short)."""
    text = caller.strip()
    digits = "".join(c for c in text if c.isdigit())
    if text.lower() in WITHHELD or len(digits) < 6:
        return ""
    return digits


def check_digits(digits: str) -> str:
    if not DIGITS.fullmatch(digits):
        raise BadDigits("digits must be 1 to 12 of 0-9, * and #")
    return digits
