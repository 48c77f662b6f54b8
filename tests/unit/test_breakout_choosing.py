"""A participant's own pick of a group (facilitation.breakouts.choosing): the chat forms
that count, the ordinary chat that does not, and keypad digits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.breakouts.choosing import chosen_group, keypad_group


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("group 2", 2),
        ("Group 2", 2),
        ("GROUP 2", 2),
        ("group2", 2),
        ("group #2", 2),
        ("g2", 2),
        ("G 2", 2),
        ("#2", 2),
        ("2", 2),
        ("  2  ", 2),
        ("join group 2", 2),
        ("Join Group 2!", 2),
        ("group two", 2),
        ("Group Ten.", 10),
        ("join group three", 3),
        ("group 12", 12),
        ("1", 1),
    ],
)
def test_picks_that_count(text: str, group: int) -> None:
    assert chosen_group(text, 12) == group


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "I was in group 2 last time",
        "group 2 please",
        "2 people",
        "group",
        "group 0",
        "0",
        "group 13",
        "group eleven",
        "two",
        "g two",
        "join 2",
        "group 2!!",
        "group 2?",
        "group -2",
        "group 2.5",
        "group 123",
        "group ٢",  # an Arabic-Indic digit: not on a keyboard people type picks with
        "hand",
    ],
)
def test_anything_else_is_ordinary_chat(text: str) -> None:
    assert chosen_group(text, 12) is None


def test_a_pick_must_be_one_of_the_groups() -> None:
    assert chosen_group("group 3", 3) == 3
    assert chosen_group("group 4", 3) is None
    assert chosen_group("group four", 3) is None
    assert chosen_group("1", 0) is None


@pytest.mark.parametrize(
    ("digits", "group"),
    [("2", 2), ("2#", 2), ("12", 12), ("12#", 12), ("50#", 50), (" 3 ", 3)],
)
def test_keypad_picks(digits: str, group: int) -> None:
    assert keypad_group(digits, 50) == group


@pytest.mark.parametrize("digits", ["", "#", "0", "0#", "51", "123", "2*", "*2", "2##", "a"])
def test_keypad_digits_that_are_not_a_group(digits: str) -> None:
    assert keypad_group(digits, 50) is None


def test_keypad_pick_must_be_one_of_the_groups() -> None:
    assert keypad_group("4#", 3) is None
    assert keypad_group("3#", 3) == 3


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.text(max_size=40), st.integers(0, 50))
def test_any_text_gives_none_or_a_group_in_range(text: str, groups: int) -> None:
    for found in (chosen_group(text, groups), keypad_group(text, groups)):
        assert found is None or 1 <= found <= groups


@settings(max_examples=100, derandomize=True, deadline=None)
@given(st.integers(1, 50), st.sampled_from(["group {}", "g{}", "#{}", "{}", "join group {}"]))
def test_every_group_can_be_picked(number: int, form: str) -> None:
    assert chosen_group(form.format(number), 50) == number
    assert keypad_group(f"{number}#", 50) == number
