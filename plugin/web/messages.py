"""User-facing messages produced in Python, marked for translation.

Plain English, short sentences: many readers are not confident online.
"""

from __future__ import annotations

from babel.support import NullTranslations

from facilitation.accounts import AccountProblem, Problem
from facilitation.checkout_form import Problem as CheckoutProblem
from facilitation.meeting_link import LinkProblem
from facilitation.passwords import PasswordPolicy, PasswordProblem
from plugin.i18n import N_

LINK = {
    LinkProblem.EMPTY: N_("Please paste the link to your meeting."),
    LinkProblem.NOT_A_LINK: N_(
        "That does not look like a web link. Copy the whole address from your browser, "
        "for example https://meet.example.org/OurMeeting."
    ),
    LinkProblem.WRONG_SERVER: N_(
        "That link is not on our Jitsi server. Use a meeting link that starts with: %(allowed)s"
    ),
    LinkProblem.NO_ROOM: N_(
        "The link has no meeting name at the end. It should look like %(example)s."
    ),
    LinkProblem.TOO_MANY_PARTS: N_(
        "The link has too many parts. A meeting link is the server, then the meeting name, "
        "like %(example)s."
    ),
    LinkProblem.BAD_CHARACTERS: N_(
        "Meeting names cannot contain spaces or these signs: ? & : \" ' %% # / @ < >"
    ),
    LinkProblem.TOO_LONG: N_("That meeting name is too long. Please use a shorter one."),
    LinkProblem.RESERVED: N_(
        "That is a page of the Jitsi server, not a meeting. Open your meeting and copy its link."
    ),
}

ACCOUNT = {
    AccountProblem.USERNAME: N_(
        "Use 2 to 64 letters, numbers, dots, dashes or underscores, "
        "starting with a letter or number."
    ),
    AccountProblem.DISPLAY_NAME: N_("Please give a name of up to 120 characters."),
    AccountProblem.ROLE: N_("Please choose a role."),
    AccountProblem.PASSWORD_MISMATCH: N_("The two passwords are not the same."),
}

PASSWORD = {
    PasswordProblem.TOO_SHORT: N_("The password needs at least %(min)d characters."),
    PasswordProblem.TOO_LONG: N_("The password can have at most %(max)d characters."),
    PasswordProblem.COMMON: N_("That password is too common. Try a few random words together."),
    PasswordProblem.CONTAINS_USERNAME: N_("The password must not contain the username."),
    PasswordProblem.REPETITIVE: N_(
        "The password repeats the same characters. Try a few random words."
    ),
}

USERNAME_TAKEN = N_("That username is already taken.")
CSRF_FAILED = N_(
    "This form has expired, so nothing was saved. Go back, reload the page and try again."
)
LOGIN_FAILED = N_("That username and password do not match. Please try again.")
LOGIN_THROTTLED = N_("Too many tries. Please wait %(minutes)d minutes, then try again.")
DATABASE_DOWN = N_(
    "We cannot reach our database right now, so nothing was saved. Please try again in a minute."
)
CONFLICT = N_("Someone changed this at the same moment, so nothing was saved. Please try again.")
BAD_VALUE = N_("Something in that request was not right, so nothing was saved.")
BAD_REQUEST = N_("We could not read what was sent, so nothing was saved. Go back and try again.")
GENERIC = N_("That did not work. Please go back and try again.")
NOT_FOUND = N_("We could not find that page.")
FORBIDDEN = N_("You do not have permission to do that.")
TOO_LARGE = N_("That was too much to send at once. Please send less.")


def describe(
    problems: list[Problem], translations: NullTranslations, policy: PasswordPolicy
) -> str:
    """Plain-language text for account problems, for the web form and the CLI alike."""
    params = {"min": policy.min_length, "max": policy.max_length}
    texts = (ACCOUNT[p] if isinstance(p, AccountProblem) else PASSWORD[p] for p in problems)
    return " ".join(translations.gettext(text) % params for text in texts)


CHECKOUT_FORM = {
    CheckoutProblem.NO_FEELING: N_(
        "Please choose how you are feeling. You can choose “I'd rather not say”."
    ),
    CheckoutProblem.BAD_CHOICE: N_("Please choose one of the answers."),
    CheckoutProblem.NO_PHONE: N_("Please give a phone number, so we can call you."),
    CheckoutProblem.BAD_PHONE: N_(
        "That does not look like a phone number. Please check it, for example 07700 900123."
    ),
    CheckoutProblem.NO_OTHER_WAY: N_(
        "Please tell us how to get in touch, for example an email address."
    ),
    CheckoutProblem.TOO_LONG: N_("That is too long. Please use %(max)s letters or fewer."),
}
CHECKOUT_LINK_EXPIRED = N_(
    "This check-out link has run out. If you would like to talk to someone, "
    "please contact the person who runs your meetings."
)
CHECKOUT_LINK_UNKNOWN = N_("We could not find this link. You can type your meeting code instead.")
CHECKOUT_CLOSED = N_(
    "The check-out for this meeting has closed. If you would like to talk to someone, "
    "please contact the person who runs your meetings."
)
CHECKOUT_TOO_MANY = N_("Too many tries. Please wait a few minutes and try again.")
NO_SUCH_CODE = N_("We could not find a meeting with that code. Please check it and try again.")
FLAG_BAD_STATUS = N_("Please choose open, contacted or resolved.")
FLAG_NOTHING_TO_SAVE = N_("Nothing to save: change the status or write a note.")
FLAG_NOTE_TOO_LONG = N_("That note is too long. Please keep it under 2,000 characters.")
FLAG_CHANGED = N_(
    "This flag changed since you opened it, so nothing was saved. Please read it again, then save."
)


def join_too_many(translations: NullTranslations, minutes: int) -> str:
    """The join page's answer once an address has tried too many wrong meeting links.
    ngettext, not N_, so each language gets its own "1 minute" and "5 minutes"; `make
    messages` finds it all the same."""
    text = translations.ngettext(
        "Too many wrong meeting links from here. Please wait %(minutes)d minute and try "
        "again, or ask the person who invited you for the link.",
        "Too many wrong meeting links from here. Please wait %(minutes)d minutes and try "
        "again, or ask the person who invited you for the link.",
        minutes,
    )
    return text % {"minutes": minutes}
