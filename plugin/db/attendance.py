"""Attendance rows: each is one connection's stay, merged from every report about it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.attendance import Kind, Seat, Stay, with_roster
from plugin.db.applying import stay_of
from plugin.db.models import AssistantConnection, Attendance, MeetingSession, Participant

# People often join a meeting before the facilitator starts the session.
LOOKBACK = timedelta(hours=2)


async def _reported(db: AsyncSession, session: MeetingSession, now: datetime) -> list[Stay]:
    until = session.ended_at or now
    query = (
        select(Attendance)
        .where(
            Attendance.room == session.room,
            Attendance.tenant == (session.tenant or ""),
            col(Attendance.joined_at) <= until,
        )
        .order_by(col(Attendance.joined_at))
    )
    since = session.started_at - LOOKBACK
    rows = (await db.exec(query)).all()
    return [stay_of(row) for row in rows if row.left_at is None or row.left_at >= since]


async def for_session(db: AsyncSession, session: MeetingSession, now: datetime) -> list[Stay]:
    """Everyone Jitsi reported in the session's room while it ran (or just before), with
    what the assistant saw filling the gaps (facilitation.attendance.with_roster)."""
    stays = await _reported(db, session, now)
    rows = (await db.exec(select(Participant).where(Participant.session_id == session.id))).all()
    seats = [
        Seat(
            jid=row.real_jid,
            name=row.display_name,
            kind=Kind.PHONE if row.kind == Kind.PHONE.value else Kind.WEB,
            joined_at=row.joined_at,
            left_at=row.left_at,
        )
        for row in rows
        if row.real_jid
    ]
    mine = await db.exec(
        select(AssistantConnection.jid).where(AssistantConnection.session_id == session.id)
    )
    return with_roster(stays, seats, list(mine.all()), session.room, session.tenant or "")


async def purge(db: AsyncSession, before: datetime) -> None:
    """Forget stays that began before `before` (the retention period), in one statement."""
    connection = await db.connection()
    await connection.execute(delete(Attendance).where(col(Attendance.joined_at) < before))
