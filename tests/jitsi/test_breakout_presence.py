"""Presence across rooms, end to end in a real Prosody: someone moved into a breakout room
stays one person, with their hand in the speaking queue and their attendance open; someone
who really leaves while breakout rooms exist is gone once the move grace is over.

Jitsi's breakout module is a STAND-IN here (prosody_modules/mod_muc_breakout_rooms_standin.lua,
see tests.support.standin_breakout), on a real Prosody MUC at breakout.DOMAIN; so is Jicofo
(tests.support.standin_focus). Neither can run on this machine. As in Jitsi, the module moves
nobody: it sends the person a move-to-room message, and their Jitsi Meet leaves the main room
and joins the breakout room's MUC itself (Participant.move_to), while the assistant, in the
main room only, sees a MUC leave and, up to 0.3 s later, the module's list of rooms.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db.models import Participant as Row
from plugin.jitsi import commands
from plugin.jitsi.bot import MeetingBot
from tests.conftest import Client, app_of
from tests.jitsi.conftest import ConsoleFeed, MakeClient, joined, live_session, until
from tests.support import prosody
from tests.support.participant import Participant, json_of

pytestmark = pytest.mark.prosody

GRACE = 2.0  # FACILITATE_BREAKOUT_MOVE_GRACE_SECONDS for these tests (10 by default)


async def rows_of(client: Client, session_id: str) -> list[Row]:
    """Every participant row of the session, once the presence desk has written all."""
    await asyncio.wait_for(app_of(client)[keys.PRESENCE].flush(), 10)
    async with app_of(client)[keys.DATABASE].session() as db:
        return list((await db.exec(select(Row).where(Row.session_id == session_id))).all())


async def hands_of(client: Client, session_id: str) -> list[str]:
    """Who has a hand in the speaking queue, once the queue has taken every event."""
    queue_desk = app_of(client)[keys.QUEUE]
    await asyncio.wait_for(queue_desk.settled(), 10)
    return [hand.participant for hand in (await queue_desk.load(session_id)).hands]


async def in_workshop(
    make_client: MakeClient, server: prosody.Prosody, name: str
) -> tuple[Client, str, MeetingBot, ConsoleFeed, Participant]:
    """A session whose assistant is a moderator, and `name` in the meeting, hand up."""
    client = await make_client(breakout_move_grace_seconds=GRACE)
    session_id, bot, feed = await live_session(client, "https://meet.example.org/Workshop")
    await until(lambda: bot.role == "moderator")
    person = await joined(server, "workshop", name)
    await person.raise_hand()
    await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=person.nick)
    return client, session_id, bot, feed, person


async def add_room(bot: MeetingBot, feed: ConsoleFeed, name: str) -> str:
    """Add a breakout room; its id once the component lists it."""
    await commands.add_breakout_room(bot, name)
    update = await feed.next_where(
        LiveEvent.BREAKOUT_ROOMS_UPDATED,
        lambda u: any(room.get("name") == name for room in u["rooms"].values()),
    )
    return str(next(key for key, room in update["rooms"].items() if room.get("name") == name))


async def move(bot: MeetingBot, person: Participant, room_id: str) -> str:
    """A facilitator moves `person`; their Jitsi Meet follows the component's message."""
    await commands.send_participant_to_room(bot, person.nick, room_id)
    order = await person.wait_for(
        lambda e: (json_of(e) or {}).get("event") == "features/breakout-rooms/move-to-room"
    )
    target = str((json_of(order) or {})["roomJid"])
    assert await person.move_to(target)
    return target


async def test_a_move_to_a_breakout_room_keeps_the_person_their_hand_and_attendance(
    make_client: MakeClient, server: prosody.Prosody
) -> None:
    client, session_id, bot, feed, dee = await in_workshop(make_client, server, "Dee")
    ideas = await add_room(bot, feed, "Ideas")
    await until(lambda: ideas in dee.breakout_rooms)  # her Jitsi Meet knows the room

    target = await move(bot, dee, ideas)
    assert target == f"{ideas}@{prosody.BREAKOUT}"
    await feed.next_where(
        LiveEvent.BREAKOUT_ROOMS_UPDATED,
        lambda u: [p["jid"] for p in u["rooms"][ideas]["participants"].values()] == [dee.jid],
    )
    # She really left the main room: the assistant no longer has her there.
    assert dee.nick not in bot.roster.members
    await asyncio.sleep(GRACE + 0.5)  # past the grace: nothing decides she has gone

    rows = await rows_of(client, session_id)
    assert [(r.jitsi_id, r.display_name) for r in rows] == [(dee.nick, "Dee")]  # one person
    assert rows[0].room == "Ideas"
    assert rows[0].left_at is None  # attendance not closed
    assert await hands_of(client, session_id) == [dee.nick]  # her hand is still queued

    # Back to the main room: still the same one person, in the main room.
    await move(bot, dee, "workshop")
    await until(lambda: dee.nick in bot.roster.members)
    await feed.next_where(
        LiveEvent.BREAKOUT_ROOMS_UPDATED,
        lambda u: dee.jid in [p["jid"] for p in u["rooms"]["workshop"]["participants"].values()],
    )
    rows = await rows_of(client, session_id)
    assert [(r.jitsi_id, r.room, r.left_at) for r in rows] == [(dee.nick, "", None)]
    await dee.close()


async def test_a_hand_raised_before_a_move_is_still_queued_after_coming_back(
    make_client: MakeClient, server: prosody.Prosody
) -> None:
    client, session_id, bot, feed, eve = await in_workshop(make_client, server, "Eve")
    ideas = await add_room(bot, feed, "Ideas")
    await until(lambda: ideas in eve.breakout_rooms)
    await move(bot, eve, ideas)
    await feed.next_where(
        LiveEvent.BREAKOUT_ROOMS_UPDATED, lambda u: bool(u["rooms"][ideas]["participants"])
    )
    assert await hands_of(client, session_id) == [eve.nick]

    await move(bot, eve, "workshop")
    await until(lambda: eve.nick in bot.roster.members)
    assert eve.hand is None  # as Jitsi Meet comes back: no raised hand in presence
    assert await hands_of(client, session_id) == [eve.nick]
    await eve.close()


async def test_leaving_while_breakout_rooms_exist_is_leaving_once_the_grace_is_over(
    make_client: MakeClient, server: prosody.Prosody
) -> None:
    client, session_id, bot, feed, fay = await in_workshop(make_client, server, "Fay")
    await add_room(bot, feed, "Ideas")

    await fay.leave()  # hangs up: no breakout room will have her
    left_at = time.monotonic()
    await until(lambda: fay.nick not in bot.roster.members)  # the assistant saw her go
    # Within the grace she may still be on her way to a breakout room.
    rows = await rows_of(client, session_id)
    assert [(r.jitsi_id, r.left_at) for r in rows] == [(fay.nick, None)]
    assert await hands_of(client, session_id) == [fay.nick]

    await feed.next(LiveEvent.PARTICIPANT_LEFT, id=fay.nick)
    assert time.monotonic() - left_at >= GRACE - 0.2  # held for the grace, not at once
    rows = await rows_of(client, session_id)
    assert [r.jitsi_id for r in rows] == [fay.nick]
    assert rows[0].left_at is not None  # attendance closed
    assert await hands_of(client, session_id) == []  # hand removed
    await fay.close()
