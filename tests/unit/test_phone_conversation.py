"""The phone conversation (facilitation.phone): every step, and no key sequence breaks it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation import phone
from facilitation.checkout import Contact, Feeling
from facilitation.phone import (
    BadDigits,
    CallState,
    Connect,
    Gather,
    Hangup,
    Step,
    meeting_left,
    press,
    start,
)

ROOM = "catchup@muc.meet.jitsi"
PINS = {"4817263": ROOM}
EN = ("en",)


def go(state: CallState, digits: str, languages: tuple[str, ...] = EN) -> phone.Outcome:
    return press(state, digits, languages=languages, pin_length=7, lookup=PINS.get)


def test_one_language_goes_straight_to_the_pin() -> None:
    outcome = start(EN, 7)
    assert outcome.state.step is Step.PIN
    assert outcome.reply is not None
    assert outcome.reply.then == Gather(8)
    assert outcome.reply.say == (phone.WELCOME, phone.ASK_PIN)


def test_several_languages_offer_a_choice_first() -> None:
    outcome = start(("en", "cy"), 7)
    assert outcome.state.step is Step.LANGUAGE
    assert outcome.reply is not None
    assert [say.values["key"] for say in outcome.reply.say] == ["1", "2"]
    chosen = go(outcome.state, "2", ("en", "cy"))
    assert chosen.state.step is Step.PIN
    assert chosen.state.language == "cy"


def test_a_good_pin_connects_to_the_room() -> None:
    outcome = go(start(EN, 7).state, "4817263#")
    assert outcome.state.step is Step.MEETING
    assert outcome.state.room_jid == ROOM
    assert outcome.reply is not None
    assert outcome.reply.then == Connect(ROOM)


def test_three_wrong_pins_lock_the_call_with_help_each_time() -> None:
    state = start(EN, 7).state
    first = go(state, "1111111#")
    assert first.state.step is Step.PIN
    assert first.reply is not None
    assert "7 digit" in first.reply.say[0].text % first.reply.say[0].values
    silent = go(first.state, "")
    assert silent.reply is not None
    assert silent.reply.say[0] == phone.NO_DIGITS
    third = go(silent.state, "2222222#")
    assert third.state.step is Step.LOCKED
    assert third.reply is not None
    assert third.reply.then == Hangup()
    # A locked call stays locked whatever is pressed next.
    assert go(third.state, "4817263#").state.step is Step.LOCKED


def test_star_9_toggles_the_hand_and_digits_answer_warm_ups() -> None:
    state = go(start(EN, 7).state, "4817263#").state
    # *9 only says what was pressed: the speaking queue, which owns hands, decides
    # whether that raises or lowers it.
    up = go(state, "*9")
    assert up.effect.hand is phone.HandMove.TOGGLE
    assert up.reply is None
    down = go(up.state, "*9")
    assert down.effect.hand is phone.HandMove.TOGGLE
    assert go(down.state, "7").effect.keypad_answer == 7
    assert go(down.state, "0").effect.keypad_answer == 0  # pass, in a warm-up
    assert go(down.state, "*8").effect == phone.Effect(go_to_group=True)
    assert go(down.state, "#").effect == phone.Effect()


def test_keypad_checkout_after_the_meeting() -> None:
    in_meeting = go(go(start(EN, 7).state, "4817263#").state, "*9").state
    asked = meeting_left(in_meeting)
    assert asked.state.step is Step.FEELING
    assert asked.effect.hand is phone.HandMove.DOWN  # the hand goes down with the meeting
    assert asked.reply is not None
    assert asked.reply.say == (phone.ASK_FEELING,)
    feeling = go(asked.state, "3")
    assert feeling.state.feeling is Feeling.STRUGGLING
    assert feeling.state.step is Step.CALLBACK
    done = go(feeling.state, "1")
    assert done.state.contact is Contact.CALL_LATER
    assert done.effect.checkout is True
    assert done.reply is not None
    assert done.reply.then == Hangup()
    assert phone.CALLBACK_YES in done.reply.say


@pytest.mark.parametrize(
    ("key", "feeling"), [("1", Feeling.OK), ("2", Feeling.NOT_SURE), ("3", Feeling.STRUGGLING)]
)
def test_each_feeling_key(key: str, feeling: Feeling) -> None:
    state = CallState(Step.FEELING, "en", room_jid=ROOM)
    assert go(state, key).state.feeling is feeling


def test_no_answer_to_the_feeling_is_a_missed_checkout() -> None:
    state = CallState(Step.FEELING, "en", room_jid=ROOM)
    for _ in range(2):
        outcome = go(state, "9")
        assert outcome.state.step is Step.FEELING
        state = outcome.state
    last = go(state, "")
    assert last.state.step is Step.DONE
    assert last.effect.missed_checkout is True


def test_hanging_up_mid_checkout_keeps_what_was_said() -> None:
    state = CallState(Step.CALLBACK, "en", room_jid=ROOM, feeling=Feeling.OK)
    assert phone.hung_up(state).checkout is True
    assert phone.hung_up(CallState(Step.MEETING, "en")) == phone.Effect(
        hand=phone.HandMove.DOWN, missed_checkout=True
    )
    assert phone.hung_up(CallState(Step.FEELING, "en")).hand is None  # already down


@pytest.mark.parametrize("digits", ["12a", "1" * 13, " 1", "#\n"])
def test_bad_digits_are_refused(digits: str) -> None:
    with pytest.raises(BadDigits):
        go(start(EN, 7).state, digits)


@settings(max_examples=1000, derandomize=True)
@given(st.lists(st.text(alphabet="0123456789*#", min_size=0, max_size=12), max_size=12))
def test_no_key_sequence_breaks_the_conversation(presses: list[str]) -> None:
    outcome = start(("en", "cy"), 7)
    for digits in presses:
        outcome = go(outcome.state, digits, ("en", "cy"))
        if outcome.state.step is Step.MEETING:
            outcome = meeting_left(outcome.state)
        assert outcome.state.tries <= phone.MAX_TRIES
        if outcome.state.step in (Step.DONE, Step.LOCKED):
            assert outcome.reply is not None
            assert outcome.reply.then == Hangup()
