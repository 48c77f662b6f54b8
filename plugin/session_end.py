"""Ending a session, by a facilitator's button or, for one left running, by the clock.

Ending is what starts the check-out follow-up: the last links go out, the assistant leaves,
and after FACILITATE_CHECKOUT_WAIT_MINUTES anyone who has not checked out is flagged. A
session nobody ended would never get there, so one running longer than
FACILITATE_SESSION_MAX_HOURS is ended by the schedule."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from facilitation.meeting_events import SessionEnded
from plugin import keys
from plugin.db import audit
from plugin.db import participants as participants_db
from plugin.db import sessions as sessions_db
from plugin.db.models import MeetingSession

FLUSH_TIMEOUT = 10.0


async def end_session(
    app: web.Application, session: MeetingSession, actor_id: int | None, reason: str = ""
) -> None:
    now = app[keys.CLOCK].now()
    connector = app[keys.CONNECTOR]
    ownership = app[keys.OWNERSHIP]
    # Before the assistant leaves: everyone still there who has not checked out gets
    # their personal link again, by private chat.
    await app[keys.CHECKOUTS].send_links(session.id, only_missing=True)
    # The bot leaves and its last roster events are stored before the end closes the list,
    # so someone who joined a moment ago still counts as having been there.
    await connector.stop(session.id)
    await asyncio.wait_for(app[keys.PRESENCE].flush(), FLUSH_TIMEOUT)
    try:
        async with app[keys.DATABASE].session() as db:
            await sessions_db.end(db, session, now)
            await participants_db.close_all(db, session.id, now)
            detail = {"reason": reason} if reason else {}
            audit.record(
                db,
                at=now,
                actor_id=actor_id,
                action="session.ended",
                target=f"session:{session.id}",
                **detail,
            )
            await db.commit()
    except Exception:
        await ownership.adopt(session)  # not ended after all: the meeting keeps its assistant
        raise
    await ownership.release(session.id)
    await app[keys.QUEUE].finish(session.id)  # the last speaker's turn counts
    app[keys.BUS].publish(SessionEnded(session.id, now.isoformat()))


async def end_forgotten(app: web.Application) -> int:
    """End every session still running FACILITATE_SESSION_MAX_HOURS after it started."""
    now = app[keys.CLOCK].now()
    limit = timedelta(hours=app[keys.SETTINGS].session_max_hours)
    async with app[keys.DATABASE].session() as db:
        live = await sessions_db.all_live(db)
    # Each instance ends the forgotten sessions whose meetings it runs.
    owns = app[keys.OWNERSHIP].owns
    forgotten = [s for s in live if s.started_at <= now - limit and owns(s.id)]
    for session in forgotten:
        await end_session(app, session, None, "ran_too_long")
    return len(forgotten)
