"""What a call hears and what happens next: the replies both phone dialects render (TwiML
for voice providers, JSON for a PBX in front of Jigasi), and the words to speak."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Say:
    """Something spoken: N_-marked English text and its %(name)s values, in the reply's
    language unless `language` says otherwise."""

    text: str
    values: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class Gather:
    """Wait for up to `max_digits` keys (# ends early), then post them back."""

    max_digits: int
    timeout_seconds: int = 10


@dataclass(frozen=True)
class Connect:
    """Put the caller into the meeting through Jigasi."""

    room_jid: str


@dataclass(frozen=True)
class Hangup:
    pass


Next = Gather | Connect | Hangup


@dataclass(frozen=True)
class Reply:
    """What the caller hears, in `language`, and what happens after."""

    say: tuple[Say, ...]
    then: Next
    language: str


def spoken(say: Say, language: str, translate: Callable[[str, str], str]) -> str:
    """The words to speak: `translate(language, text)` with the values filled in. A
    translation whose placeholders do not fit falls back to the English source."""
    text = translate(language, say.text)
    if say.values:
        try:
            text = text % say.values
        except (KeyError, ValueError, TypeError):
            text = say.text % say.values
    return text
