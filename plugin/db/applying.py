"""Applying stored webhook events to attendance, in Core on a plain connection.

One function serves both backends: SQLite calls it in the webhook writer process, and
PostgreSQL through `AsyncConnection.run_sync`. Keeping it off the event loop (and out of
the ORM) is what keeps a burst of webhooks from waiting behind it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from facilitation.attendance import Kind, Sighting, Stay, from_record, masked_phone_name, merge
from plugin.db.models import Attendance, WebhookEvent
from plugin.db.types import UTCDateTime

log = logging.getLogger(__name__)
EVENTS: Any = WebhookEvent.__table__  # type: ignore[attr-defined]
STAYS: Any = Attendance.__table__  # type: ignore[attr-defined]
Key = tuple[str, str, str]
IN_CHUNK = 500


def stay_of(row: Any) -> Stay:
    """An attendance row (ORM object or Core row) as the domain's Stay."""
    return Stay(
        room=row.room,
        tenant=row.tenant,
        occupant=row.occupant,
        joined_at=row.joined_at,
        last_joined_at=row.last_joined_at,
        left_at=row.left_at,
        name=row.name,
        name_at=row.name_at,
        kind=Kind(row.kind),
    )


def _values(stay: Stay) -> dict[str, Any]:
    return {
        "room": stay.room,
        "tenant": stay.tenant,
        "occupant": stay.occupant,
        # A caller's name is often their number: only "…123" is ever stored.
        "name": (masked_phone_name(stay.name) if stay.kind is Kind.PHONE else stay.name)[:120],
        "name_at": stay.name_at,
        "kind": stay.kind.value,
        "joined_at": stay.joined_at,
        "last_joined_at": stay.last_joined_at,
        "left_at": stay.left_at,
    }


def _load(connection: Connection, sightings: list[Sighting]) -> dict[Key, tuple[int, Stay]]:
    rooms: dict[tuple[str, str], set[str]] = {}
    for seen in sightings:
        rooms.setdefault((seen.tenant, seen.room), set()).add(seen.occupant)
    found: dict[Key, tuple[int, Stay]] = {}
    for (tenant, room), occupants in rooms.items():
        ordered = sorted(occupants)
        for start in range(0, len(ordered), IN_CHUNK):  # bound-parameter limits
            chunk = ordered[start : start + IN_CHUNK]
            query = select(STAYS).where(
                and_(STAYS.c.tenant == tenant, STAYS.c.room == room, STAYS.c.occupant.in_(chunk))
            )
            for row in connection.execute(query):
                found[(row.tenant, row.room, row.occupant)] = (row.id, stay_of(row))
    return found


def apply_batch(connection: Connection, limit: int, now: datetime) -> int:
    """Apply up to `limit` unprocessed events, oldest first; returns how many. The caller
    owns the transaction."""
    events = connection.execute(
        select(EVENTS.c.id, EVENTS.c.sightings)
        .where(EVENTS.c.processed_at.is_(None))
        .order_by(EVENTS.c.id)
        .limit(limit)
    ).all()
    if not events:
        return 0
    sightings: list[Sighting] = []
    for event in events:
        try:
            sightings.extend(from_record(record) for record in event.sightings or ())
        except Exception:
            # Validated at intake, so this is a bug or a hand-edited row: skip the event
            # rather than stop attendance for everyone.
            log.exception("webhook event %s has an unreadable sighting; skipped", event.id)
    known = _load(connection, sightings)
    changed: dict[Key, Stay] = {}
    for seen in sightings:
        key = (seen.tenant, seen.room, seen.occupant)
        before = changed.get(key) or (known[key][1] if key in known else None)
        try:
            changed[key] = merge(before, seen)
        except Exception:
            log.exception("could not merge a sighting for %s; skipped", key)
    inserts = [_values(stay) for key, stay in changed.items() if key not in known]
    updates = [
        {"row_id": known[key][0], **_values(stay)} for key, stay in changed.items() if key in known
    ]
    if inserts:
        connection.execute(STAYS.insert(), inserts)
    if updates:
        statement = (
            update(STAYS)
            .where(STAYS.c.id == bindparam("row_id"))
            .values(
                {
                    name: bindparam(name, type_=STAYS.c[name].type)
                    for name in updates[0]
                    if name != "row_id"
                }
            )
        )
        connection.execute(statement, updates)
    connection.execute(
        update(EVENTS)
        .where(EVENTS.c.id.in_([event.id for event in events]))
        .values(processed_at=bindparam("now", type_=UTCDateTime())),
        {"now": now},
    )
    return len(events)
