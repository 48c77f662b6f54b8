"""Who a digit is for: one typed in the meeting chat ("2") or pressed on a phone keypad. Pure.

Two things read digits. A running warm-up counts "2" as a vote (or, for a chat prompt, as
an answer), and a breakout round whose people choose their group counts "2" as a pick of
group 2. Both at once would do both, so in a session only one of them may be live: the one
already live keeps the digits, and starting the other is refused with a plain reason.

People are choosing while the round is a plan (not yet open) made with People choose: that
is when their picks count (from the moment the plan is made until the groups open).
"""

from __future__ import annotations

from enum import StrEnum

from facilitation.breakouts.model import Method
from facilitation.i18n import N_


class Starting(StrEnum):
    WARMUP = "warmup"  # running a warm-up
    CHOOSING = "choosing"  # a plan where people choose their group


REFUSALS = {
    Starting.WARMUP: N_(
        "People are choosing their groups. Start the warm-up once the groups are open, "
        "or change how groups are made."
    ),
    Starting.CHOOSING: N_("A warm-up is running. Close it before people choose their groups."),
}


def choosing_open(state: str, method: Method | None) -> bool:
    """Whether a breakout round in `state` ("none", "planning", "open", "closing",
    "closed") with a plan made by `method` (None: no plan) takes people's picks now."""
    return state == "planning" and method is Method.CHOOSE


def refusal(starting: Starting, *, warmup_running: bool, choosing: bool) -> str | None:
    """Why `starting` may not start now (an N_-marked English sentence), or None if it may.
    `choosing` is `choosing_open` of the session's round."""
    if starting is Starting.WARMUP and choosing:
        return REFUSALS[Starting.WARMUP]
    if starting is Starting.CHOOSING and warmup_running:
        return REFUSALS[Starting.CHOOSING]
    return None


def picks_count(*, warmup_running: bool, choosing: bool) -> bool:
    """Whether a digit is a pick of a group. Both are live only if one slipped past the
    refusal (two facilitators starting each at the same moment, or groups that could not
    open falling back to a plan where people choose): then the warm-up has the digits."""
    return choosing and not warmup_running
