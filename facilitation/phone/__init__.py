"""The phone call, pure: no I/O, no clock, no database. Both phone dialects (TwiML providers
and a PBX in front of Jigasi) feed keypad digits in and render the replies out; this package
decides.

- `conversation`: the steps of a call and what each key does (`start`, `press`,
  `meeting_left`, `hung_up`), with the `Effect` on the meeting and the check-out.
- `replies`: what the caller hears and what happens next, which each dialect renders.
- `prompts`: every sentence a caller hears, N_-marked English for gettext.
- `caller_input`: keypad digits checked, and the caller's number when there is one.
"""

from facilitation.i18n import N_
from facilitation.phone.caller_input import (
    DIGITS,
    WITHHELD,
    BadDigits,
    caller_number,
    check_digits,
)
from facilitation.phone.conversation import (
    HAND_TOGGLE,
    KEYPAD_FEELINGS,
    MAX_TRIES,
    CallState,
    Effect,
    HandMove,
    Outcome,
    PinLookup,
    Step,
    hung_up,
    joined_directly,
    meeting_left,
    press,
    start,
)
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
    UNREACHABLE,
    WELCOME,
)
from facilitation.phone.replies import Connect, Gather, Hangup, Next, Reply, Say, spoken

__all__ = [
    "ASK_CALLBACK",
    "ASK_FEELING",
    "ASK_PIN",
    "CALLBACK_YES",
    "CHOOSE_LANGUAGE",
    "CONNECTING",
    "DIGITS",
    "GOODBYE",
    "HAND_TOGGLE",
    "KEYPAD_FEELINGS",
    "LANGUAGE_NAMES",
    "LOCKED_OUT",
    "MAX_TRIES",
    "NOT_AN_OPTION",
    "NO_DIGITS",
    "N_",
    "PIN_HELP",
    "THANKS",
    "UNREACHABLE",
    "WELCOME",
    "WITHHELD",
    "BadDigits",
    "CallState",
    "Connect",
    "Effect",
    "Gather",
    "HandMove",
    "Hangup",
    "Next",
    "Outcome",
    "PinLookup",
    "Reply",
    "Say",
    "Step",
    "caller_number",
    "check_digits",
    "hung_up",
    "joined_directly",
    "meeting_left",
    "press",
    "spoken",
    "start",
]
