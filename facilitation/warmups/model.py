"""What a warm-up is made of: its format, its energy, the warm-up itself, and the error a
catalogue file gives when an entry breaks the rules. Pure.

`catalogue` reads the catalogue files into these values and re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PASS = 0  # the keypad key, and the answer value, for "pass"

MAX_TEXT = 200  # a title, a prompt or a content note
MAX_OPTION = 40  # one option (or a scale's label)
MAX_MINUTES = 15
MAX_GROUP = 200
KEYPAD_DIGITS = 9  # answers are single keys 1-9; 0 is pass
SCALE_POINTS = 5


class Format(StrEnum):
    CHOICE = "choice"
    WOULD_YOU_RATHER = "would_you_rather"
    SCALE = "scale"
    GUESS = "guess"
    GO_ROUND = "go_round"
    CHAT_PROMPT = "chat_prompt"


class Energy(StrEnum):
    CALM = "calm"
    LIVELY = "lively"


VOTE_FORMATS = frozenset({Format.CHOICE, Format.WOULD_YOU_RATHER, Format.SCALE, Format.GUESS})


@dataclass(frozen=True)
class WarmUp:
    id: str
    title: str
    prompt: str
    format: Format
    options: tuple[str, ...]  # choice, would you rather: the options; scale: labels for 1 and 5
    minutes: int
    group_min: int
    group_max: int
    keypad: bool  # works from a phone keypad
    camera_off: bool  # works with cameras off
    no_disclosure: bool  # needs no personal disclosure
    energy: Energy
    content_note: str = ""  # what the topic could touch that is painful; "" when nothing
    answer: int | None = None  # guess only: the number, 1-9
    source: str = ""  # "file:line" where it was defined

    @property
    def choices(self) -> tuple[str, ...]:
        """What people pick from, numbered from 1 (0 is always pass)."""
        if self.format in (Format.CHOICE, Format.WOULD_YOU_RATHER):
            return self.options
        if self.format is Format.SCALE:
            return tuple(str(n) for n in range(1, SCALE_POINTS + 1))
        if self.format is Format.GUESS:
            return tuple(str(n) for n in range(1, KEYPAD_DIGITS + 1))
        return ()

    @property
    def is_vote(self) -> bool:
        """Answered by a poll in the meeting and by the keypad (not by speaking or typing)."""
        return self.format in VOTE_FORMATS


class CatalogueError(ValueError):
    """An entry of a catalogue file breaks the rules; str() reads "file:line: field: message"."""

    def __init__(self, filename: str, line: int, field: str, message: str) -> None:
        super().__init__(f"{filename}:{line}: {field}: {message}")
        self.filename = filename
        self.line = line
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[CatalogueError], tuple[str, int, str, str]]:
        return (CatalogueError, (self.filename, self.line, self.field, self.message))
