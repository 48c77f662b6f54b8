"""Prosody's event_sync component (jitsi-contrib): room and occupant events.

Authenticated only by the static `Authorization: Bearer` header the admin configures; no
event id, so a natural key (event, room, occupant, time) makes deliveries idempotent.
Times are whole seconds since the epoch.

What the real module sends, beyond its README: the room's creator is never tracked (Prosody
fires the first join before the room's creation, so there is no join for it and its leave
comes with no `occupant`), an empty `all_occupants` is `{}` (Lua's empty table), names only
come with JWT logins, and breakout rooms report the main room's `room_name`/`room_jid` with
`is_breakout` and the breakout room's node in `breakout_room_id`. Each of these is taken as
far as it goes; the assistant's roster fills the gaps (facilitation.attendance.with_roster).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from facilitation.attendance import Kind, Sighting
from plugin.intake import Incoming
from webhooks.body import Rejected, invalid, parse_object

Epoch = Annotated[float, Field(gt=0, lt=32503680000)]  # before the year 3000
Text = Annotated[str, Field(max_length=1023)]

PATHS = {
    ("room", "created"): "muc-room-created",
    ("room", "destroyed"): "muc-room-destroyed",
    ("occupant", "joined"): "muc-occupant-joined",
    ("occupant", "left"): "muc-occupant-left",
}


class Occupant(BaseModel):
    model_config = ConfigDict(extra="allow")  # event_sync may add user info and stats
    occupant_jid: Annotated[str, Field(min_length=3, max_length=300)]  # attendance column
    joined_at: Epoch
    left_at: Epoch | None = None
    name: Text | None = None
    email: Text | None = None
    id: Text | None = None
    total_dominant_speaker_time: Annotated[int, Field(ge=0)] | None = None


class RoomEvent(BaseModel):
    model_config = ConfigDict(extra="allow")
    event_name: Literal[
        "muc-room-created", "muc-room-destroyed", "muc-occupant-joined", "muc-occupant-left"
    ]
    room_name: Annotated[str, Field(min_length=1, max_length=400)]
    # A room JID's local part is at most [tenant] + room, each kept in a 200-character column.
    room_jid: Annotated[str, Field(min_length=3, max_length=700)]
    is_breakout: bool = False
    breakout_room_id: Text | None = None
    created_at: Epoch | None = None
    destroyed_at: Epoch | None = None
    active_occupants_count: Annotated[int, Field(ge=0)] | None = None
    occupant: Annotated[
        Occupant | None, Field(description="Absent when the room's creator leaves.")
    ] = None
    all_occupants: Annotated[
        Annotated[list[Occupant], Field(max_length=10_000)] | None,
        Field(description="Without the room's creator; `{}` when empty."),
    ] = None

    @field_validator("all_occupants", mode="before")
    @classmethod
    def _empty_table(cls, value: Any) -> Any:
        # Lua has one table type and util.json writes an empty one as an object.
        return [] if isinstance(value, dict) and not value else value


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _room(event: RoomEvent) -> tuple[str, str]:
    """(room, tenant): tenant rooms are `[tenant]room@...` inside Prosody."""
    node = event.room_jid.split("@", 1)[0] if "@" in event.room_jid else event.room_name
    tenant = ""
    if node.startswith("[") and "]" in node:
        tenant, node = node[1:].split("]", 1)
    if not node or len(node) > 200 or len(tenant) > 200:
        raise Rejected(400, "room_jid: room and tenant must be 1 to 200 characters", "room_jid")
    return node.lower(), tenant.lower()


def parse(raw: bytes, kind: str, action: str) -> tuple[RoomEvent, dict[str, Any]]:
    """The validated event, and the JSON as sent (which is what gets stored)."""
    expected = PATHS.get((kind, action))
    if expected is None:
        raise Rejected(404, f"no event_sync endpoint {kind}/{action}")
    try:
        data = parse_object(raw)
        event = RoomEvent.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from exc
    if event.event_name != expected:
        raise Rejected(
            400, f"event_name: {event.event_name} posted to {kind}/{action}", "event_name"
        )
    # A leave may have no `occupant`: that is the room's creator, whom event_sync never
    # tracked. Every other event always carries what is required here.
    required = {
        "muc-room-created": ("created_at", event.created_at),
        "muc-room-destroyed": ("all_occupants", event.all_occupants),
        "muc-occupant-joined": ("occupant", event.occupant),
    }.get(expected)
    if required is not None and required[1] is None:
        raise Rejected(400, f"{required[0]}: required for {expected}", required[0])
    if expected == "muc-room-destroyed" and event.destroyed_at is None:
        raise Rejected(400, "destroyed_at: required for muc-room-destroyed", "destroyed_at")
    if expected == "muc-occupant-left" and event.occupant and event.occupant.left_at is None:
        raise Rejected(400, "occupant.left_at: required for muc-occupant-left", "occupant.left_at")
    return event, data


def _when(event: RoomEvent, received: float) -> float:
    """When it happened, by the event's own clock; the creator's leave carries no time at
    all, so its arrival (to the second, as event_sync counts) stands in."""
    if event.event_name == "muc-room-created":
        return event.created_at or 0
    if event.event_name == "muc-room-destroyed":
        return event.destroyed_at or 0
    if event.occupant is None:
        return float(int(received))
    if event.event_name == "muc-occupant-left":
        return event.occupant.left_at or 0
    return event.occupant.joined_at


def natural_key(event: RoomEvent, received: float) -> str:
    occupant = event.occupant.occupant_jid if event.occupant else ""
    breakout = event.breakout_room_id or ""
    parts = (event.event_name, event.room_jid, breakout, occupant, repr(_when(event, received)))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _sighting(
    occupant: Occupant, room: str, tenant: str, at: float, jigasi_users: tuple[str, ...]
) -> Sighting | None:
    local = occupant.occupant_jid.split("@", 1)[0].lower() if "@" in occupant.occupant_jid else ""
    if local == "focus":
        return None  # Jicofo, not a person
    left = occupant.left_at
    return Sighting(
        room=room,
        tenant=tenant,
        occupant=occupant.occupant_jid,
        at=_time(at),
        joined_at=_time(occupant.joined_at),
        left_at=_time(left) if left else None,
        name=(occupant.name or "")[:120],
        kind=Kind.PHONE if local in jigasi_users else None,
    )


def to_incoming(
    event: RoomEvent, data: dict[str, Any], jigasi_users: tuple[str, ...], received: float
) -> Incoming:
    """`received`: when the post arrived (epoch seconds). A breakout room's events count for
    the main room (its `room_jid`), and a person's connection keeps its JID across rooms, so
    a move is a leave and a second join of the same stay."""
    room, tenant = _room(event)
    at = _when(event, received)
    sightings: list[Sighting | None] = []
    if event.event_name in ("muc-occupant-joined", "muc-occupant-left") and event.occupant:
        sightings.append(_sighting(event.occupant, room, tenant, at, jigasi_users))
    elif event.event_name == "muc-room-destroyed":
        # The room's own list of everyone who came: it repairs joins and leaves we missed.
        for occupant in event.all_occupants or ():
            if occupant.left_at is None:
                occupant = occupant.model_copy(update={"left_at": at})
            sightings.append(_sighting(occupant, room, tenant, at, jigasi_users))
    return Incoming(
        source="prosody",
        dedupe_key=natural_key(event, received),
        event_type=event.event_name,
        room=room,
        tenant=tenant,
        occurred_at=_time(at),
        payload=data,
        sightings=[s for s in sightings if s is not None],
    )
