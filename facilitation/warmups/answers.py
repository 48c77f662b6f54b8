"""Answers to a warm-up vote, from the meeting's poll and from phone keypads alike. Pure.

One vote per person: a changed answer replaces the earlier one, whichever way it came in.
Answers are 1..choices, or `PASS` (0), which is counted apart and never as a choice. Once
the vote is closed, later answers change nothing. Voter keys are opaque to this module (the
desk uses e.g. "web:<id>" and "phone:<id>"), so a person counts once as long as they vote
under one key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from facilitation.warmups.model import PASS


@dataclass(frozen=True)
class Tally:
    choices: int  # how many options people choose from (answers 1..choices)
    votes: Mapping[str, int] = field(default_factory=dict)  # voter -> 1..choices, or PASS
    closed: bool = False


def open_tally(choices: int) -> Tally:
    if choices < 1:
        raise ValueError(f"a vote needs at least one choice, not {choices}")
    return Tally(choices)


def valid(tally: Tally, answer: int) -> bool:
    """Whether `answer` is one of the choices or pass."""
    return not isinstance(answer, bool) and PASS <= answer <= tally.choices


def vote(tally: Tally, voter: str, answer: int) -> Tally:
    """`voter` answers (again): the newest answer stands. After close, nothing changes.

    An answer that is not `valid` is a ValueError (callers check first)."""
    if not valid(tally, answer):
        raise ValueError(f"answer {answer} is not 0 (pass) or 1 to {tally.choices}")
    if tally.closed or tally.votes.get(voter) == answer:
        return tally
    return replace(tally, votes={**tally.votes, voter: answer})


def close(tally: Tally) -> Tally:
    return tally if tally.closed else replace(tally, closed=True)


def counts(tally: Tally) -> tuple[int, ...]:
    """How many chose each choice, first choice first; passes are not counted here."""
    per_choice = [0] * tally.choices
    for answer in tally.votes.values():
        if answer != PASS:
            per_choice[answer - 1] += 1
    return tuple(per_choice)


def passes(tally: Tally) -> int:
    return sum(answer == PASS for answer in tally.votes.values())


def answered(tally: Tally) -> int:
    """How many people answered, passes included."""
    return len(tally.votes)
