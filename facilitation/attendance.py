"""Who was in a meeting, derived from join and leave reports in any order.

Webhooks arrive late, twice, out of order, or not at all (then a room's final list fills
the gap). A stay is therefore kept as a merge of facts, not a sequence of transitions:
the earliest join seen, the latest leave seen and the latest join seen. Merging is
commutative, associative and idempotent, so any order and any repetition of the same
reports gives the same attendance.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class Kind(StrEnum):
    WEB = "web"
    PHONE = "phone"


@dataclass(frozen=True)
class Sighting:
    """One report about one person in one room: a join, a leave, or both (a final list)."""

    room: str
    occupant: str  # a stable id for this connection: Prosody's occupant JID, JaaS's id
    at: datetime  # when the report says it happened
    tenant: str = ""
    joined_at: datetime | None = None
    left_at: datetime | None = None
    name: str = ""
    kind: Kind | None = None  # None: the report does not say


@dataclass(frozen=True)
class Stay:
    room: str
    tenant: str
    occupant: str
    joined_at: datetime
    last_joined_at: datetime | None  # from join reports only, not from a leave's join time
    left_at: datetime | None
    name: str
    name_at: datetime | None  # when the name was reported; the latest report's name wins
    kind: Kind

    @property
    def present(self) -> bool:
        """Still there: never seen leaving, or seen joining again since (a breakout move).

        Prosody reports whole seconds, so a join in the same second as a leave counts as
        coming back: moving to a breakout room is common, a stay under a second is not.
        """
        if self.left_at is None:
            return True
        return self.last_joined_at is not None and self.last_joined_at >= self.left_at

    def minutes(self, now: datetime) -> float:
        end = now if self.present else self.left_at
        assert end is not None
        return max(0.0, (end - self.joined_at).total_seconds() / 60)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def merge(stay: Stay | None, seen: Sighting) -> Stay:
    """Fold one report into what is known. Order and repetition do not change the result."""
    joined = seen.joined_at or seen.left_at or seen.at
    fresh = Stay(
        room=seen.room,
        tenant=seen.tenant,
        occupant=seen.occupant,
        joined_at=joined,
        last_joined_at=seen.joined_at if seen.left_at is None else None,
        left_at=seen.left_at,
        name=seen.name,
        name_at=seen.at if seen.name else None,
        kind=seen.kind or Kind.WEB,
    )
    if stay is None:
        return fresh
    # The name of the latest report that has one; equal times fall back to the larger name
    # so that the result does not depend on which came first.
    name, name_at = stay.name, stay.name_at
    if fresh.name_at is not None and (
        name_at is None or (fresh.name_at, fresh.name) > (name_at, name)
    ):
        name, name_at = fresh.name, fresh.name_at
    return replace(
        stay,
        joined_at=min(stay.joined_at, fresh.joined_at),
        last_joined_at=_later(stay.last_joined_at, fresh.last_joined_at),
        left_at=_later(stay.left_at, fresh.left_at),
        name=name,
        name_at=name_at,
        # Phone is sticky: only a phone report says so, and web is the default.
        kind=Kind.PHONE if Kind.PHONE in (stay.kind, seen.kind) else stay.kind,
    )


def attendance(sightings: list[Sighting]) -> dict[tuple[str, str, str], Stay]:
    stays: dict[tuple[str, str, str], Stay] = {}
    for seen in sightings:
        key = (seen.tenant, seen.room, seen.occupant)
        stays[key] = merge(stays.get(key), seen)
    return stays


def to_record(seen: Sighting) -> dict[str, object]:
    """A sighting as plain JSON, to keep beside the raw event until it is applied."""
    return {
        "room": seen.room,
        "tenant": seen.tenant,
        "occupant": seen.occupant,
        "at": seen.at.isoformat(),
        "joined_at": seen.joined_at.isoformat() if seen.joined_at else None,
        "left_at": seen.left_at.isoformat() if seen.left_at else None,
        "name": seen.name,
        "kind": seen.kind.value if seen.kind else None,
    }


def from_record(record: dict[str, object]) -> Sighting:
    def when(key: str) -> datetime | None:
        value = record.get(key)
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    at = when("at")
    assert at is not None
    kind = record.get("kind")
    return Sighting(
        room=str(record["room"]),
        tenant=str(record.get("tenant", "")),
        occupant=str(record["occupant"]),
        at=at,
        joined_at=when("joined_at"),
        left_at=when("left_at"),
        name=str(record.get("name", "")),
        kind=Kind(kind) if isinstance(kind, str) else None,
    )


def masked_phone_name(name: str) -> str:
    """Jigasi often shows the caller's number as the name: keep only the last 3 digits."""
    digits = [c for c in name if c.isdigit()]
    if len(digits) >= 6:
        return "…" + "".join(digits[-3:])
    return name
