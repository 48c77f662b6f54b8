"""The participant list the connector keeps in the database, applied from live events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.live_events import LiveEvent
from plugin.db.models import MeetingSession, Participant

MAX_NAME = 120


def from_ms(value: Any) -> datetime | None:
    """Jitsi's millisecond time, or None for anything that is not one (a participant's
    client sends it, so it may be anything, including a year past 9999)."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


async def open_row(db: AsyncSession, session_id: str, jitsi_id: str) -> Participant | None:
    query = (
        select(Participant)
        .where(
            Participant.session_id == session_id,
            Participant.jitsi_id == jitsi_id,
            col(Participant.left_at).is_(None),
        )
        .order_by(col(Participant.id).desc())
    )
    return (await db.exec(query)).first()


async def apply_event(
    db: AsyncSession, session_id: str, event: LiveEvent, data: dict[str, Any], now: datetime
) -> None:
    """Record one roster event. Does not commit; replays are harmless (no duplicate rows).

    Events that arrive after their session ended are dropped: the end closed every row.
    """
    session = await db.get(MeetingSession, session_id)
    if session is None or session.ended_at is not None:
        return
    if event is LiveEvent.CONFERENCE_JOINED:
        # The bot's fresh view of the room: whoever we had as present and is not in it left
        # while the bot was away (a service restart, say).
        here = {p.get("id") for p in data.get("participants", ()) if isinstance(p, dict)}
        for gone in await present(db, session_id):
            if gone.jitsi_id not in here:
                gone.left_at = now
                gone.hand_raised_at = None
                db.add(gone)
        return
    jitsi_id = data.get("id")
    if not isinstance(jitsi_id, str) or data.get("self"):
        return
    row = await open_row(db, session_id, jitsi_id)
    adopted = False
    keypad_hand = None
    if event is LiveEvent.PARTICIPANT_JOINED:
        if row is None and data.get("kind") == "phone":
            row = await _caller_seen_by_phone(db, session_id, str(data.get("displayName", "")))
            if row is not None:
                row.jitsi_id = jitsi_id  # the same person: keep their row, and their hand
                keypad_hand = row.hand_raised_at
                adopted = True
        if row is None:
            row = Participant(
                session_id=session_id,
                jitsi_id=jitsi_id,
                joined_at=from_ms(data.get("joinedAt")) or now,
                kind="web",
                display_name="",
            )
        row.kind = str(data.get("kind", "web"))
        row.display_name = str(data.get("displayName", ""))[:MAX_NAME]
        row.role = str(data.get("role", ""))[:20]
        row.hand_raised_at = from_ms(data.get("handRaised")) or (keypad_hand if adopted else None)
    elif row is None:
        return
    elif event is LiveEvent.PARTICIPANT_LEFT:
        row.left_at = now
        row.hand_raised_at = None
    elif event is LiveEvent.DISPLAY_NAME_CHANGE:
        row.display_name = str(data.get("displayname", ""))[:MAX_NAME]
    elif event is LiveEvent.RAISE_HAND_UPDATED:
        row.hand_raised_at = from_ms(data.get("handRaised"))
    elif event is LiveEvent.ROLE_CHANGED:
        row.role = str(data.get("role", ""))[:20]
    elif event is LiveEvent.PARTICIPANT_KIND_CHANGED:
        row.kind = str(data.get("kind", "web"))
    else:
        return
    db.add(row)


async def _caller_seen_by_phone(
    db: AsyncSession, session_id: str, shown_name: str
) -> Participant | None:
    """A caller the phone line put in the meeting before the assistant saw them (see
    plugin.db.phone.participant_for): Jigasi's participant is that caller."""
    query = (
        select(Participant)
        .where(
            Participant.session_id == session_id,
            col(Participant.jitsi_id).startswith("call-"),
            col(Participant.left_at).is_(None),
        )
        .order_by(col(Participant.joined_at))
    )
    waiting = list((await db.exec(query)).all())
    digits = "".join(c for c in shown_name if c.isdigit())
    for row in waiting:
        tail = "".join(c for c in row.display_name if c.isdigit())
        if tail and digits.endswith(tail):
            return row
    # Someone else's number is never this caller; a name without digits (Jigasi hiding
    # numbers) may be the first caller still waiting to be seen.
    return waiting[0] if waiting and not digits else None


async def present(db: AsyncSession, session_id: str) -> list[Participant]:
    query = (
        select(Participant)
        .where(Participant.session_id == session_id, col(Participant.left_at).is_(None))
        .order_by(col(Participant.joined_at))
    )
    return list((await db.exec(query)).all())


async def close_all(db: AsyncSession, session_id: str, now: datetime) -> None:
    """The session ended: nobody is in it any more, as far as the service is concerned."""
    for row in await present(db, session_id):
        row.left_at = now
        row.hand_raised_at = None
        db.add(row)
