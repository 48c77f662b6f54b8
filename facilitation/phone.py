"""The phone call as a conversation: what the caller hears and what their keys do.

Pure: no I/O, no clock, no database. Both phone dialects (TwiML providers and a PBX in
front of Jigasi) feed keypad digits in and render the replies out; this module decides.

A call goes: choose a language (only when several are offered) -> type the PIN (three
tries) -> in the meeting (`*9` raises or lowers the hand, 1-9 answer a keypad warm-up) ->
when the meeting leg ends and the caller is still there, the keypad check-out (how are
you feeling, would you like a call back) -> goodbye.

Prompts are English source strings marked with N_; the adapters translate them into the
call's language with the service's gettext catalogues.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from facilitation.checkout import Contact, Feeling


def N_(message: str) -> str:
    return message


DIGITS = re.compile(r"[0-9*#]{1,12}")
MAX_TRIES = 3
HAND_TOGGLE = "*9"
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg", "es": "Español", "fr": "Français"}


class Step(StrEnum):
    LANGUAGE = "language"
    PIN = "pin"
    MEETING = "meeting"
    FEELING = "feeling"
    CALLBACK = "callback"
    DONE = "done"
    LOCKED = "locked"


class BadDigits(ValueError):
    """Keypad input that is not 1 to 12 of 0-9, * and #."""


# What providers send instead of a number when the caller withholds it (Twilio's stand-ins
# for anonymous, unknown, blocked, restricted and unavailable, and common PBX words).
WITHHELD = frozenset(
    {
        "+266696687",
        "+86282452253",
        "+8656696687",
        "+7378742833",
        "+2562533",
        "anonymous",
        "restricted",
        "unknown",
        "unavailable",
        "private",
        "withheld",
    }
)


def caller_number(caller: str) -> str:
    """The caller's digits, or "" when there is no usable number (withheld, too short)."""
    text = caller.strip()
    digits = "".join(c for c in text if c.isdigit())
    if text.lower() in WITHHELD or len(digits) < 6:
        return ""
    return digits


def check_digits(digits: str) -> str:
    if not DIGITS.fullmatch(digits):
        raise BadDigits("digits must be 1 to 12 of 0-9, * and #")
    return digits


@dataclass(frozen=True)
class Say:
    """Something spoken: N_-marked English text and its %(name)s values, in the reply's
    language unless `language` says otherwise."""

    text: str
    values: Mapping[str, str] = field(default_factory=dict)
    language: str | None = None


@dataclass(frozen=True)
class Gather:
    """Wait for up to `max_digits` keys (# ends early), then post them back."""

    max_digits: int
    timeout_seconds: int = 10


@dataclass(frozen=True)
class Connect:
    """Put the caller into the meeting through Jigasi."""

    room_jid: str


@dataclass(frozen=True)
class Hangup:
    pass


Next = Gather | Connect | Hangup


@dataclass(frozen=True)
class Reply:
    """What the caller hears, in `language`, and what happens after."""

    say: tuple[Say, ...]
    then: Next
    language: str


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
    keypad_answer: int | None = None  # 1-9 during a keypad warm-up
    checkout: bool = False  # the check-out is complete: store state.feeling/contact
    missed_checkout: bool = False  # they could not or would not answer


@dataclass(frozen=True)
class Outcome:
    state: CallState
    reply: Reply | None  # None: nothing to say (a keypress during the meeting)
    effect: Effect = field(default_factory=Effect)


PinLookup = Callable[[str], str | None]

WELCOME = Say(N_("Welcome to the meeting line."))
ASK_PIN = Say(N_("Please type the meeting PIN, then press the hash key."))
PIN_HELP = Say(
    N_(
        "Sorry, that PIN did not work. The PIN is the %(length)s digit number on your "
        "invitation. Please type it again, then press the hash key."
    )
)
NO_DIGITS = Say(N_("Sorry, I did not hear any keys."))
LOCKED_OUT = Say(
    N_(
        "Sorry, that PIN did not work three times. Please check the PIN with the person who "
        "invited you, then call again. Goodbye."
    )
)
CONNECTING = Say(
    N_(
        "Thank you. Connecting you to the meeting now. During the meeting, press star then 9 "
        "to raise or lower your hand."
    )
)
ASK_FEELING = Say(
    N_(
        "Before you go, how are you feeling after the meeting? Press 1 if you are feeling OK. "
        "Press 2 if you are not sure. Press 3 if you are struggling."
    )
)
ASK_CALLBACK = Say(N_("Would you like someone to call you back? Press 1 for yes. Press 2 for no."))
NOT_AN_OPTION = Say(N_("Sorry, that is not one of the choices."))
CALLBACK_YES = Say(N_("Thank you. Someone will call you back on this number."))
THANKS = Say(N_("Thank you for coming, and for telling us how you are. Take care. Goodbye."))
GOODBYE = Say(N_("Thank you for coming. Take care. Goodbye."))
UNREACHABLE = Say(
    N_(
        "Sorry, the meeting could not be reached just now. Please try again in a few "
        "minutes. Goodbye."
    )
)
CHOOSE_LANGUAGE = N_("For %(language)s, press %(key)s.")

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
    if len(keys) == 1 and keys in "123456789":
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


def spoken(say: Say, language: str, translate: Callable[[str, str], str]) -> str:
    """The words to speak: `translate(language, text)` with the values filled in. A
    translation whose placeholders do not fit falls back to the English source."""
    text = translate(language, say.text)
    if say.values:
        try:
            text = text % say.values
        except (KeyError, ValueError, TypeError):
            text = say.text % say.values
    return text
