"""Who a digit is for (facilitation.chat_digits): a running warm-up and people choosing
their breakout group both read "2", so only one may be live, and the other is refused."""

from __future__ import annotations

import pytest

from facilitation.breakouts import Method
from facilitation.chat_digits import (
    REFUSALS,
    Starting,
    choosing_open,
    picks_count,
    refusal,
)


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("state", ["none", "planning", "open", "closing", "closed"])
def test_people_choose_only_while_a_choose_plan_is_not_yet_open(state: str, method: Method) -> None:
    expected = state == "planning" and method is Method.CHOOSE
    assert choosing_open(state, method) is expected


def test_without_a_plan_nobody_chooses() -> None:
    assert choosing_open("planning", None) is False


def test_a_warm_up_is_refused_while_people_choose() -> None:
    assert refusal(Starting.WARMUP, warmup_running=False, choosing=True) == (
        "People are choosing their groups. Start the warm-up once the groups are open, "
        "or change how groups are made."
    )


def test_choosing_is_refused_while_a_warm_up_runs() -> None:
    assert refusal(Starting.CHOOSING, warmup_running=True, choosing=False) == (
        "A warm-up is running. Close it before people choose their groups."
    )


@pytest.mark.parametrize("starting", list(Starting))
def test_with_nothing_else_live_either_may_start(starting: Starting) -> None:
    assert refusal(starting, warmup_running=False, choosing=False) is None


def test_each_is_refused_only_by_the_other() -> None:
    # A second warm-up is the warm-up desk's own business ("close it first"), and a new
    # plan where people choose simply replaces the one where they already do.
    assert refusal(Starting.WARMUP, warmup_running=True, choosing=False) is None
    assert refusal(Starting.CHOOSING, warmup_running=False, choosing=True) is None


@pytest.mark.parametrize("starting", list(Starting))
def test_if_both_are_live_neither_may_start_again(starting: Starting) -> None:
    assert refusal(starting, warmup_running=True, choosing=True) == REFUSALS[starting]


@pytest.mark.parametrize(
    ("warmup_running", "choosing", "counts"),
    [(False, True, True), (True, True, False), (False, False, False), (True, False, False)],
)
def test_a_digit_is_a_pick_only_while_people_choose_and_no_warm_up_runs(
    warmup_running: bool, choosing: bool, counts: bool
) -> None:
    assert picks_count(warmup_running=warmup_running, choosing=choosing) is counts


def test_every_refusal_is_a_plain_sentence_with_no_values_to_fill() -> None:
    assert set(REFUSALS) == set(Starting)
    for text in REFUSALS.values():
        assert text.endswith(".") and "%(" not in text and len(text) < 160
