"""Warm-up votes (facilitation.warmups.answers): poll and keypad answers merged, one vote
per person (the last before close wins), pass never counted as a choice, nothing after
close; by example and for any sequence of answers and closes (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.warmups import (
    PASS,
    Tally,
    answered,
    close,
    counts,
    open_tally,
    passes,
    valid,
    vote,
)


def test_web_and_keypad_answers_count_together() -> None:
    tally = open_tally(3)
    tally = vote(tally, "web:amy", 1)
    tally = vote(tally, "phone:ben", 3)
    tally = vote(tally, "phone:cat", PASS)
    tally = vote(tally, "web:dan", 1)
    assert counts(tally) == (2, 0, 1)
    assert passes(tally) == 1
    assert answered(tally) == 4


def test_a_changed_answer_replaces_the_earlier_one() -> None:
    tally = vote(vote(open_tally(2), "phone:ben", 1), "phone:ben", 2)
    assert counts(tally) == (0, 1) and answered(tally) == 1
    tally = vote(tally, "phone:ben", PASS)
    assert counts(tally) == (0, 0) and passes(tally) == 1 and answered(tally) == 1
    assert vote(tally, "phone:ben", PASS) is tally


def test_after_close_nothing_changes() -> None:
    tally = close(vote(open_tally(2), "web:amy", 1))
    assert tally.closed
    assert vote(tally, "web:amy", 2) == tally
    assert vote(tally, "phone:late", 1) == tally
    assert close(tally) is tally


def test_answers_outside_the_choices_are_refused() -> None:
    tally = open_tally(4)
    assert [valid(tally, n) for n in (-1, 0, 1, 4, 5)] == [False, True, True, True, False]
    assert not valid(tally, True)  # a bool is not a key
    for bad in (-1, 5):
        with pytest.raises(ValueError, match="not 0"):
            vote(tally, "web:amy", bad)
    with pytest.raises(ValueError, match="not 0"):
        vote(close(tally), "web:amy", 9)


def test_a_vote_needs_a_choice() -> None:
    with pytest.raises(ValueError, match="at least one"):
        open_tally(0)
    assert open_tally(1) == Tally(1)


def test_the_tally_is_not_changed_in_place() -> None:
    before = open_tally(2)
    after = vote(before, "web:amy", 1)
    assert before.votes == {} and after.votes == {"web:amy": 1}


# --- any sequence of answers and closes -------------------------------------------------

VOTERS = st.sampled_from(["web:1", "web:2", "phone:1", "phone:2", "phone:3", "web:phone:1"])


@st.composite
def events(draw: st.DrawFn) -> tuple[int, list[tuple[str, int] | None]]:
    """A number of choices, then answers (voter, answer) with closes (None) in between."""
    choices = draw(st.integers(min_value=1, max_value=9))
    answer = st.tuples(VOTERS, st.integers(min_value=0, max_value=choices))
    return choices, draw(st.lists(st.one_of(answer, st.none()), max_size=40))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(events())
def test_one_vote_per_person_the_last_before_close_wins(
    case: tuple[int, list[tuple[str, int] | None]],
) -> None:
    choices, happened = case
    tally = open_tally(choices)
    expected: dict[str, int] = {}
    closed = False
    for event in happened:
        if event is None:
            tally, closed = close(tally), True
            continue
        voter, answer = event
        assert valid(tally, answer)
        tally = vote(tally, voter, answer)
        if not closed:
            expected[voter] = answer
    assert tally.closed == closed
    assert dict(tally.votes) == expected, "the last answer before close, per person"
    per_choice = counts(tally)
    assert len(per_choice) == choices
    assert list(per_choice) == [
        sum(a == n for a in expected.values()) for n in range(1, choices + 1)
    ]
    assert passes(tally) == sum(a == PASS for a in expected.values())
    assert sum(per_choice) + passes(tally) == answered(tally) == len(expected)
