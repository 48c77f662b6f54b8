"""The phone call as a conversation: what each key does at each step, and what to answer.

A call goes: choose a language (only when several are offered) -> type the PIN (three
tries) -> in the meeting (`*9` raises or lowers the hand, `*8` goes to the caller's breakout group, 0-9 answer a keypad warm-up with 0 as pass) ->
when the meeting leg ends and the caller is still there, the keypad check-out (how are
you feeling, would you like a call back) -> goodbye.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from facilitation.checkout import Contact, Feeling
from facilitation.phone.caller_input import check_digits
from facilitation.phone.prompts import (
    ASK_CALLBACK,
    ASK_FEELING,
    ASK_PIN,
    CALLBACK_YES,
    CHOOSE_LANGUAGE,
    CONNECTING,
    GOODBYE,
    LANGUAGE_NAMES,
    LOCKED_OUT,
    NO_DIGITS,
    NOT_AN_OPTION,
    PIN_HELP,
    THANKS,
    WELCOME,
)
from facilitation.phone.replies import Connect, Gather, Hangup, Reply, Say

MAX_TRIES = 3
HAND_TOGGLE = "*9"
GROUP_KEY = "*8"  # to the room the caller's breakout group is in (or back from it)


class Step(StrEnum):
    LANGUAGE = "language"
    PIN = "pin"
    MEETING = "meeting"
    FEELING = "feeling"
    CALLBACK = "callback"
    DONE = "done"
    LOCKED = "locked"


class HandMove(StrEnum):
    TOGGLE = "toggle"
    DOWN = "down"


@dataclass(frozen=True)
class CallState:
    """Everything the conversation needs to remember between keypresses."""

    step: Step
    language: str
    tries: int = 0
    room_jid: str | None = None
    feeling: Feeling | None = None
    contact: Contact | None = None
    can_call_back: bool = True  # False when the number is withheld: nothing to call


@dataclass(frozen=True)
class Effect:
    """What the service must do besides answering: for the meeting and the check-out."""

    # `*9` (the speaking queue raises the hand, or lowers it if it is up), or "down" when
    # the caller leaves the meeting. The queue owns hands: the call only says what happened.
    hand: HandMove | None = None
    keypad_answer: int | None = None  # 0-9 during a keypad warm-up (0 is pass)
    checkout: bool = False  # the check-out is complete: store state.feeling/contact
    go_to_group: bool = False  # `*8`: connect the call where its breakout group is
    missed_checkout: bool = False  # they could not or would not answer


@dataclass(frozen=True)
class Outcome:
    state: CallState
    reply: Reply | None  # None: nothing to say (a keypress during the meeting)
    effect: Effect = field(default_factory=Effect)


PinLookup = Callable[[str], str | None]

KEYPAD_FEELINGS = {"1": Feeling.OK, "2": Feeling.NOT_SURE, "3": Feeling.STRUGGLING}


def start(languages: tuple[str, ...], pin_length: int) -> Outcome:
    """A new call: choose a language when there are several, else ask for the PIN."""
    if len(languages) > 1:
        state = CallState(Step.LANGUAGE, languages[0])
        return Outcome(state, _language_menu(languages))
    state = CallState(Step.PIN, languages[0])
    return Outcome(state, Reply((WELCOME, ASK_PIN), Gather(pin_length + 1), state.language))


def joined_directly(language: str, room_jid: str) -> CallState:
    """A PBX that asked for the PIN itself: the call starts in the meeting."""
    return CallState(Step.MEETING, language, room_jid=room_jid)


def _language_menu(languages: tuple[str, ...]) -> Reply:
    # Each option is spoken in its own language, so everyone hears theirs.
    say = tuple(
        Say(
            CHOOSE_LANGUAGE,
            {"language": LANGUAGE_NAMES.get(code, code), "key": str(n)},
            language=code,
        )
        for n, code in enumerate(languages, start=1)
    )
    return Reply(say, Gather(1), languages[0])


def press(
    state: CallState,
    digits: str,
    *,
    languages: tuple[str, ...],
    pin_length: int,
    lookup: PinLookup,
) -> Outcome:
    """The caller pressed keys (`digits` may be "" when they pressed nothing in time)."""
    if digits:
        check_digits(digits)
    keys = digits.rstrip("#")
    if state.step is Step.LANGUAGE:
        return _choose_language(state, keys, languages, pin_length)
    if state.step is Step.PIN:
        return _pin(state, keys, pin_length, lookup)
    if state.step is Step.MEETING:
        return _in_meeting(state, keys)
    if state.step is Step.FEELING:
        return _feeling(state, keys)
    if state.step is Step.CALLBACK:
        return _callback(state, keys)
    return Outcome(state, Reply((), Hangup(), state.language))  # DONE or LOCKED: nothing more


def _choose_language(
    state: CallState, keys: str, languages: tuple[str, ...], pin_length: int
) -> Outcome:
    if keys.isdigit() and 1 <= int(keys) <= len(languages):
        chosen = languages[int(keys) - 1]
    elif state.tries + 1 < MAX_TRIES:
        retry = replace(state, tries=state.tries + 1)
        menu = _language_menu(languages)
        return Outcome(retry, replace(menu, say=(NOT_AN_OPTION, *menu.say)))
    else:
        chosen = languages[0]  # carry on in the first language rather than hang up
    nxt = CallState(Step.PIN, chosen)
    return Outcome(nxt, Reply((WELCOME, ASK_PIN), Gather(pin_length + 1), chosen))


def _pin(state: CallState, keys: str, pin_length: int, lookup: PinLookup) -> Outcome:
    room = lookup(keys) if keys.isdigit() else None
    if room is not None:
        nxt = CallState(Step.MEETING, state.language, room_jid=room)
        return Outcome(nxt, Reply((CONNECTING,), Connect(room), state.language))
    tries = state.tries + 1
    if tries >= MAX_TRIES:
        locked = replace(state, step=Step.LOCKED, tries=tries)
        return Outcome(locked, Reply((LOCKED_OUT,), Hangup(), state.language))
    help_text = Say(PIN_HELP.text, {"length": str(pin_length)})
    say = (NO_DIGITS, ASK_PIN) if not keys else (help_text,)
    return Outcome(replace(state, tries=tries), Reply(say, Gather(pin_length + 1), state.language))


def _in_meeting(state: CallState, keys: str) -> Outcome:
    if keys == HAND_TOGGLE:
        return Outcome(state, None, Effect(hand=HandMove.TOGGLE))
    if keys == GROUP_KEY:
        return Outcome(state, None, Effect(go_to_group=True))
    if len(keys) == 1 and keys in "0123456789":  # 0: pass, in a warm-up
        return Outcome(state, None, Effect(keypad_answer=int(keys)))
    return Outcome(state, None)  # other keys mean nothing during the meeting


def meeting_left(state: CallState) -> Outcome:
    """The meeting leg ended and the caller is still on the line: the keypad check-out."""
    if state.step is not Step.MEETING:
        return Outcome(state, Reply((), Hangup(), state.language))
    nxt = CallState(Step.FEELING, state.language, room_jid=state.room_jid)
    effect = Effect(hand=HandMove.DOWN)
    return Outcome(nxt, Reply((ASK_FEELING,), Gather(1), state.language), effect)


def _feeling(state: CallState, keys: str) -> Outcome:
    feeling = KEYPAD_FEELINGS.get(keys)
    if feeling is not None and not state.can_call_back:
        # No number to call back: never offer what cannot be done.
        done = replace(state, step=Step.DONE, tries=0, feeling=feeling, contact=Contact.NONE)
        return Outcome(done, Reply((THANKS,), Hangup(), state.language), Effect(checkout=True))
    if feeling is not None:
        nxt = replace(state, step=Step.CALLBACK, tries=0, feeling=feeling)
        return Outcome(nxt, Reply((ASK_CALLBACK,), Gather(1), state.language))
    if state.tries + 1 < MAX_TRIES:
        say = (NOT_AN_OPTION, ASK_FEELING) if keys else (NO_DIGITS, ASK_FEELING)
        return Outcome(replace(state, tries=state.tries + 1), Reply(say, Gather(1), state.language))
    done = replace(state, step=Step.DONE)
    return Outcome(done, Reply((GOODBYE,), Hangup(), state.language), Effect(missed_checkout=True))


def _callback(state: CallState, keys: str) -> Outcome:
    if keys in ("1", "2"):
        contact = Contact.CALL_LATER if keys == "1" else Contact.NONE
        done = replace(state, step=Step.DONE, contact=contact)
        say = (CALLBACK_YES, THANKS) if keys == "1" else (THANKS,)
        return Outcome(done, Reply(say, Hangup(), state.language), Effect(checkout=True))
    if state.tries + 1 < MAX_TRIES:
        say = (NOT_AN_OPTION, ASK_CALLBACK) if keys else (NO_DIGITS, ASK_CALLBACK)
        return Outcome(replace(state, tries=state.tries + 1), Reply(say, Gather(1), state.language))
    # The feeling was answered: that is a check-out, without a call-back request.
    done = replace(state, step=Step.DONE, contact=Contact.NONE)
    return Outcome(done, Reply((THANKS,), Hangup(), state.language), Effect(checkout=True))


def hung_up(state: CallState) -> Effect:
    """The caller hung up. Part-way through the check-out still counts for what they said."""
    if state.step is Step.CALLBACK and state.feeling is not None:
        return Effect(checkout=True)
    if state.step in (Step.MEETING, Step.FEELING):
        hand = HandMove.DOWN if state.step is Step.MEETING else None
        return Effect(hand=hand, missed_checkout=True)
    return Effect()
