"""The web check-out form: what a person may send and what is wrong with it. Pure.

Only the feeling is required ("I'd rather not say" counts). Everything else is optional,
except the one detail a contact request cannot work without: a phone number to call back,
or the other way to get in touch.

The page asks one thing at a time: the feeling, then whether someone should get in touch
(a choice the person makes: nothing is chosen for them), then the details that answer needs
with the optional boxes. Each step's answer is checked here on its own; the last step sends
everything and goes through `parse_form`.
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


# The follow-up each contact answer needs: asked for that answer only, and kept only for it.
DETAILS: dict[Contact, tuple[str, ...]] = {
    Contact.CALL_LATER: ("phone", "good_time"),
    Contact.OTHER: ("other_way",),
}


class Problem(StrEnum):
    """What is wrong with one field. The page turns these into plain words."""

    NO_FEELING = "no_feeling"
    NO_CONTACT = "no_contact"
    BAD_CHOICE = "bad_choice"
    NO_PHONE = "no_phone"
    BAD_PHONE = "bad_phone"
    NO_OTHER_WAY = "no_other_way"
    TOO_LONG = "too_long"


_FEELINGS = frozenset(f.value for f in Feeling)
_CONTACTS = frozenset(c.value for c in Contact)


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


def details_for(contact: str) -> tuple[str, ...]:
    """The follow-up fields an answer to "would you like someone to get in touch?" needs."""
    return DETAILS.get(Contact(contact), ()) if contact in _CONTACTS else ()


def parse_feeling(fields: Mapping[str, str]) -> Feeling:
    """The first step: how the person is feeling."""
    raw = fields.get("feeling", "")
    if raw in _FEELINGS:
        return Feeling(raw)
    problem = Problem.BAD_CHOICE if raw else Problem.NO_FEELING
    raise FormErrors({"feeling": problem}, dict(fields))


def parse_contact(fields: Mapping[str, str]) -> Contact:
    """The second step: whether someone should get in touch. Asked on its own, it needs an
    answer: "No, thank you" is something the person chooses, never a default."""
    raw = fields.get("contact", "")
    if raw in _CONTACTS:
        return Contact(raw)
    problem = Problem.BAD_CHOICE if raw else Problem.NO_CONTACT
    raise FormErrors({"contact": problem}, dict(fields))


def parse_form(fields: Mapping[str, str], region: str, *, ask_name: bool = False) -> CheckoutForm:
    """The form's answers, or FormErrors naming every field that needs another look. The
    details of a contact answer not chosen are not read at all."""
    problems: dict[str, Problem] = {}
    feeling_raw = fields.get("feeling", "")
    contact_raw = fields.get("contact", "") or Contact.NONE.value
    feeling: Feeling | None = None
    if not feeling_raw:
        problems["feeling"] = Problem.NO_FEELING
    elif feeling_raw not in _FEELINGS:
        problems["feeling"] = Problem.BAD_CHOICE
    else:
        feeling = Feeling(feeling_raw)
    contact = Contact.NONE
    if contact_raw not in _CONTACTS:
        problems["contact"] = Problem.BAD_CHOICE
    else:
        contact = Contact(contact_raw)
    note = _text(fields, "note", MAX_NOTE, problems)
    feedback = _text(fields, "feedback", MAX_NOTE, problems)
    name = _text(fields, "name", MAX_NAME, problems) if ask_name else ""
    wanted = DETAILS.get(contact, ())
    phone_raw = _text(fields, "phone", MAX_PHONE, problems) if "phone" in wanted else ""
    good_time = _text(fields, "good_time", MAX_TIME, problems) if "good_time" in wanted else ""
    other_way = _text(fields, "other_way", MAX_OTHER, problems) if "other_way" in wanted else ""
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
    details = ContactDetails(phone=phone, good_time=good_time, other_way=other_way)
    return CheckoutForm(Answers(feeling, contact, note), details, feedback, name)


def answers_so_far(
    saved: Mapping[str, str], given: Mapping[str, str], region: str, *, ask_name: bool = False
) -> CheckoutForm:
    """What to keep after one step (`given`: its checked answer and the feeling): the answers
    saved before with this step's put in, so someone changing their answers who stops half
    way never loses a request to be called. If what was saved no longer fits (a setting
    changed), the step's answers alone are kept."""
    try:
        return parse_form({**saved, **given}, region, ask_name=ask_name)
    except FormErrors:
        return parse_form(given, region, ask_name=ask_name)


def same_as_saved(
    saved: Mapping[str, str], form: CheckoutForm, region: str, *, ask_name: bool = False
) -> bool:
    """Whether `form` holds exactly the saved answers (nothing new to store or to note in a
    flag's history)."""
    try:
        return parse_form(saved, region, ask_name=ask_name) == form
    except FormErrors:
        return False
