"""The warm-ups a session played (`WarmupRun`): the open one, the last one, each group's
history for the no-repeat rule, and forgetting the answers when the session ends."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.models import MeetingSession, WarmupRun


async def history(db: AsyncSession, session_id: str, sessions: int) -> list[list[str]]:
    """The warm-ups played in each of the same room's last `sessions` sessions before this
    one, newest first (sessions of one meeting room are one group)."""
    session = await db.get(MeetingSession, session_id)
    if session is None:
        return []
    same_tenant = (
        col(MeetingSession.tenant).is_(None)
        if session.tenant is None
        else col(MeetingSession.tenant) == session.tenant
    )
    earlier: Sequence[str] = (
        await db.exec(
            select(MeetingSession.id)
            .where(
                MeetingSession.room == session.room,
                same_tenant,
                MeetingSession.id != session_id,
                col(MeetingSession.started_at) <= session.started_at,
            )
            .order_by(col(MeetingSession.started_at).desc())
            .limit(sessions)
        )
    ).all()
    runs = (
        await db.exec(
            select(WarmupRun.session_id, WarmupRun.warmup_id).where(
                col(WarmupRun.session_id).in_(list(earlier))
            )
        )
    ).all()
    played: dict[str, list[str]] = {sid: [] for sid in earlier}
    for sid, warmup_id in runs:
        played[sid].append(warmup_id)
    return [played[sid] for sid in earlier]


async def open_run(db: AsyncSession, session_id: str) -> WarmupRun | None:
    query = select(WarmupRun).where(WarmupRun.session_id == session_id, WarmupRun.state == "open")
    return (await db.exec(query)).first()


async def last_run(db: AsyncSession, session_id: str) -> WarmupRun | None:
    query = (
        select(WarmupRun)
        .where(WarmupRun.session_id == session_id)
        .order_by(col(WarmupRun.id).desc())
        .limit(1)
    )
    return (await db.exec(query)).first()


async def forget_answers(db: AsyncSession, session_id: str) -> None:
    """The session is over: who answered what goes; the counts stay. Does not commit."""
    for row in (await db.exec(select(WarmupRun).where(WarmupRun.session_id == session_id))).all():
        row.votes = {}
        row.said = []
        db.add(row)
