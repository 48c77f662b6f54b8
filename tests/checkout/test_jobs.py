"""The scheduled side of the follow-up: a session nobody ended is ended by the clock, so
its check-out follow-up still happens."""

from __future__ import annotations

from datetime import timedelta

from plugin import keys
from plugin.db.models import MeetingSession
from plugin.session_end import end_forgotten
from tests.checkout.conftest import add_people, after_the_wait, audit_entries, start_session
from tests.conftest import Client, app_of


async def test_a_session_left_running_is_ended_and_followed_up(
    client: Client, signed_in_facilitator: None
) -> None:
    app = app_of(client)
    session_id = await start_session(client)
    await add_people(client, session_id, ("Ann", "web"))
    assert await end_forgotten(app) == 0  # not yet
    app[keys.CLOCK].advance(timedelta(hours=app[keys.SETTINGS].session_max_hours))  # type: ignore[attr-defined]
    assert await end_forgotten(app) == 1
    async with app[keys.DATABASE].session() as db:
        session = await db.get(MeetingSession, session_id)
    assert session is not None and session.ended_at is not None
    (entry,) = await audit_entries(client, "session.ended")
    assert entry.actor_id is None and entry.detail == {"reason": "ran_too_long"}
    assert await after_the_wait(client) == 1  # Ann never checked out
    assert await end_forgotten(app) == 0  # once
