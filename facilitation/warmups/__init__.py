"""Warm-ups, pure: the catalogue, choosing one, the answers, and what callers are told.

- `catalogue`: the catalogue files' TOML parsed and checked into `WarmUp`s (`model` holds
  the values), with a `CatalogueError` naming file, line and field for every mistake.
- `selection`: the facilitator's filters, the no-repeat rule over a group's last sessions,
  and a surprise pick.
- `answers`: a vote's `Tally`, poll and keypad answers merged, one per person, pass apart.
- `script`: the N_-marked sentences that tell phone callers which key to press.
"""

from facilitation.warmups.answers import (
    Tally,
    answered,
    close,
    counts,
    open_tally,
    passes,
    valid,
    vote,
)
from facilitation.warmups.catalogue import check_unique, parse_catalogue, texts_of
from facilitation.warmups.model import (
    MAX_OPTION,
    MAX_TEXT,
    PASS,
    CatalogueError,
    Energy,
    Format,
    WarmUp,
)
from facilitation.warmups.script import Sentence, keypad_instructions, please_press
from facilitation.warmups.selection import (
    NO_REPEAT_SESSIONS,
    Filters,
    default_filters,
    fits,
    matching,
    recently_played,
    surprise,
)

__all__ = [
    "MAX_OPTION",
    "MAX_TEXT",
    "NO_REPEAT_SESSIONS",
    "PASS",
    "CatalogueError",
    "Energy",
    "Filters",
    "Format",
    "Sentence",
    "Tally",
    "WarmUp",
    "answered",
    "check_unique",
    "close",
    "counts",
    "default_filters",
    "fits",
    "keypad_instructions",
    "matching",
    "open_tally",
    "parse_catalogue",
    "passes",
    "please_press",
    "recently_played",
    "surprise",
    "texts_of",
    "valid",
    "vote",
]
