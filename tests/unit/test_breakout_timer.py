"""The breakout round's clock (facilitation.breakouts.timer): limits, warnings one at a
time, extending, and the warning rules under any polling (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.breakouts.timer import (
    MAX_MINUTES,
    WARNINGS,
    Round,
    TimerError,
    due,
    extend,
    is_over,
    mark_warned,
    seconds_left,
    start,
)

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_round_ends_after_its_minutes() -> None:
    round_ = start(T0, 10)
    assert round_ == Round(T0, at(600))
    assert seconds_left(round_, at(0.5)) == 600, "rounded up"
    assert seconds_left(round_, at(599.001)) == 1
    assert not is_over(round_, at(599.999))
    assert is_over(round_, at(600))
    assert seconds_left(round_, at(700)) == 0


@pytest.mark.parametrize("minutes", [0, -1, MAX_MINUTES + 1])
def test_start_refuses_impossible_lengths(minutes: int) -> None:
    with pytest.raises(TimerError, match="1 to 180 minutes"):
        start(T0, minutes)


def test_times_must_carry_a_time_zone() -> None:
    naive = datetime(2026, 11, 23, 10, 0)
    with pytest.raises(TimerError, match="time zone"):
        start(naive, 5)
    round_ = start(T0, 5)
    for call in (
        lambda: due(round_, naive),
        lambda: seconds_left(round_, naive),
        lambda: is_over(round_, naive),
        lambda: extend(round_, 1, naive),
    ):
        with pytest.raises(TimerError):
            call()


def test_any_time_zone_will_do() -> None:
    round_ = start(T0.astimezone(timezone(timedelta(hours=-5))), 5)
    assert seconds_left(round_, at(60)) == 240


def test_warnings_come_one_at_a_time() -> None:
    round_ = start(T0, 10)
    assert due(round_, at(479)) is None
    assert due(round_, at(480)) == 120
    round_ = mark_warned(round_, 120)
    assert due(round_, at(500)) is None
    assert due(round_, at(570)) == 30
    round_ = mark_warned(round_, 30)
    assert round_.warned == (120, 30)
    assert due(round_, at(590)) is None


def test_only_the_most_urgent_warning_when_both_have_passed() -> None:
    round_ = start(T0, 10)
    assert due(round_, at(580)) == 30
    round_ = mark_warned(round_, 30)
    assert round_.warned == (120, 30), "the larger one is done too"
    assert due(round_, at(585)) is None


def test_no_warnings_once_the_round_is_over() -> None:
    assert due(start(T0, 10), at(600)) is None


def test_a_short_round_has_no_warning_it_is_already_past() -> None:
    round_ = start(T0, 1)
    assert round_.warned == (120,)
    assert due(round_, at(1)) is None
    assert due(round_, at(30)) == 30
    assert start(T0, 2).warned == (120,), "no 2-minute warning at the very start"
    assert start(T0, 3).warned == ()


def test_mark_warned_knows_the_thresholds() -> None:
    with pytest.raises(TimerError, match="no 60-second warning"):
        mark_warned(start(T0, 5), 60)


def test_extending_re_arms_the_warnings_in_the_future_again() -> None:
    round_ = mark_warned(mark_warned(start(T0, 10), 120), 30)
    longer = extend(round_, 5, at(590))
    assert longer.ends_at == at(900)
    assert longer.warned == ()
    assert due(longer, at(780)) == 120
    shorter_gap = extend(round_, 1, at(590))  # 70 s left: only the 30 s warning again
    assert shorter_gap.ends_at == at(660)
    assert shorter_gap.warned == (120,)
    assert due(shorter_gap, at(600)) is None
    assert due(shorter_gap, at(630)) == 30
    assert shorter_gap.opened_at == T0


def test_extending_an_ended_round_counts_from_now() -> None:
    round_ = start(T0, 10)
    again = extend(round_, 3, at(700))
    assert again.ends_at == at(880)
    assert not is_over(again, at(700))
    assert due(again, at(760)) == 120


@pytest.mark.parametrize("minutes", [0, 61])
def test_extend_refuses_impossible_lengths(minutes: int) -> None:
    with pytest.raises(TimerError, match="1 to 60 minutes"):
        extend(start(T0, 10), minutes, at(1))


STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(0, 200)),
        st.tuples(st.just("extend"), st.integers(1, 5)),
    ),
    max_size=30,
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.integers(1, 15), STEPS)
def test_warnings_are_never_doubled_nor_given_late(
    minutes: int, steps: list[tuple[str, int]]
) -> None:
    """Polled at any pace: never two warnings at one poll, none after the end, none for a
    moment already gone when the round started or was extended, and each warning at most
    once per extension."""
    now = T0
    round_ = start(now, minutes)
    heard: list[int] = []
    for kind, amount in steps:
        if kind == "wait":
            now += timedelta(seconds=amount)
        else:
            round_ = extend(round_, amount, now)
            assert all(round_.ends_at - timedelta(seconds=t) <= now for t in round_.warned)
            heard = []
        threshold = due(round_, now)
        if threshold is None:
            continue
        assert threshold in WARNINGS
        assert not is_over(round_, now)
        assert seconds_left(round_, now) <= threshold
        assert threshold not in heard
        assert all(t > threshold or t not in round_.warned for t in WARNINGS)
        round_ = mark_warned(round_, threshold)
        assert due(round_, now) is None
        heard.append(threshold)
    assert 0 <= seconds_left(round_, now) <= (minutes + 5 * len(steps)) * 60
