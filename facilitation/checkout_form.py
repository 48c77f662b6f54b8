"""The web check-out form: what a person may send and what is wrong with it. Pure.

Only the feeling is required ("I'd rather not say" counts). Everything else is optional,
except the one detail a contact request cannot work without: a phone number to call back,
or the other way to get in touch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

import phonenumbers

from facilitation.checkout import Answers, Contact, Feeling

MAX_NOTE = 2000
MAX_TIME = 200
MAX_OTHER = 300
MAX_NAME = 60
MAX_PHONE = 40
# Each field's limit, in the order of the page.
LIMITS = {
    "feeling": 0,
    "contact": 0,
    "phone": MAX_PHONE,
    "good_time": MAX_TIME,
    "other_way": MAX_OTHER,
    "name": MAX_NAME,
    "note": MAX_NOTE,
    "feedback": MAX_NOTE,
}


class Problem(StrEnum):
    """What is wrong with one field. The page turns these into plain words."""

    NO_FEELING = "no_feeling"
    BAD_CHOICE = "bad_choice"
    NO_PHONE = "no_phone"
    BAD_PHONE = "bad_phone"
    NO_OTHER_WAY = "no_other_way"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class ContactDetails:
    """How to get back to someone who asked. Kept sealed; never in a live event or a log."""

    phone: str = ""
    good_time: str = ""
    other_way: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


@dataclass(frozen=True)
class CheckoutForm:
    answers: Answers
    details: ContactDetails = ContactDetails()
    feedback: str = ""
    name: str = ""  # only asked when the link does not know who it is for

    def for_flagging(self) -> Answers:
        """The answers with every free-text box as the text the concern phrases are
        looked for in: worrying words count wherever someone writes them."""
        words = (self.answers.note, self.feedback, self.details.good_time, self.details.other_way)
        return replace(self.answers, note="\n".join(w for w in words if w))


@dataclass
class FormErrors(Exception):
    problems: dict[str, Problem] = field(default_factory=dict)
    # What the person typed, so the page can show it again and nothing is lost.
    values: dict[str, str] = field(default_factory=dict)


def _text(fields: Mapping[str, str], name: str, limit: int, problems: dict[str, Problem]) -> str:
    value = fields.get(name, "").replace("\r\n", "\n").strip()
    if len(value) > limit:
        problems[name] = Problem.TOO_LONG
    return value


def _phone(raw: str, region: str) -> str | None:
    """The number in international form, or None when it cannot be a phone number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_form(fields: Mapping[str, str], region: str, *, ask_name: bool = False) -> CheckoutForm:
    """The form's answers, or FormErrors naming every field that needs another look."""
    problems: dict[str, Problem] = {}
    feeling_raw = fields.get("feeling", "")
    contact_raw = fields.get("contact", "") or Contact.NONE.value
    feeling: Feeling | None = None
    if not feeling_raw:
        problems["feeling"] = Problem.NO_FEELING
    elif feeling_raw not in Feeling.__members__.values():
        problems["feeling"] = Problem.BAD_CHOICE
    else:
        feeling = Feeling(feeling_raw)
    contact = Contact.NONE
    if contact_raw not in Contact.__members__.values():
        problems["contact"] = Problem.BAD_CHOICE
    else:
        contact = Contact(contact_raw)
    note = _text(fields, "note", MAX_NOTE, problems)
    feedback = _text(fields, "feedback", MAX_NOTE, problems)
    name = _text(fields, "name", MAX_NAME, problems) if ask_name else ""
    phone_raw = _text(fields, "phone", MAX_PHONE, problems)
    good_time = _text(fields, "good_time", MAX_TIME, problems)
    other_way = _text(fields, "other_way", MAX_OTHER, problems)
    phone = ""
    if contact is Contact.CALL_LATER and "phone" not in problems:
        if not phone_raw:
            problems["phone"] = Problem.NO_PHONE
        else:
            phone = _phone(phone_raw, region) or ""
            if not phone:
                problems["phone"] = Problem.BAD_PHONE
    if contact is Contact.OTHER and not other_way and "other_way" not in problems:
        problems["other_way"] = Problem.NO_OTHER_WAY
    if problems or feeling is None:
        values = {key: str(value) for key, value in fields.items()}
        raise FormErrors(problems, values)
    details = ContactDetails(
        phone=phone if contact is Contact.CALL_LATER else "",
        good_time=good_time if contact is Contact.CALL_LATER else "",
        other_way=other_way if contact is Contact.OTHER else "",
    )
    return CheckoutForm(Answers(feeling, contact, note), details, feedback, name)
