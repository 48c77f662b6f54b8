"""The participant rows the presence desk keeps, applied from typed meeting events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.meeting_events import (
    AssistantJoined,
    AssistantRestored,
    MeetingEvent,
    Person,
    PersonJoined,
    PersonKind,
    PersonLeft,
    PersonMoved,
    PersonUpdated,
)
from plugin.db.models import AssistantConnection, MeetingSession, Participant

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


async def apply_event(db: AsyncSession, event: MeetingEvent, now: datetime) -> None:
    """Record one meeting event in the participant rows. Does not commit; replays are
    harmless (no duplicate rows).

    Events that arrive after their session ended are dropped: the end closed every row.
    """
    session = await db.get(MeetingSession, event.session_id)
    if session is None or session.ended_at is not None:
        return
    session_id = event.session_id
    if isinstance(event, AssistantJoined | AssistantRestored):
        if event.assistant_jid:
            await _remember_assistant(db, session_id, event.assistant_jid, now)
        if isinstance(event, AssistantRestored):
            return
        # The bot's fresh view of the meeting: whoever we had as present and is not in it
        # left while the bot was away (a service restart, say).
        here = {person.id for person in event.people}
        for gone in await present(db, session_id):
            if gone.jitsi_id not in here:
                gone.left_at = now
                db.add(gone)
        for person in event.people:
            await _seen(db, session_id, person, now)
        return
    if isinstance(event, PersonJoined):
        await _seen(db, session_id, event.person, now)
        return
    if isinstance(event, PersonUpdated):
        await _seen(db, session_id, event.person, now)
        return
    person_id = event.person_id if isinstance(event, PersonLeft | PersonMoved) else None
    if person_id is None:
        return
    row = await open_row(db, session_id, person_id)
    if row is None:
        return
    if isinstance(event, PersonLeft):
        row.left_at = now
    elif isinstance(event, PersonMoved):
        row.room = event.room[:200]
    db.add(row)


async def _seen(db: AsyncSession, session_id: str, person: Person, now: datetime) -> None:
    """Create or refresh the open row of someone the assistant sees."""
    row = await open_row(db, session_id, person.id)
    if row is None and person.kind is PersonKind.PHONE:
        row = await _caller_seen_by_phone(db, session_id, person.name)
        if row is not None:
            row.jitsi_id = person.id  # the same person: keep their row (and their hand)
    if row is None:
        row = Participant(
            session_id=session_id,
            jitsi_id=person.id,
            joined_at=from_ms(person.joined_at_ms) or now,
            kind=person.kind.value,
            display_name="",
        )
    row.kind = person.kind.value
    row.display_name = person.name[:MAX_NAME]
    row.role = person.role[:20]
    row.room = person.room[:200]
    if person.real_jid:
        row.real_jid = person.real_jid[:300]
    db.add(row)


async def _remember_assistant(db: AsyncSession, session_id: str, jid: str, now: datetime) -> None:
    """The assistant's own connection: never counted as a person in attendance."""
    bare = jid.split("/", 1)[0].lower()[:300]
    if await db.get(AssistantConnection, bare) is None:
        db.add(AssistantConnection(jid=bare, session_id=session_id, seen_at=now))


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
        db.add(row)
