"""Outages: Prosody killed and restarted, a server that stops answering, an app restart,
and hostile stanzas from inside the meeting."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from sqlmodel import select

from facilitation.live_events import LiveEvent
from plugin import keys
from plugin.db.models import Participant
from plugin.db.participants import from_ms
from tests.conftest import Client, app_of
from tests.jitsi.conftest import (
    MakeClient,
    joined,
    live_session,
    open_feed,
    restart,
    start_session,
    until,
)
from tests.support import participant as xmpp_client
from tests.support import prosody
from tests.support.jitsi_standin import JitsiStandIn

pytestmark = pytest.mark.prosody


async def _rows(client: Client, session_id: str) -> list[Participant]:
    await asyncio.wait_for(app_of(client)[keys.PRESENCE].flush(), 10)
    async with app_of(client)[keys.DATABASE].session() as db:
        query = select(Participant).where(Participant.session_id == session_id)
        return list((await db.exec(query)).all())


async def test_prosody_killed_and_restarted_mid_session(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/Lifeline")
    alice = await joined(server, "lifeline", "Alice")
    raised_at = int(time.time() * 1000) - 5000
    await alice.raise_hand(raised_at)
    await feed.next(LiveEvent.RAISE_HAND_UPDATED, id=alice.nick)
    before = await _rows(jitsi_client, session_id)

    server.kill()
    interrupted = await feed.next(LiveEvent.CONNECTION_INTERRUPTED)
    assert interrupted["reason"]
    await alice.close()
    await asyncio.sleep(1.0)  # down for a while, as after a crash
    lost_at = time.monotonic()
    replacement = await restart(server)

    # Alice's Jitsi Meet reconnects with the same participant id and her hand still up.
    back = xmpp_client.Participant(server, "lifeline", "Alice")
    back.nick, back.hand = alice.nick, raised_at
    await back.connect()
    await back.join()

    restored = await feed.next(LiveEvent.CONNECTION_RESTORED)
    assert time.monotonic() - lost_at < 90
    assert [p["id"] for p in restored["participants"]] == [alice.nick]
    await until(lambda: alice.nick not in bot.roster.unconfirmed)
    member = bot.roster.members[alice.nick]
    assert member.hand_raised_at == raised_at
    # Both the bot and Alice asked the new focus for the room again before joining.
    assert replacement.conference_requests == [f"lifeline@{prosody.MUC}"] * 2

    after = await _rows(jitsi_client, session_id)
    assert [(r.id, r.jitsi_id, r.left_at) for r in after] == [
        (r.id, r.jitsi_id, None) for r in before
    ]  # no duplicate, nobody marked as gone
    queue_desk = app_of(jitsi_client)[keys.QUEUE]
    await asyncio.wait_for(queue_desk.settled(), 10)
    (hand,) = (await queue_desk.load(session_id)).hands  # her place in the queue is kept
    assert (hand.participant, hand.raised_at) == (alice.nick, from_ms(raised_at))
    await back.close()
    await replacement.close()


async def test_unanswered_pings_make_the_bot_reconnect(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/Frozen")
    assert server.process is not None
    server.process.send_signal(signal.SIGSTOP)  # alive but silent, like a hung server
    try:
        await feed.next(LiveEvent.CONNECTION_INTERRUPTED)
    finally:
        server.process.send_signal(signal.SIGCONT)
    await feed.next(LiveEvent.CONNECTION_RESTORED)
    assert bot.reconnects == 1


async def test_people_missing_after_a_reconnect_leave_after_the_grace_period(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    session_id, bot = await start_session(jitsi_client, "https://meet.example.org/Grace")
    bot.config = bot.config.__class__(**{**bot.config.__dict__, "rejoin_grace": 0.5})
    feed = await open_feed(jitsi_client, session_id)
    gone = await joined(server, "grace", "Gone")
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=gone.nick)
    server.kill()
    await feed.next(LiveEvent.CONNECTION_INTERRUPTED)
    await gone.close()
    replacement = await restart(server)
    await feed.next(LiveEvent.CONNECTION_RESTORED)
    left = await feed.next(LiveEvent.PARTICIPANT_LEFT, id=gone.nick)
    assert left["id"] == gone.nick
    rows = await _rows(jitsi_client, session_id)
    assert rows[0].left_at is not None
    await replacement.close()


async def test_bots_come_back_after_the_service_restarts(
    make_client: MakeClient, server: prosody.Prosody
) -> None:
    first = await make_client()
    session_id, bot = await start_session(first, "https://meet.example.org/Phoenix")
    watcher = await joined(server, "phoenix", "Watcher")
    await first.close()  # shutdown: the bot leaves the room
    await watcher.wait_for(
        lambda e: (
            e.get("from") == f"phoenix@{prosody.MUC}/{bot.nick}" and e.get("type") == "unavailable"
        )
    )

    second = await make_client()
    resumed = app_of(second)[keys.CONNECTOR].bot(session_id)
    assert resumed is not None
    await asyncio.wait_for(resumed.wait_ready(), 15)
    await until(lambda: watcher.nick in resumed.roster.members)
    await watcher.close()


async def test_hostile_stanzas_from_participants_are_skipped(
    jitsi_client: Client, server: prosody.Prosody, standin: JitsiStandIn
) -> None:
    _session_id, bot, feed = await live_session(jitsi_client, "https://meet.example.org/Rough")
    mallory = await joined(server, "rough", "Mallory")
    await feed.next(LiveEvent.PARTICIPANT_JOINED, id=mallory.nick)
    assert mallory.ws is not None
    occupant = f"rough@{prosody.MUC}/{bot.nick}"

    def json_message(text: str) -> str:
        return (
            f"<message xmlns='jabber:client' to='{occupant}' type='chat'>"
            f"<json-message xmlns='http://jitsi.org/jitmeet'>{text}</json-message></message>"
        )

    hostile = [
        json_message("{not json"),
        json_message("[1,2]"),
        json_message("[" * 5000 + "]" * 5000),  # deep enough to exhaust a recursive parser
        json_message('{"type":"new-poll","pollId":7}'),
        f"<message xmlns='jabber:client' to='{occupant}' type='chat'>"
        f"<body>{'x' * 100_000}</body></message>",
    ]
    for text in hostile:
        await mallory.ws.send(text)
    # A raised hand that is not a time: the presence still counts (her new name shows).
    await mallory.ws.send(
        f"<presence xmlns='jabber:client' to='rough@{prosody.MUC}/{mallory.nick}'>"
        "<nick xmlns='http://jabber.org/protocol/nick'>Mallory 2</nick>"
        "<jitsi_participant_raisedHand>soon</jitsi_participant_raisedHand></presence>"
    )
    renamed = await feed.next(LiveEvent.PARTICIPANT_UPDATED, id=mallory.nick)
    assert renamed["displayName"] == "Mallory 2"
    assert bot.roster.members[mallory.nick].hand_raised_at is None
    await mallory.say("still here")
    event = await feed.next(LiveEvent.INCOMING_MESSAGE)
    assert event["message"] == "still here"  # nothing hostile became an event, and it is alive
    assert bot.ready
    assert bot.reconnects == 0
    await mallory.close()
