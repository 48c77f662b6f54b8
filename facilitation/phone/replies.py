"""What a call hears and what happens next: the replies both phone dialects render (TwiML
for voice providers, JSON for a PBX in front of Jigasi), and the words to speak."""

from __future__ import annotations

import hashlib
import re
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


PROMPT_WORDS = 6
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
_NOT_WORD = re.compile(r"[^a-z0-9]")


def prompt_id(text: str) -> str:
    """A short, stable id for an English prompt, to name a recording of it.

    The first six words, lowercased, with everything but a-z and 0-9 removed (a
    `%(name)s` value counts as the word `name`), joined by "-", then "-" and the first six
    hex digits of the SHA-256 of the whole English text. The words make it readable; the
    hash keeps prompts that start alike apart ("Sorry, that PIN did not work. The PIN..."
    and "Sorry, that PIN did not work three times...") and changes when the wording
    changes, so a stale recording is noticed: "welcome-to-the-meeting-line-1a2b3c".
    """
    words = (_NOT_WORD.sub("", word) for word in _PLACEHOLDER.sub(r"\1", text).lower().split())
    slug = "-".join([word for word in words if word][:PROMPT_WORDS])
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{slug}-{digest}" if slug else digest
