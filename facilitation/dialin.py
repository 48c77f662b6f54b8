"""Dial-in numbers and meeting PINs. Pure: the randomness is passed in.

Numbers come from configuration and are checked and formatted with `phonenumbers`, the
same way Jitsi Meet's dial-in dialog shows them. PINs are what a caller types on a keypad:
random, 6 to 9 digits, never starting with 0 (Jitsi's conference mapper returns the PIN as a
JSON number, which would drop it), and never an easy pattern someone might guess or type
by mistake (one digit repeated, a run such as 1234567).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import phonenumbers

MIN_PIN_DIGITS = 6
MAX_PIN_DIGITS = 9
TOLL_FREE_WORDS = frozenset({"tollfree", "toll-free", "freephone"})
DEFAULT_COUNTRY = "GB"


class BadNumber(ValueError):
    """A configured dial-in number that is not a valid phone number."""


@dataclass(frozen=True)
class DialInNumber:
    e164: str  # +442079460000
    formatted: str  # +44 20 7946 0000
    country: str  # ISO 3166 region: GB
    toll_free: bool
    default: bool


def parse_numbers(
    entries: Iterable[str], region: str = DEFAULT_COUNTRY
) -> tuple[DialInNumber, ...]:
    """Configured numbers, e.g. "+44 20 7946 0000" or "0800 123 4567 tollfree"; the first
    is the default. Numbers without a + are read as numbers in `region`."""
    numbers: list[DialInNumber] = []
    for entry in entries:
        words = entry.split()
        toll_free = bool(words) and words[-1].lower() in TOLL_FREE_WORDS
        text = " ".join(words[:-1] if toll_free else words)
        try:
            parsed = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException as exc:
            raise BadNumber(f"{entry!r} is not a phone number ({exc})") from exc
        if not phonenumbers.is_valid_number(parsed):
            raise BadNumber(f"{entry!r} is not a valid phone number")
        kind = phonenumbers.number_type(parsed)
        numbers.append(
            DialInNumber(
                e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
                formatted=phonenumbers.format_number(
                    parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL
                ),
                country=phonenumbers.region_code_for_number(parsed) or region,
                toll_free=toll_free or kind == phonenumbers.PhoneNumberType.TOLL_FREE,
                default=not numbers,
            )
        )
    if len({number.e164 for number in numbers}) != len(numbers):
        raise BadNumber("the same number is listed twice")
    return tuple(numbers)


def jitsi_numbers(numbers: Iterable[DialInNumber]) -> list[dict[str, object]]:
    """Jitsi Meet's `dialInNumbersUrl` answer (the array format)."""
    return [
        {
            "countryCode": number.country,
            "tollFree": number.toll_free,
            "formattedNumber": number.formatted,
            "default": number.default,
        }
        for number in numbers
    ]


def tel_link(number: DialInNumber, pin: str | None) -> str:
    """A `tel:` link that dials the number, waits, types the PIN and #: one tap on a phone.

    Each comma is a pause of about two seconds, time for the greeting to start. Without a
    PIN (callers choose a language first) it only dials."""
    if pin is None:
        return f"tel:{number.e164}"
    return f"tel:{number.e164},,,{pin}{quote('#')}"


def is_weak(pin: str) -> bool:
    """Patterns a person might guess or type by accident."""
    if len(set(pin)) <= 2:
        return True  # 1111111, 1212121
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})  # 1234567, 7654321 (wrapping 8901234 too)


def new_pin(length: int, randbelow: Callable[[int], int]) -> str:
    """A random PIN of `length` digits; `randbelow` is `secrets.randbelow` in the service."""
    if not MIN_PIN_DIGITS <= length <= MAX_PIN_DIGITS:
        raise ValueError(f"PINs have {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")
    while True:
        pin = str(1 + randbelow(9)) + "".join(str(randbelow(10)) for _ in range(length - 1))
        if not is_weak(pin):
            return pin


def grouped(pin: str) -> str:
    """The PIN in groups of three or four, easier to read aloud and to type."""
    if len(pin) in (6, 9):
        return " ".join(pin[i : i + 3] for i in range(0, len(pin), 3))
    if len(pin) == 7:
        return f"{pin[:3]} {pin[3:]}"
    return f"{pin[:4]} {pin[4:]}"


class BadConference(ValueError):
    """A conference JID that is not a room on this deployment's MUC."""


def parse_conference(text: str, muc_domain: str) -> tuple[str, str]:
    """`room@muc` as Jitsi Meet sends it -> (room, tenant), lower-cased.

    A tenant's rooms live on `conference.TENANT.rest-of-muc` (Jitsi Meet with a tenant
    path); `[tenant]room@muc` is the same room as Prosody names it internally."""
    room, at, domain = text.strip().lower().partition("@")
    if not at or not room or "/" in domain:
        raise BadConference("conference must look like room@" + muc_domain)
    tenant = ""
    if room.startswith("[") and "]" in room:
        tenant, room = room[1:].split("]", 1)
    if domain != muc_domain:
        head, _, rest = muc_domain.partition(".")
        inner = domain.removeprefix(head + ".").removesuffix("." + rest) if rest else ""
        # A tenant may itself contain dots (a path segment such as team.a).
        if tenant or not rest or domain != f"{head}.{inner}.{rest}" or not inner:
            raise BadConference(f"conference must be a room on {muc_domain}, got {domain!r}")
        tenant = inner
    if any(not part for part in tenant.split(".")) if tenant else False:
        raise BadConference("conference tenant is not valid")
    if len(room) > 200 or len(tenant) > 200 or any(c in room for c in "\"&'/:<>@\\ "):
        raise BadConference("conference room name is not valid")
    return room, tenant


def conference_jid(room: str, tenant: str, muc_domain: str) -> str:
    """The JID a caller joins (what Jigasi gets in the room header)."""
    if not tenant:
        return f"{room}@{muc_domain}"
    head, _, rest = muc_domain.partition(".")
    return f"{room}@{head}.{tenant}.{rest}" if rest else f"{room}@{muc_domain}.{tenant}"


def pbx_conference(room: str, muc_domain: str) -> str:
    """A PBX's room, a conference JID or a bare room name on the main MUC, as a checked
    conference JID."""
    text = room if "@" in room else f"{room}@{muc_domain}"
    name, tenant = parse_conference(text, muc_domain)
    return conference_jid(name, tenant, muc_domain)


def same_meeting_room(conference: str, room: str, muc_domain: str) -> str:
    """The JID of another room of the same deployment and tenant as `conference` (a
    breakout group's own call)."""
    _room, tenant = parse_conference(conference, muc_domain)
    return conference_jid(room, tenant, muc_domain)


def pick_phone_participant(
    caller_tail: str, candidates: Iterable[tuple[int, str, float]], connected_at: float
) -> int | None:
    """Which phone participant the bot sees is this call: (id, shown name, joined at).

    Jigasi joins within seconds of the call being put through. Prefer someone whose name
    ends in the caller's last 3 digits; otherwise the first phone participant to join
    after the call was connected."""
    eligible = sorted(
        (joined, pid, name) for pid, name, joined in candidates if joined >= connected_at - 5
    )
    if caller_tail:
        for _, pid, name in eligible:
            digits = "".join(c for c in name if c.isdigit())
            if digits.endswith(caller_tail):
                return pid
        # Someone else's digits are not this caller; only a name without digits (Jigasi
        # set to hide numbers) may still be them.
        eligible = [item for item in eligible if not any(c.isdigit() for c in item[2])]
    return eligible[0][1] if eligible else None
