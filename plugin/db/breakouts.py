"""Each session's breakout round, stored so that a restart loses no group and no timer."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.models import BreakoutRound, PhoneCall


async def load(db: AsyncSession, session_id: str) -> BreakoutRound | None:
    return await db.get(BreakoutRound, session_id)


async def open_rounds(db: AsyncSession) -> list[BreakoutRound]:
    """Rounds still running (or closed with group rooms to empty), for the timer."""
    query = select(BreakoutRound).where(col(BreakoutRound.state).in_(("open", "closing")))
    return list((await db.exec(query)).all())


def touch(row: BreakoutRound, now: datetime) -> None:
    row.seq += 1
    row.updated_at = now


async def moved_calls(db: AsyncSession, session_id: str) -> list[PhoneCall]:
    """Live calls a breakout group moved out of the session's own room."""
    query = select(PhoneCall).where(
        PhoneCall.session_id == session_id,
        col(PhoneCall.ended_at).is_(None),
        col(PhoneCall.group_room).is_not(None),
    )
    return list((await db.exec(query)).all())
