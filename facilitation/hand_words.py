"""Chat messages that raise or lower a hand, for people who cannot find the button. Pure."""

from __future__ import annotations

import re

HAND_WORDS = re.compile(r"^\s*(?:/?hand|\u270b(?:[\U0001f3fb-\U0001f3ff])?)\s*[.!]*\s*$", re.I)
LOWER_WORDS = re.compile(r"^\s*/?(?:lower|unhand|hand down)\s*[.!]*\s*$", re.I)


def chat_intent(text: str) -> bool | None:
    """A chat message that is just "hand", "/hand" or ✋ raises a hand; "lower" or
    "/lower" lowers it; anything else is ordinary chat (None)."""
    if HAND_WORDS.match(text):
        return True
    if LOWER_WORDS.match(text):
        return False
    return None
