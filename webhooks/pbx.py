"""The PBX dialect: an Asterisk or FreeSWITCH dialplan in front of Jigasi, speaking JSON.

In: the PBX POSTs one JSON object per call event to `/webhooks/phone/events`, signed with
the Standard Webhooks scheme (https://www.standardwebhooks.com/). The shared secret is
`whsec_` followed by base64; the HMAC key is the decoded bytes. Three headers come with
every event:

    webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek        (unique per delivery: 1 to 128 of
                                                     A-Z a-z 0-9 _ . : -)
    webhook-timestamp: 1614265330                    (unix seconds, ASCII digits)
    webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>." + the raw body>

The signature header may list several space-separated `v1,<base64>` entries (a sender
rotating its secret); one match with one of the configured keys is enough, and entries of
other versions are ignored. The signature is checked on the raw bytes before anything in
the body is trusted, and a timestamp more than the tolerance from now is refused (replays;
the route also refuses a `webhook-id` it has seen before).

Events, told apart by `type` (fields this service does not know are ignored, so a PBX may
send more):

    call.started       call_id, caller_id?, and pin? (1 to 12 digits, the PBX asked for
                       it) or room? (a conference JID or room name), or neither (this
                       service asks for the PIN); language? ("en", "cy", "pt-BR")
    dtmf               call_id, digits (1 to 12 of 0-9 * #)
    call.left_meeting  call_id: the Dial to Jigasi returned and the caller is still on the
                       line (this starts the keypad check-out)
    call.ended         call_id, reason?

For example:

    {"type": "call.started", "call_id": "1700000000.42", "caller_id": "+447700900123",
     "pin": "12345678", "language": "en"}

Out: a JSON object the dialplan follows. `action` is `gather` (play `say`, then read up to
`max_digits` keys, # ending early, waiting `timeout_seconds`, and post them as `dtmf`),
`connect` (play `say`, then Dial Jigasi with `sip_headers`, which carry `room`), `hangup`
(play `say`, then hang up) or `none` (nothing to do: a keypress during the meeting, or the
end of the call):

    {"action": "gather", "language": "en",
     "say": [{"text": "Welcome to the meeting line.",
              "prompt": "welcome-to-the-meeting-line-..."}],
     "max_digits": 9, "timeout_seconds": 10}

Each `say` entry has the translated `text` for text-to-speech and a `prompt` id for a
dialplan that plays recordings instead; see `prompt_id`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, assert_never

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from facilitation.phone import Connect, Gather, Hangup, Reply, spoken
from facilitation.phone.replies import prompt_id
from webhooks.body import Rejected, invalid, parse_object

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
WEBHOOK_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
STAMP = re.compile(r"[0-9]{1,20}")  # ASCII digits only: str.isdigit() also takes "²"
# Any SIP header name: a PBX can set Jigasi's default Jitsi-Conference-Room or X-Room-Name.
ROOM_HEADER = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")
EVENT_TYPES = ("call.started", "dtmf", "call.left_meeting", "call.ended")
TYPE_MESSAGE = f"type: must be one of {', '.join(EVENT_TYPES)}"


# --- Secret and signature --------------------------------------------------------------


def sign(key: bytes, webhook_id: str, timestamp: int, raw: bytes) -> str:
    """The `webhook-signature` a sender sets: `v1,` and the base64 HMAC-SHA256."""
    signed = f"{webhook_id}.{timestamp}.".encode() + raw
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively even in a plain dict (aiohttp's already is)."""
    value = headers.get(name)
    if value is not None:
        return value
    for key, item in headers.items():
        if key.lower() == name:
            return item
    return None


def _required(headers: Mapping[str, str], name: str) -> str:
    value = _header(headers, name)
    if not value:
        raise Rejected(401, f"missing {name} header")
    return value


def verify(
    keys: Sequence[bytes], headers: Mapping[str, str], raw: bytes, now: float, tolerance: int
) -> str:
    """The delivery's `webhook-id`, once one v1 signature matches one of `keys`.

    Rejected(401) for a missing header, a timestamp more than `tolerance` seconds from
    `now`, or no matching signature; Rejected(400) for a malformed id or timestamp.
    Header text that was not valid UTF-8 (aiohttp keeps it as surrogate escapes) fails the
    ASCII checks and is refused like any other wrong value.
    """
    if not keys:
        raise Rejected(401, "PBX phone events are not configured (no webhook secret)")
    webhook_id = _required(headers, ID_HEADER)
    stamp = _required(headers, TIMESTAMP_HEADER)
    signatures = _required(headers, SIGNATURE_HEADER)
    if not WEBHOOK_ID.fullmatch(webhook_id):
        raise Rejected(
            400, f"{ID_HEADER}: must be 1 to 128 of A-Z, a-z, 0-9, _ . : and -", ID_HEADER
        )
    if not STAMP.fullmatch(stamp):
        message = f"{TIMESTAMP_HEADER}: must be unix seconds, 1 to 20 ASCII digits"
        raise Rejected(400, message, TIMESTAMP_HEADER)
    if abs(now - int(stamp)) > tolerance:
        raise Rejected(401, f"{TIMESTAMP_HEADER} is too old or in the future (replay?)")
    given: list[bytes] = []
    for entry in signatures.split():
        version, _, value = entry.partition(",")
        # A base64 signature is ASCII: anything else cannot match (and compare_digest
        # refuses non-ASCII text rather than answering).
        if version == "v1" and value.isascii():
            given.append(value.encode("ascii"))
    signed = f"{webhook_id}.{stamp}.".encode() + raw
    matched = False
    for key in keys:
        expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
        for candidate in given:
            # Check every candidate, so timing does not tell which one was close.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise Rejected(401, f"{SIGNATURE_HEADER} does not match")
    return webhook_id


# --- Events ----------------------------------------------------------------------------


def _matching(pattern: str, message: str) -> AfterValidator:
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _pattern(pattern: str) -> Any:
    """The same rule for the JSON schema, which cannot see an AfterValidator."""
    return Field(json_schema_extra={"pattern": f"^{pattern}$"})


CALL_ID = r"[A-Za-z0-9_.:@-]{1,128}"
PIN = r"[0-9]{1,12}"  # a short PIN is a wrong PIN (a try used), not a bad request
LANGUAGE = r"[a-z]{2,3}(-[A-Za-z]{2,4})?"
DIGITS = r"[0-9*#]{1,12}"

CallId = Annotated[
    str,
    _matching(CALL_ID, "must be 1 to 128 of A-Z, a-z, 0-9, _ . : @ and -"),
    _pattern(CALL_ID),
]
Pin = Annotated[str, _matching(PIN, "must be 1 to 12 digits"), _pattern(PIN)]
Room = Annotated[str, Field(min_length=1, max_length=300)]
Language = Annotated[
    str,
    Field(min_length=2, max_length=8),
    _matching(LANGUAGE, 'must be a language code such as "en", "cy" or "pt-BR"'),
    _pattern(LANGUAGE),
]
Digits = Annotated[str, _matching(DIGITS, "must be 1 to 12 of 0-9, * and #"), _pattern(DIGITS)]
Short = Annotated[str, Field(max_length=64)]


class CallStarted(BaseModel):
    """A new call. With `pin` or `room` the PBX asked for the PIN itself."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # a PBX may send more fields
    type: Literal["call.started"]
    call_id: CallId
    caller_id: Short | None = None  # a phone number, "anonymous", or nothing
    pin: Pin | None = None
    room: Room | None = None
    language: Language | None = None

    @field_validator("room")
    @classmethod
    def _pin_or_room(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("pin") is not None:
            raise ValueError("give pin or room, not both")
        return value


class Dtmf(BaseModel):
    """Keys the caller pressed."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    type: Literal["dtmf"]
    call_id: CallId
    digits: Digits


class LeftMeeting(BaseModel):
    """The Dial to Jigasi returned and the caller is still on the line."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    type: Literal["call.left_meeting"]
    call_id: CallId


class CallEnded(BaseModel):
    """The call is over (the caller or the PBX hung up)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    type: Literal["call.ended"]
    call_id: CallId
    reason: Short | None = None


PhoneEvent = CallStarted | Dtmf | LeftMeeting | CallEnded
EVENTS: TypeAdapter[PhoneEvent] = TypeAdapter(Annotated[PhoneEvent, Field(discriminator="type")])


def parse(raw: bytes) -> PhoneEvent:
    """The validated event; Rejected(400) naming the first field that is wrong."""
    data = parse_object(raw)
    try:
        return EVENTS.validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
            raise Rejected(400, TYPE_MESSAGE, "type") from exc
        rejected = invalid(exc)
        # The tagged union puts the event type first in the path ("dtmf.digits"): the
        # field the sender got wrong is what follows it.
        prefix = f"{error['loc'][0]}." if error["loc"] else ""
        if prefix and rejected.field and rejected.field.startswith(prefix):
            field = rejected.field.removeprefix(prefix)
            raise Rejected(400, rejected.message.removeprefix(prefix), field) from exc
        raise rejected from exc


# --- Reply -----------------------------------------------------------------------------


def render(
    reply: Reply | None, *, translate: Callable[[str, str], str], room_header: str
) -> dict[str, Any]:
    """The reply as the JSON object the dialplan follows (None: `{"action": "none"}`)."""
    if not ROOM_HEADER.fullmatch(room_header):
        raise ValueError("room_header must be a SIP header name: A-Z, a-z, 0-9 and -")
    if reply is None:
        return {"action": "none"}
    say = [
        {
            "text": spoken(item, item.language or reply.language, translate),
            "prompt": prompt_id(item.text),
            "language": item.language or reply.language,
        }
        for item in reply.say
    ]
    then = reply.then
    if isinstance(then, Gather):
        return {
            "action": "gather",
            "language": reply.language,
            "say": say,
            "max_digits": then.max_digits,
            "timeout_seconds": then.timeout_seconds,
        }
    if isinstance(then, Connect):
        return {
            "action": "connect",
            "language": reply.language,
            "say": say,
            "room": then.room_jid,
            "sip_headers": {room_header: then.room_jid},
        }
    if isinstance(then, Hangup):
        return {"action": "hangup", "language": reply.language, "say": say}
    assert_never(then)
