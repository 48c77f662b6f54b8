"""One way for tests to say what the assistant saw in a meeting, without a meeting: the
typed events it would publish, applied by the presence desk's own code."""

from __future__ import annotations

from aiohttp import web

from facilitation.meeting_events import MeetingEvent, Person, PersonJoined, PersonKind, PersonLeft
from plugin import keys
from plugin.db import participants


async def apply(app: web.Application, event: MeetingEvent) -> None:
    """Store the event as the presence desk would (and wait for it)."""
    async with app[keys.DATABASE].session() as db:
        await participants.apply_event(db, event, app[keys.CLOCK].now())
        await db.commit()


async def seen(
    app: web.Application, session_id: str, nick: str, name: str, kind: str = "web"
) -> None:
    """The assistant saw `nick` join (stored as the presence desk stores it)."""
    await apply(app, PersonJoined(session_id, Person(nick, name, kind=PersonKind(kind))))


async def gone(app: web.Application, session_id: str, nick: str) -> None:
    await apply(app, PersonLeft(session_id, nick))
