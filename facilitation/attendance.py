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

        Prosody reports whole seconds, so a move to a breakout room is often a leave and a
        join in the same second: a join in the leave's second counts as coming back, but
        only if it is a second join, later than the first. A single visit that began and
        ended in the same second has its only join there too, and is over.
        """
        if self.left_at is None:
            return True
        back = self.last_joined_at
        if back is None or back < self.left_at:
            return False
        return back > self.left_at or back > self.joined_at

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


@dataclass(frozen=True)
class Seat:
    """One connection as the assistant saw it from inside the meeting (its roster row)."""

    jid: str  # the occupant's real JID, as event_sync's occupant_jid names it
    name: str
    kind: Kind
    joined_at: datetime
    left_at: datetime | None


def bare_jid(jid: str) -> str:
    """The account part of a JID, the way two reports of one connection are compared."""
    return jid.split("/", 1)[0].strip().lower()


def _seat_stay(seats: list[Seat], room: str, tenant: str) -> Stay:
    named = [seat for seat in seats if seat.name]
    latest = max(named, key=lambda seat: (seat.joined_at, seat.name), default=None)
    ends = [seat.left_at for seat in seats]
    return Stay(
        room=room,
        tenant=tenant,
        occupant=min(seat.jid for seat in seats),
        joined_at=min(seat.joined_at for seat in seats),
        last_joined_at=max(seat.joined_at for seat in seats),
        left_at=None if None in ends else max(end for end in ends if end is not None),
        name=latest.name if latest else "",
        name_at=latest.joined_at if latest else None,
        kind=Kind.PHONE if any(seat.kind is Kind.PHONE for seat in seats) else Kind.WEB,
    )


def with_roster(
    stays: list[Stay], seats: list[Seat], assistant: list[str], room: str, tenant: str = ""
) -> list[Stay]:
    """Jitsi's record of a room completed by what the assistant saw in it.

    event_sync names connections by real JID and, without JWT logins, gives no names; its
    room's creator is never reported; and with anonymous Jigasi a caller's JID says nothing.
    The assistant saw all of these. So, matching bare JIDs: an unnamed stay takes the
    assistant's name for it; a connection the assistant saw as a phone is a phone; the
    assistant's own connections are not people; and someone the assistant saw whom the
    record lacks is added (only when there is a record at all, so that "Jitsi's record"
    stays empty on a deployment that sends none).
    """
    mine = {bare_jid(jid) for jid in assistant}
    by_jid: dict[str, list[Seat]] = {}
    for seat in seats:
        if seat.jid:
            by_jid.setdefault(bare_jid(seat.jid), []).append(seat)
    found: list[Stay] = []
    matched: set[str] = set()
    for stay in stays:
        key = bare_jid(stay.occupant)
        if key in mine:
            continue
        known = by_jid.get(key)
        if known:
            matched.add(key)
            seen = _seat_stay(known, room, tenant)
            if not stay.name and seen.name:
                stay = replace(stay, name=seen.name, name_at=seen.name_at)
            if seen.kind is Kind.PHONE:
                stay = replace(stay, kind=Kind.PHONE)
        found.append(stay)
    if stays:
        missed = sorted(set(by_jid) - matched - mine)
        found += [_seat_stay(by_jid[key], room, tenant) for key in missed]
    return sorted(found, key=lambda stay: stay.joined_at)


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
