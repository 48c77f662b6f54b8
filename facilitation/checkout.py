"""The wellbeing check-out: answers and the flags a host must see. Pure.

The same rules serve the web form and the phone keypad, so a caller who presses 3 gets
exactly the flag a web participant who picks "struggling" gets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Feeling(StrEnum):
    """The 4-step scale, best first, and "I'd rather not say"."""

    GOOD = "good"
    OK = "ok"
    NOT_SURE = "not_sure"
    STRUGGLING = "struggling"
    RATHER_NOT_SAY = "rather_not_say"


class Contact(StrEnum):
    NONE = "none"
    CHAT_NOW = "chat_now"
    CALL_LATER = "call_later"
    OTHER = "other"


class Level(StrEnum):
    URGENT = "urgent"
    FLAG = "flag"


class Reason(StrEnum):
    STRUGGLING = "struggling"
    NOT_SURE = "not_sure"
    CONTACT = "contact_requested"
    CONCERN = "concern_in_words"
    MISSING = "no_checkout"


@dataclass(frozen=True)
class Answers:
    feeling: Feeling
    contact: Contact = Contact.NONE
    note: str = ""  # "anything you'd like the host to know"


@dataclass(frozen=True)
class Flag:
    level: Level
    reasons: tuple[Reason, ...]


DEFAULT_CONCERN_PHRASES = (
    "kill myself",
    "end my life",
    "end it all",
    "suicide",
    "suicidal",
    "self harm",
    "self-harm",
    "hurt myself",
    "harm myself",
    "not safe",
    "unsafe",
    "don't feel safe",
    "do not feel safe",
    "hurting myself",
    "kill me",
    "better off dead",
    "take my life",
    "overdose",
    "want to die",
    "no reason to live",
    "can't go on",
    "cannot go on",
)


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = folded.replace("\u2019", "'").replace("-", " ")
    return re.sub(r"\s+", " ", folded)


def mentions_concern(text: str, phrases: Iterable[str] = DEFAULT_CONCERN_PHRASES) -> bool:
    """Whether free text contains any concern phrase (case, spacing, hyphens and curly
    apostrophes ignored; whole words only)."""
    haystack = f" {_normal(text)} "
    for phrase in phrases:
        needle = _normal(phrase).strip()
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            return True
    return False


def flag_for(answers: Answers, phrases: Iterable[str] = DEFAULT_CONCERN_PHRASES) -> Flag | None:
    """The flag a check-out raises, or None when it needs no follow-up."""
    reasons: list[Reason] = []
    urgent = False
    if answers.feeling is Feeling.STRUGGLING:
        reasons.append(Reason.STRUGGLING)
        urgent = True
    elif answers.feeling is Feeling.NOT_SURE:
        reasons.append(Reason.NOT_SURE)
    if answers.contact is not Contact.NONE:
        reasons.append(Reason.CONTACT)
    if answers.note and mentions_concern(answers.note, phrases):
        reasons.append(Reason.CONCERN)
        urgent = True
    if not reasons:
        return None
    return Flag(Level.URGENT if urgent else Level.FLAG, tuple(reasons))


MISSING_FLAG = Flag(Level.FLAG, (Reason.MISSING,))


def time_left(seconds: float) -> tuple[int, int]:
    """(whole days, hours) a link has left, for "the next N days/hours". Hours are rounded
    up (a 72-hour link just after it was sent still has 72 hours, i.e. 3 days), days down
    from those hours, so the page never promises more time than there is by an hour."""
    hours = max(1, -(-int(seconds) // 3600))
    return hours // 24, hours
