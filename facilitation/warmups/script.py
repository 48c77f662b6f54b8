"""What to say about a warm-up to people on the phone: N_-marked English sentences with
their %(name)s values, for the facilitator's read-aloud script and for the spoken prompt.
The keys they name are fixed: 0 is pass (`PASS`), a scale runs 1 to 5, a guess 1 to 9.
Whoever shows or speaks them translates the sentence (and the values that are catalogue
texts, such as an option) into the listener's language, then fills the values in."""

from __future__ import annotations

from collections.abc import Mapping

from facilitation.i18n import N_
from facilitation.warmups.model import Format, WarmUp

Sentence = tuple[str, Mapping[str, str]]


PRESS_OPTION = N_("Press %(key)s for %(option)s.")
PRESS_PASS = N_("Press 0 to pass.")
PRESS_SCALE = N_("Press 1 for %(low)s, up to 5 for %(high)s.")
PRESS_NUMBER = N_("Press a number from 1 to 9.")
GO_ROUND = N_("When it is your turn, say your answer, or press 0 to pass.")
CHAT = N_("Type your answer in the chat. Start with your name if you want it shown.")
PLEASE_PRESS = N_("Please press 1 to %(n)s, or 0 to pass.")


def keypad_instructions(warmup: WarmUp) -> tuple[Sentence, ...]:
    """How to answer, in order: one sentence per key, then pass (or one sentence for a go
    round or a chat prompt)."""
    if warmup.format in (Format.CHOICE, Format.WOULD_YOU_RATHER):
        keys: tuple[Sentence, ...] = tuple(
            (PRESS_OPTION, {"key": str(number), "option": option})
            for number, option in enumerate(warmup.options, start=1)
        )
    elif warmup.format is Format.SCALE:
        low, high = warmup.options
        keys = ((PRESS_SCALE, {"low": low, "high": high}),)
    elif warmup.format is Format.GUESS:
        keys = ((PRESS_NUMBER, {}),)
    elif warmup.format is Format.GO_ROUND:
        return ((GO_ROUND, {}),)
    else:
        return ((CHAT, {}),)
    return (*keys, (PRESS_PASS, {}))


def please_press(choices: int) -> Sentence:
    """The reminder after a key that is not one of the choices."""
    return (PLEASE_PRESS, {"n": str(choices)})
