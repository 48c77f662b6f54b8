"""Everything a caller is told, as English source strings marked with N_: the adapters
translate them into the call's language with the service's gettext catalogues."""

from __future__ import annotations

from facilitation.i18n import N_
from facilitation.phone.replies import Say

LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg", "es": "Español", "fr": "Français"}

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

MOVING = Say(N_("One moment. Moving you now."))
