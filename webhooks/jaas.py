"""JaaS-style webhooks: a signed envelope, verified on the raw bytes before parsing.

`X-Jaas-Signature: t=<unix seconds>,v1=<base64 HMAC-SHA256 of "t." + body>`; several v1
values are accepted (the sender rotating its secret), other schemes are ignored, and a
timestamp more than the tolerance away from now is refused (replays).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from facilitation.attendance import Kind, Sighting
from plugin.intake import Incoming
from webhooks.body import Rejected, header_bytes, invalid, parse_object

HEADER = "X-Jaas-Signature"
STAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes "²"
MAX_HEADER = 4096
ATTENDANCE = {
    "PARTICIPANT_JOINED": ("joined", None),
    "PARTICIPANT_LEFT": ("left", None),
    "DIAL_IN_STARTED": ("joined", Kind.PHONE),
    "DIAL_IN_ENDED": ("left", Kind.PHONE),
}
STORED = {
    "ROOM_CREATED",
    "ROOM_DESTROYED",
    "PARTICIPANT_JOINED_LOBBY",
    "PARTICIPANT_LEFT_LOBBY",
    *ATTENDANCE,
}
Text = Annotated[str, Field(min_length=1, max_length=400)]
MAX_OCCUPANT = 300  # the attendance table's column


class Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")
    idempotencyKey: Text
    customerId: Annotated[str, Field(max_length=400)] = ""
    appId: Annotated[str, Field(max_length=400)] = ""
    eventType: Annotated[str, Field(min_length=1, max_length=60)]
    sessionId: Annotated[str, Field(max_length=400)] = ""
    timestamp: Annotated[int, Field(gt=0, lt=32503680000000)]  # milliseconds
    fqn: Annotated[
        str, Field(min_length=1, max_length=401, pattern=r"^[^/]{0,200}(/[^/]{1,200})?$")
    ]
    data: dict[str, Any] = Field(default_factory=dict)


def verify(
    header: str | None, raw: bytes, secrets: tuple[bytes, ...], now: float, tolerance: int
) -> None:
    """Raise Rejected(401) unless one v1 signature matches one configured secret."""
    if not secrets:
        raise Rejected(401, "JaaS webhooks are not configured (FACILITATE_JAAS_SECRET)")
    if not header:
        raise Rejected(401, f"missing {HEADER} header")
    if len(header) > MAX_HEADER:
        raise Rejected(401, f"{HEADER} header too long")
    stamp: str | None = None
    signatures: list[bytes] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")  # split on the first "=" only
        if not sep:
            continue
        if key == "t":
            stamp = value
        elif key == "v1":
            signatures.append(header_bytes(value))
    if stamp is None or not STAMP.fullmatch(stamp):
        raise Rejected(401, f"{HEADER}: no usable t= timestamp")
    if abs(now - int(stamp)) > tolerance:
        raise Rejected(401, f"{HEADER}: timestamp more than {tolerance} s from now")
    if not signatures:
        raise Rejected(401, f"{HEADER}: no v1 signature")
    signed = stamp.encode() + b"." + raw
    for secret in secrets:
        expected = base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest())
        # Check every candidate, so timing does not tell which one was close.
        if any(hmac.compare_digest(expected, given) for given in signatures):
            return
    raise Rejected(401, f"{HEADER}: signature does not match")


def sign(raw: bytes, secret: bytes, stamp: int) -> str:
    """The header a sender would set (for tests, benchmarks and the README's example)."""
    digest = hmac.new(secret, str(stamp).encode() + b"." + raw, hashlib.sha256).digest()
    return f"t={stamp},v1={base64.b64encode(digest).decode()}"


def parse(raw: bytes) -> tuple[Envelope, dict[str, Any]]:
    """The validated envelope, and the JSON as sent (which is what gets stored)."""
    data = parse_object(raw)
    try:
        return Envelope.model_validate(data), data
    except ValidationError as exc:
        raise invalid(exc) from exc


def _participant(data: dict[str, Any]) -> str:
    for key in ("participantId", "participantFullJid", "participantJid", "id"):
        value = data.get(key)
        if isinstance(value, str) and 0 < len(value) <= MAX_OCCUPANT:
            return value
    raise Rejected(400, "data.participantId: required for participant events", "data.participantId")


def to_incoming(envelope: Envelope, data: dict[str, Any]) -> Incoming | None:
    """None for event types we do not know: acknowledged, not stored."""
    if envelope.eventType not in STORED:
        return None
    app, _, room = envelope.fqn.partition("/")
    if not room:
        app, room = "", envelope.fqn
    at = datetime.fromtimestamp(envelope.timestamp / 1000, UTC)
    sightings: list[Sighting] = []
    change = ATTENDANCE.get(envelope.eventType)
    if change is not None:
        direction, kind = change
        name = envelope.data.get("name")
        sightings.append(
            Sighting(
                room=room.lower(),
                tenant=app.lower(),
                occupant=_participant(envelope.data),
                at=at,
                joined_at=at if direction == "joined" else None,
                left_at=at if direction == "left" else None,
                name=name[:120] if isinstance(name, str) else "",
                kind=kind,
            )
        )
    return Incoming(
        source="jaas",
        dedupe_key=hashlib.sha256(b"jaas\x1f" + envelope.idempotencyKey.encode()).hexdigest(),
        event_type=envelope.eventType,
        room=room.lower()[:200],
        tenant=app.lower()[:200],
        occurred_at=at,
        payload=data,
        sightings=sightings,
    )
